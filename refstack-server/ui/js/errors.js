// Records uncaught errors and rejected promises, shows them in a banner,
// and keeps them in window.refstackErrors (the browser tests read it).
// A classic script loaded before the modules, so it also sees their
// load and parse failures.
(function () {
  'use strict';
  var errors = [];
  window.refstackErrors = errors;
  function show(message) {
    errors.push(String(message));
    var banner = document.getElementById('error-banner');
    if (banner) {
      banner.textContent = 'Something went wrong in this page: ' + message;
      banner.hidden = false;
    }
  }
  window.addEventListener('error', function (event) {
    var target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      show('cannot load ' + (target.src || target.href));
    } else {
      show(event.message || 'unknown error');
    }
  }, true);
  window.addEventListener('unhandledrejection', function (event) {
    var reason = event.reason;
    show(reason && reason.message ? reason.message : String(reason));
  });
}());
