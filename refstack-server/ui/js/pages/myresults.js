// #/user_results: the caller's own test runs (GET /v1/results?signed) with
// filters, and per run the owner's controls (share, guideline, target,
// product version, delete).

import {getJson} from '../api.js';
import {alertBox, errorText, h, loading, replace, shortId, utc} from '../dom.js';
import {navigate, reload} from '../app.js';
import {targetLabel, versionOf} from '../targets.js';
import {pagination, product} from './results.js';
import {runEditor} from '../runedit.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** #/user_results[?page=N&start=&end=&verified=0|1] */
export async function myResultsPage(container, {query, isCurrent}) {
  const page = Math.max(1, parseInt(query.get('page') || '1', 10) || 1);
  const start = DATE.test(query.get('start') || '') ? query.get('start') : '';
  const end = DATE.test(query.get('end') || '') ? query.get('end') : '';
  const verified = ['0', '1'].includes(query.get('verified')) ? query.get('verified') : '';
  const startInput = h('input', {type: 'date', id: 'start-date', value: start});
  const endInput = h('input', {type: 'date', id: 'end-date', value: end});
  const verifiedSelect = h('select', {id: 'verified-filter'},
    [['', 'All runs'], ['1', 'Verified'], ['0', 'Not verified']].map(([v, l]) => h('option', {value: v, selected: v === verified}, l)));
  const body = h('div', {id: 'results-body'}, loading('your test runs'));
  replace(container,
    h('h1', {}, 'My Results'),
    h('p', {}, 'The runs uploaded with one of your public keys (see ', h('a', {href: '#/profile'}, 'Profile'),
      '). They are private until you share them.'),
    h('form', {class: 'controls', id: 'my-filter', onsubmit: (e) => {
      e.preventDefault();
      navigate('/user_results', {start: startInput.value, end: endInput.value, verified: verifiedSelect.value});
    }},
    h('div', {class: 'field'}, h('label', {for: 'start-date'}, 'Uploaded from'), startInput),
    h('div', {class: 'field'}, h('label', {for: 'end-date'}, 'to'), endInput),
    h('div', {class: 'field'}, h('label', {for: 'verified-filter'}, 'Status'), verifiedSelect),
    h('div', {class: 'field buttons'},
      h('button', {type: 'submit', class: 'btn btn-primary', id: 'filter-button'}, 'Filter'),
      h('button', {type: 'button', class: 'btn', id: 'clear-button', onclick: () => navigate('/user_results', {})}, 'Clear'))),
    body);

  let data;
  let vendors = [];
  try {
    [data, {vendors}] = await Promise.all([
      getJson('results', {signed: 'true', page, verification_status: verified,
        start_date: start ? `${start} 00:00:00` : '', end_date: end ? `${end} 23:59:59` : ''}),
      getJson('vendors'),
    ]);
  } catch (err) {
    if (isCurrent()) replace(body, alertBox('danger', errorText(err)));
    return;
  }
  if (!isCurrent()) return;
  const vendorNames = new Map(vendors.map((v) => [v.id, v.name]));
  if (!data.results.length) {
    replace(body, alertBox('info', start || end || verified
      ? 'None of your runs match these filters.'
      : 'You have no signed test runs yet. Import a public key on your profile page and upload with refstack-tester --sign.'));
    return;
  }
  const done = (kind) => reload(kind === 'deleted' ? 'The test run was deleted.' : 'The test run was updated.');
  const rows = data.results.map((r) => {
    const meta = r.meta || {};
    const editRow = h('tr', {class: 'edit-row', hidden: true}, h('td', {colspan: 8}));
    const toggle = h('button', {type: 'button', class: 'btn btn-small', 'aria-expanded': 'false',
      dataset: {edit: r.id}, onclick: async () => {
        const open = editRow.hidden;
        editRow.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        if (open) {
          const cell = editRow.firstChild;
          replace(cell, loading('the editor'));
          try {
            replace(cell, await runEditor(r, done));
          } catch (err) {
            replace(cell, alertBox('danger', errorText(err)));
          }
        }
      }}, 'Edit');
    const pv = r.product_version;
    return [h('tr', {dataset: {resultId: r.id}},
      h('td', {}, utc(r.created_at)),
      h('td', {}, h('a', {href: `#/results/${encodeURIComponent(r.id)}`, title: r.id}, h('code', {}, shortId(r.id)))),
      h('td', {}, pv && pv.product_info ? vendorNames.get(pv.product_info.organization_id) || '' : ''),
      h('td', {}, product(pv)),
      h('td', {}, meta.target ? targetLabel(meta.target) : ''),
      h('td', {}, meta.guideline ? versionOf(meta.guideline) : ''),
      h('td', {class: 'flags'},
        r.verification_status === 1 ? h('span', {class: 'badge status-pass'}, '✓ verified') : null, ' ',
        meta.shared ? h('span', {class: 'badge', dataset: {shared: 'true'}}, 'shared') : h('span', {class: 'badge muted'}, 'private')),
      h('td', {}, toggle)), editRow];
  });
  replace(body,
    h('table', {class: 'table', id: 'results-table'},
      h('caption', {class: 'visually-hidden'}, 'Your test runs'),
      h('thead', {}, h('tr', {}, ['Upload date', 'Test run', 'Vendor', 'Product', 'Target program', 'Guideline', 'Status', '']
        .map((c) => h('th', {scope: 'col'}, c)))),
      h('tbody', {}, rows)),
    pagination(data.pagination.current_page, data.pagination.total_pages,
      (p) => navigate('/user_results', {page: p, start, end, verified})));
}
