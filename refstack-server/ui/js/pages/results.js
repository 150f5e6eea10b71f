// #/community_results: the public test runs, newest first, with a date
// filter and pagination (GET /v1/results?page=N&start_date=&end_date=).

import {getJson} from '../api.js';
import {alertBox, errorText, h, loading, replace, shortId, utc} from '../dom.js';
import {navigate} from '../app.js';
import {targetLabel, versionOf} from '../targets.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Page links around the current page (at most 5, as upstream). */
function pageNumbers(current, total) {
  const size = 5;
  let start = Math.max(1, current - Math.floor(size / 2));
  const end = Math.min(total, start + size - 1);
  start = Math.max(1, end - size + 1);
  const out = [];
  for (let p = start; p <= end; p += 1) out.push(p);
  return out;
}

export function pagination(current, total, go) {
  if (total <= 1) return null;
  const link = (page, label, attrs) => h('li', {},
    h('button', {type: 'button', class: 'page-link', onclick: () => go(page), ...attrs}, label));
  return h('nav', {'aria-label': 'Pagination', class: 'pagination'},
    h('ul', {},
      link(current - 1, '‹ Previous', {disabled: current <= 1, rel: 'prev', dataset: {page: 'prev'}}),
      pageNumbers(current, total).map((p) => link(p, String(p),
        {'aria-current': p === current ? 'page' : false, 'aria-label': `Page ${p}`, dataset: {page: p}})),
      link(current + 1, 'Next ›', {disabled: current >= total, rel: 'next', dataset: {page: 'next'}})),
    h('p', {class: 'page-status'}, `Page ${current} of ${total}`));
}

export function product(pv) {
  if (!pv || !pv.product_info) return '';
  return pv.version ? `${pv.product_info.name} ${pv.version}` : pv.product_info.name;
}

/** #/community_results[?page=N&start=YYYY-MM-DD&end=YYYY-MM-DD] */
export async function communityResultsPage(container, {query, isCurrent}) {
  const page = Math.max(1, parseInt(query.get('page') || '1', 10) || 1);
  const start = DATE.test(query.get('start') || '') ? query.get('start') : '';
  const end = DATE.test(query.get('end') || '') ? query.get('end') : '';
  const startInput = h('input', {type: 'date', id: 'start-date', name: 'start', value: start});
  const endInput = h('input', {type: 'date', id: 'end-date', name: 'end', value: end});
  const body = h('div', {id: 'results-body'}, loading('the test runs'));
  const form = h('form', {class: 'controls', id: 'date-filter', 'aria-label': 'Filter by upload date',
    onsubmit: (e) => {
      e.preventDefault();
      navigate('/community_results', {start: startInput.value, end: endInput.value});
    }},
    h('div', {class: 'field'}, h('label', {for: 'start-date'}, 'Uploaded from'), startInput),
    h('div', {class: 'field'}, h('label', {for: 'end-date'}, 'to'), endInput),
    h('div', {class: 'field buttons'},
      h('button', {type: 'submit', class: 'btn btn-primary', id: 'filter-button'}, 'Filter'),
      h('button', {type: 'button', class: 'btn', id: 'clear-button',
        onclick: () => navigate('/community_results', {})}, 'Clear')));
  replace(container,
    h('h1', {}, 'Community Results'),
    h('p', {}, 'The test runs uploaded anonymously or shared by their owners, newest first. ',
      'Open a run to see its compliance with a guideline.'),
    form, body);

  let data;
  try {
    data = await getJson('results', {page,
      start_date: start ? `${start} 00:00:00` : '',
      end_date: end ? `${end} 23:59:59` : ''});
  } catch (err) {
    if (isCurrent()) replace(body, alertBox('danger', errorText(err)));
    return;
  }
  if (!isCurrent()) return;
  const {results, pagination: pg} = data;
  if (!results.length) {
    replace(body, alertBox('info', start || end ? 'No test runs were uploaded in this period.' : 'No test runs have been uploaded yet.'));
    return;
  }
  const go = (p) => navigate('/community_results', {page: p, start, end});
  replace(body,
    h('table', {class: 'table', id: 'results-table'},
      h('caption', {class: 'visually-hidden'}, 'Test runs'),
      h('thead', {}, h('tr', {},
        ['Upload date', 'Test run', 'Target program', 'Guideline', 'Product', 'Verified']
          .map((c) => h('th', {scope: 'col'}, c)))),
      h('tbody', {}, results.map((r) => h('tr', {dataset: {resultId: r.id}},
        h('td', {}, utc(r.created_at)),
        h('td', {}, h('a', {href: `#/results/${encodeURIComponent(r.id)}`, title: r.id}, h('code', {}, shortId(r.id)))),
        h('td', {}, r.meta && r.meta.target ? targetLabel(r.meta.target) : ''),
        h('td', {}, r.meta && r.meta.guideline ? versionOf(r.meta.guideline) : ''),
        h('td', {}, product(r.product_version)),
        h('td', {}, r.verification_status === 1 ? h('span', {class: 'badge status-pass'}, '✓ verified') : ''))))),
    pagination(pg.current_page, pg.total_pages, go));
}
