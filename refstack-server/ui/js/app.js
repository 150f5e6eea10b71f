// The single-page application: hash routes as upstream RefStack
// (#/, #/about, #/guidelines, #/community_results, #/results/<id>,
// #/public_vendors, #/public_products).

import {currentUser, getConfig, loadConfig, signInUrl, signOutUrl} from './api.js';
import {alertBox, errorText, h, replace} from './dom.js';
import {aboutPage, homePage} from './pages/home.js';
import {guidelinesPage} from './pages/guidelines.js';
import {communityResultsPage} from './pages/results.js';
import {reportPage} from './pages/report.js';
import {productsPage, vendorsPage} from './pages/catalog.js';

const ROUTES = [
  {pattern: /^\/?$/, name: 'home', title: 'Home', render: homePage},
  {pattern: /^\/about$/, name: 'about', title: 'About', render: aboutPage},
  {pattern: /^\/guidelines$/, name: 'guidelines', title: 'Guidelines', render: guidelinesPage},
  {pattern: /^\/community_results$/, name: 'community_results', title: 'Community Results', render: communityResultsPage},
  {pattern: /^\/results\/([^/]+)$/, name: 'community_results', title: 'Test Run Results', render: reportPage},
  {pattern: /^\/public_vendors$/, name: 'public_vendors', title: 'Vendors', render: vendorsPage},
  {pattern: /^\/public_products$/, name: 'public_products', title: 'Products', render: productsPage},
  {pattern: /^\/auth_failure$/, name: 'auth_failure', title: 'Sign-in failed', render: authFailurePage},
];

/** Routes of upstream's signed-in pages, not available here. */
const SIGN_IN_ROUTES = /^\/(user_results|profile|user_vendors|user_products|vendor\/|cloud\/|distro\/|logout)/;

/** Upstream's sign-in failure page: `#/auth_failure?message=...`. */
function authFailurePage(container, {query}) {
  replace(container,
    h('h1', {}, 'Sign-in failed'),
    alertBox('danger', `Authentication Failure: ${query.get('message') || 'unknown error'}`),
    h('p', {}, h('a', {href: '#/'}, 'Go to the home page')));
}

/** The path of the current page on this server, for coming back after sign-in. */
function here() {
  return `${window.location.pathname}${window.location.hash}`;
}

/** The header's sign-in area: "Sign in", or the user's name and "Sign out". */
async function renderAuthNav() {
  const note = document.getElementById('signin-note');
  if (!note || !getConfig().signInAvailable) return;
  let user = null;
  try {
    user = await currentUser();
  } catch (_) {
    return; // The note stays; pages show their own errors.
  }
  if (user) {
    replace(note,
      h('span', {id: 'user-name', title: user.openid}, user.fullname || user.openid),
      ' ',
      h('a', {id: 'signout-link', href: signOutUrl()}, 'Sign out'));
  } else {
    replace(note, h('a', {id: 'signin-link', href: signInUrl(here())}, 'Sign in'));
    window.addEventListener('hashchange', () => {
      const link = document.getElementById('signin-link');
      if (link) link.href = signInUrl(here());
    });
  }
}

/** The current route: {path, query}. */
export function currentRoute() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return {path, query: new URLSearchParams(query)};
}

/** Navigates to a hash route with query parameters. */
export function navigate(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(key, value);
  }
  const qs = query.toString();
  window.location.hash = `#${path}${qs ? `?${qs}` : ''}`;
}

let generation = 0;

async function render() {
  const main = document.getElementById('main');
  const {path, query} = currentRoute();
  const mine = ++generation;
  const route = ROUTES.find((r) => r.pattern.test(path));
  for (const link of document.querySelectorAll('.nav a')) {
    if (route && link.dataset.route === route.name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!route) {
    document.title = 'Not found · RefStack';
    const signIn = SIGN_IN_ROUTES.test(path);
    const available = getConfig().signInAvailable;
    let user = null;
    if (signIn && available) {
      try {
        user = await currentUser();
      } catch (_) {
        user = null;
      }
      if (mine !== generation) return;
    }
    let text = `There is no page at #${path}.`;
    if (signIn && !available) text = 'This page needs a signed-in user. Sign in is not available on this server.';
    else if (signIn && !user) text = 'This page needs a signed-in user.';
    else if (signIn) text = 'This page is not available yet.';
    replace(main,
      h('h1', {}, signIn && !user ? 'Sign in required' : 'Page not found'),
      alertBox('warning', text),
      signIn && available && !user
        ? h('p', {}, h('a', {id: 'page-signin-link', href: signInUrl(here())}, 'Sign in'))
        : null,
      h('p', {}, h('a', {href: '#/'}, 'Go to the home page')));
    return;
  }
  document.title = `${route.title} · RefStack`;
  const container = h('div', {class: 'page', dataset: {page: route.name}});
  replace(main, container);
  const match = path.match(route.pattern);
  try {
    await route.render(container, {params: match.slice(1).map(decodeURIComponent), query,
      isCurrent: () => mine === generation});
  } catch (err) {
    if (mine === generation) {
      replace(container, h('h1', {}, route.title), alertBox('danger', errorText(err)));
    }
  }
  if (mine === generation && document.activeElement !== main && !main.contains(document.activeElement)) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({preventScroll: true});
    }
  }
}

async function boot() {
  const main = document.getElementById('main');
  try {
    await loadConfig();
  } catch (err) {
    replace(main, h('h1', {}, 'RefStack'), alertBox('danger', `Cannot load the configuration: ${errorText(err)}`));
    return;
  }
  document.getElementById('skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener('hashchange', render);
  renderAuthNav();
  await render();
}

boot();
