// The single-page application: hash routes as upstream RefStack
// (#/, #/about, #/guidelines, #/community_results, #/results/<id>,
// #/results/<a>/compare/<b>,
// #/public_vendors, #/public_products, and the signed-in pages
// #/user_results, #/profile, #/user_vendors, #/vendor/<id>,
// #/user_products, #/product/<id> (#/cloud/<id>, #/distro/<id>),
// #/foundation, #/auth_failure, #/logout).

import {currentUser, getConfig, loadConfig, signInUrl, signOutUrl} from './api.js';
import {alertBox, errorText, h, replace} from './dom.js';
import {aboutPage, homePage} from './pages/home.js';
import {guidelinesPage} from './pages/guidelines.js';
import {communityResultsPage} from './pages/results.js';
import {reportPage} from './pages/report.js';
import {productsPage, vendorsPage} from './pages/catalog.js';

/** A page of a module loaded when first needed (the signed-in pages: anonymous visitors never fetch them). */
function lazy(module, name) {
  return async (container, context) => (await import(module))[name](container, context);
}

const profilePage = lazy('./pages/profile.js', 'profilePage');
const authFailurePage = lazy('./pages/profile.js', 'authFailurePage');
const logoutPage = lazy('./pages/profile.js', 'logoutPage');
const myResultsPage = lazy('./pages/myresults.js', 'myResultsPage');
const myVendorsPage = lazy('./pages/vendors.js', 'myVendorsPage');
const vendorPage = lazy('./pages/vendors.js', 'vendorPage');
const foundationPage = lazy('./pages/vendors.js', 'foundationPage');
const myProductsPage = lazy('./pages/products.js', 'myProductsPage');
const productPage = lazy('./pages/products.js', 'productPage');
const comparePage = lazy('./pages/compare.js', 'comparePage');

const ROUTES = [
  {pattern: /^\/?$/, name: 'home', title: 'Home', render: homePage},
  {pattern: /^\/about$/, name: 'about', title: 'About', render: aboutPage},
  {pattern: /^\/guidelines$/, name: 'guidelines', title: 'Guidelines', render: guidelinesPage},
  {pattern: /^\/community_results$/, name: 'community_results', title: 'Community Results', render: communityResultsPage},
  {pattern: /^\/results\/([^/]+)$/, name: 'community_results', title: 'Test Run Results', render: reportPage},
  {pattern: /^\/results\/([^/]+)\/compare\/([^/]+)$/, name: 'community_results', title: 'Compare Test Runs', render: comparePage},
  {pattern: /^\/public_vendors$/, name: 'public_vendors', title: 'Vendors', render: vendorsPage},
  {pattern: /^\/public_products$/, name: 'public_products', title: 'Products', render: productsPage},
  {pattern: /^\/vendor\/([^/]+)$/, name: 'user_vendors', title: 'Vendor', render: vendorPage},
  {pattern: /^\/(?:product|cloud|distro)\/([^/]+)$/, name: 'user_products', title: 'Product', render: productPage},
  {pattern: /^\/user_results$/, name: 'user_results', title: 'My Results', render: myResultsPage, private: true},
  {pattern: /^\/profile$/, name: 'profile', title: 'Profile', render: profilePage, private: true},
  {pattern: /^\/user_vendors$/, name: 'user_vendors', title: 'My Vendors', render: myVendorsPage, private: true},
  {pattern: /^\/user_products$/, name: 'user_products', title: 'My Products', render: myProductsPage, private: true},
  {pattern: /^\/foundation$/, name: 'foundation', title: 'Foundation', render: foundationPage, private: true},
  {pattern: /^\/auth_failure$/, name: 'auth_failure', title: 'Sign-in failed', render: authFailurePage},
  {pattern: /^\/logout$/, name: 'logout', title: 'Signed out', render: logoutPage},
];

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

let flash = null;

/** Renders the current route again (after a change), with an optional success message above it. */
export function reload(message) {
  flash = message || null;
  render();
}

/** Navigates to a route, with a success message shown above the new page. */
export function navigateWith(message, path, params) {
  flash = message;
  navigate(path, params);
}

/** The path of a hash route of this page on this server, to come back to after sign-in. */
function here(hash) {
  return `${window.location.pathname}${hash || window.location.hash || '#/'}`;
}

/** The "Sign in" link (or why there is none). */
function signInLink(route, id) {
  if (!getConfig().signInAvailable) {
    return h('span', {class: 'signin-note', id: `${id}-note`}, 'Sign in is not available on this server');
  }
  return h('a', {class: 'btn btn-primary', id: `${id}-link`, href: signInUrl(here(route))}, 'Sign in');
}

/** The header's account part and the signed-in menu. */
function renderAccount(user) {
  const account = document.getElementById('account');
  document.getElementById('user-nav').hidden = !user;
  document.getElementById('foundation-nav').hidden = !(user && user.is_admin);
  if (!user) {
    replace(account, signInLink(window.location.hash, 'signin'));
    return;
  }
  replace(account,
    h('span', {class: 'user-name', id: 'user-name', title: user.openid}, user.fullname || user.openid),
    user.is_admin ? h('span', {class: 'badge', id: 'admin-badge'}, 'foundation') : null,
    h('a', {class: 'btn', id: 'signout-link', href: signOutUrl()}, 'Sign out'));
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
  const user = await currentUser();
  if (mine !== generation) return;
  renderAccount(user);
  if (!route) {
    document.title = 'Not found · RefStack';
    replace(main,
      h('h1', {}, 'Page not found'),
      alertBox('warning', `There is no page at #${path}.`),
      h('p', {}, h('a', {href: '#/'}, 'Go to the home page')));
    return;
  }
  if (route.private && !user) {
    document.title = 'Sign in required · RefStack';
    replace(main, h('div', {class: 'page', dataset: {page: 'signin-required'}},
      h('h1', {}, 'Sign in required'),
      alertBox('warning', h('span', {id: 'signin-required'}, `The page “${route.title}” needs a signed-in user.`)),
      h('p', {}, signInLink(window.location.hash, 'page-signin'), ' ', h('a', {href: '#/'}, 'Go to the home page'))));
    return;
  }
  document.title = `${route.title} · RefStack`;
  const container = h('div', {class: 'page', dataset: {page: route.name}});
  const message = flash;
  flash = null;
  replace(main, message ? alertBox('success', h('span', {id: 'flash'}, message)) : null, container);
  const match = path.match(route.pattern);
  try {
    await route.render(container, {params: match.slice(1).map(decodeURIComponent), query, user,
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
  await render();
}

boot();
