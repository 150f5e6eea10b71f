// The single-page application: hash routes as upstream RefStack
// (#/, #/about, #/guidelines, #/community_results, #/results/<id>,
// #/public_vendors, #/public_products).

import {loadConfig} from './api.js';
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
];

/** Routes of upstream's signed-in pages, not available here. */
const SIGN_IN_ROUTES = /^\/(user_results|profile|user_vendors|user_products|vendor\/|cloud\/|distro\/|auth_failure|logout)/;

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
    replace(main,
      h('h1', {}, signIn ? 'Sign in required' : 'Page not found'),
      alertBox('warning', signIn
        ? 'This page needs a signed-in user. Sign in is not available on this server.'
        : `There is no page at #${path}.`),
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
  await render();
}

boot();
