// #/guidelines: browse a guideline's capabilities and tests per target
// program, and get its test list (reference §7). Only display logic here:
// which capabilities a program has and with which status (as upstream's
// guideline browser resolves them); scoring happens on the server.

import {apiUrl, getJson, getText} from '../api.js';
import {alertBox, errorText, h, loading, replace} from '../dom.js';
import {defaultFile, filesFor, isAddOn, targetLabel, targetsOf, versionOf} from '../targets.js';

const STATUSES = ['required', 'advisory', 'deprecated', 'removed'];
const PRIORITY = {required: 1, advisory: 2, deprecated: 3, removed: 4};
const PLATFORM_NAMES = {
  platform: 'OpenStack Powered Platform',
  compute: 'OpenStack Powered Compute',
  object: 'OpenStack Powered Storage',
};
const FLAG_1_2 = 'Interop Working Group has flagged this test.';

/** Schema, status and releases of a guideline document. */
function describe(doc) {
  if (doc.metadata && String(doc.metadata.schema) >= '2.0') {
    const approval = doc.metadata.os_trademark_approval || {};
    return {schema: String(doc.metadata.schema), v2: true, status: approval.status,
      releases: approval.releases || [], criteria: (doc.metadata.scoring || {}).criteria || {}};
  }
  return {schema: String(doc.schema), v2: false, status: doc.status, releases: doc.releases || [],
    criteria: doc.criteria || {}};
}

/** Capability id → status for a target, or throws when the guideline lacks the program. */
function targetCapabilities(doc, target, v2) {
  const missing = () => new Error(`This guideline does not define the ${targetLabel(target)} program.`);
  const caps = new Map();
  const components = doc.components || {};
  if (target === 'platform' || v2) {
    let names;
    if (doc['add-ons']) {
      names = [`os_powered_${target}`];
    } else if (v2) {
      const program = (doc.platforms || {})[PLATFORM_NAMES[target]];
      if (!program) throw missing();
      names = (program.components || []).map((c) => c.name);
    } else {
      names = (doc.platform || {}).required || [];
    }
    for (const name of names) {
      const component = components[name];
      if (!component) throw missing();
      const lists = v2 ? component.capabilities || {} : component;
      for (const [status, ids] of Object.entries(lists)) {
        if (!PRIORITY[status] || !Array.isArray(ids)) continue;
        for (const id of ids) {
          const seen = caps.get(id);
          if (!seen || PRIORITY[status] < PRIORITY[seen]) caps.set(id, status);
        }
      }
    }
  } else {
    const component = components[target];
    if (!component) throw missing();
    for (const [status, ids] of Object.entries(component)) {
      if (!PRIORITY[status] || !Array.isArray(ids)) continue;
      for (const id of ids) caps.set(id, status);
    }
  }
  return caps;
}

/** The tests of a capability: [{name, id, flagged, reason, aliases}]. */
function testsOf(cap) {
  if (!cap || !cap.tests) return [];
  if (Array.isArray(cap.tests)) {
    const flagged = new Set(cap.flagged || []);
    return cap.tests.map((name) => ({name, id: null, flagged: flagged.has(name),
      reason: flagged.has(name) ? FLAG_1_2 : null, aliases: []}));
  }
  return Object.entries(cap.tests).map(([name, d]) => {
    const details = d || {};
    const flagged = Object.prototype.hasOwnProperty.call(details, 'flagged');
    return {name, id: details.idempotent_id || null, flagged,
      reason: flagged ? (details.flagged && details.flagged.reason) || 'Flagged.' : null,
      aliases: Array.isArray(details.aliases) ? details.aliases : []};
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function option(value, label, selected) {
  return h('option', {value, selected}, label);
}

function renderCapability(id, status, cap) {
  const tests = testsOf(cap);
  return h('article', {class: 'capability', dataset: {capability: id, status}},
    h('h3', {}, h('span', {class: 'cap-id'}, id), ' ', h('span', {class: `badge status-${status}`}, status)),
    cap && cap.description ? h('p', {}, cap.description) : null,
    cap ? h('p', {class: 'meta'},
      cap.project ? ['Project: ', h('strong', {}, cap.project), ' '] : null,
      Array.isArray(cap.achievements) && cap.achievements.length ? ['· Achievements: ', cap.achievements.join(', '), ' '] : null,
      cap.admin ? '· Needs admin credentials ' : null,
      cap.required_since ? ['· Required since ', cap.required_since] : null) : h('p', {class: 'meta'}, 'Not defined by this guideline.'),
    h('details', {class: 'tests'},
      h('summary', {}, `Tests (${tests.length})`),
      h('ul', {class: 'test-list'}, tests.map((t) => h('li', {dataset: {test: t.name}},
        h('code', {}, t.name),
        t.flagged ? [' ', h('span', {class: 'flag', title: t.reason}, '⚑ flagged'), h('span', {class: 'flag-reason'}, ` — ${t.reason}`)] : null,
        t.aliases.length ? h('div', {class: 'aliases'}, 'Aliases: ', t.aliases.map((a, i) => [i ? ', ' : '', h('code', {}, a)])) : null)))));
}

function renderCriteria(criteria) {
  const rows = Object.entries(criteria || {});
  if (!rows.length) return null;
  return h('section', {'aria-labelledby': 'criteria-h'},
    h('h2', {id: 'criteria-h'}, 'Criteria'),
    h('table', {class: 'table'},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Criterion'), h('th', {scope: 'col'}, 'Description'), h('th', {scope: 'col'}, 'Weight'))),
      h('tbody', {}, rows.map(([key, c]) => h('tr', {},
        h('th', {scope: 'row'}, (c && c.name) || key),
        h('td', {}, (c && (c.Description || c.description)) || ''),
        h('td', {class: 'num'}, c && c.weight !== undefined ? String(c.weight) : ''))))));
}

/** The "Test list" dialog. */
function testListDialog(state) {
  const aliases = h('input', {type: 'checkbox', id: 'tl-alias', checked: true});
  const flagged = h('input', {type: 'checkbox', id: 'tl-flag'});
  const body = h('div', {class: 'dialog-body', 'aria-live': 'polite'});
  const closeButton = h('button', {type: 'button', class: 'btn'}, 'Close');
  const dialog = h('dialog', {id: 'test-list-dialog', 'aria-labelledby': 'tl-h'},
    h('h2', {id: 'tl-h'}, 'Test list'),
    h('p', {class: 'options'},
      h('label', {for: 'tl-alias'}, aliases, ' Include test aliases'), ' ',
      h('label', {for: 'tl-flag'}, flagged, ' Include flagged tests')),
    body,
    h('div', {class: 'dialog-actions'}, closeButton));
  closeButton.addEventListener('click', () => dialog.close());

  async function refresh() {
    const types = STATUSES.filter((s) => state.checked.has(s));
    if (!types.length) {
      replace(body, alertBox('warning', 'Select at least one capability status.'));
      return;
    }
    const params = {target: state.target, type: types.join(','), alias: aliases.checked ? 'true' : 'false',
      flag: flagged.checked ? 'true' : 'false'};
    const path = `guidelines/${encodeURIComponent(state.file)}/tests`;
    const url = apiUrl(path, params);
    replace(body, loading('the test list'));
    try {
      const {text} = await getText(path, params);
      const count = text.split('\n').filter((l) => l.trim() !== '').length;
      const fileName = `${versionOf(state.file)}-test-list.txt`;
      replace(body,
        h('p', {}, h('strong', {id: 'test-count', dataset: {count}}, String(count)),
          ` ${count === 1 ? 'test' : 'tests'} (${types.join(', ')}) for ${targetLabel(state.target)}, guideline ${versionOf(state.file)}.`),
        h('p', {}, 'Download it with:'),
        h('pre', {class: 'code', id: 'wget-line'}, h('code', {}, `wget "${url}" -O ${fileName}`)),
        h('p', {}, h('a', {class: 'btn btn-primary', href: url, download: fileName, id: 'download-link'}, `Download ${fileName}`)));
    } catch (err) {
      replace(body, alertBox('danger', errorText(err)));
    }
  }
  aliases.addEventListener('change', refresh);
  flagged.addEventListener('change', refresh);
  return {dialog, open: () => { dialog.showModal(); refresh(); }};
}

/** #/guidelines[?version=<file>&target=<t>] */
export async function guidelinesPage(container, {query, isCurrent}) {
  replace(container, h('h1', {}, 'OpenStack Powered™ Guidelines'), loading('the guideline list'));
  const list = await getJson('guidelines');
  if (!isCurrent()) return;
  const targets = targetsOf(list);
  const state = {target: targets.includes(query.get('target')) ? query.get('target') : 'platform', file: null,
    checked: new Set(['required'])};

  const versionSelect = h('select', {id: 'guideline-version'});
  const targetSelect = h('select', {id: 'guideline-target'},
    targets.map((t) => option(t, targetLabel(t), t === state.target)));
  const statusBoxes = h('fieldset', {class: 'statuses'}, h('legend', {}, 'Capability status'),
    STATUSES.map((s) => h('label', {for: `status-${s}`},
      h('input', {type: 'checkbox', id: `status-${s}`, value: s, checked: state.checked.has(s),
        onchange: (e) => { if (e.target.checked) state.checked.add(s); else state.checked.delete(s); applyFilter(); }}),
      ` ${s[0].toUpperCase()}${s.slice(1)}`)));
  const info = h('div', {id: 'guideline-info'});
  const content = h('div', {id: 'guideline-content'});
  const tl = testListDialog(state);
  const testListButton = h('button', {type: 'button', class: 'btn btn-primary', id: 'test-list-button', onclick: tl.open}, 'Test list…');
  const expandButton = h('button', {type: 'button', class: 'btn', id: 'expand-tests', dataset: {open: 'false'}}, 'Show all tests');
  expandButton.addEventListener('click', () => {
    const open = expandButton.dataset.open !== 'true';
    expandButton.dataset.open = String(open);
    expandButton.textContent = open ? 'Hide all tests' : 'Show all tests';
    for (const d of content.querySelectorAll('details.tests')) d.open = open;
  });

  replace(container,
    h('h1', {}, 'OpenStack Powered™ Guidelines'),
    h('form', {class: 'controls', onsubmit: (e) => e.preventDefault()},
      h('div', {class: 'field'}, h('label', {for: 'guideline-version'}, 'Version'), versionSelect),
      h('div', {class: 'field'}, h('label', {for: 'guideline-target'}, 'Target program'), targetSelect)),
    info, statusBoxes, h('p', {class: 'actions'}, testListButton, ' ', expandButton), content, tl.dialog);

  function fillVersions(preferred) {
    const files = filesFor(list, state.target);
    const chosen = files.some((f) => f.file === preferred) ? preferred : defaultFile(files);
    replace(versionSelect, files.map((f) => option(f.file, versionOf(f.name), f.file === chosen)));
    state.file = chosen;
  }

  function applyFilter() {
    let shown = 0;
    for (const el of content.querySelectorAll('.capability')) {
      const visible = state.checked.has(el.dataset.status);
      el.hidden = !visible;
      if (visible) shown += 1;
    }
    const counter = content.querySelector('#capability-count');
    if (counter) counter.textContent = `${shown} ${shown === 1 ? 'capability' : 'capabilities'} shown`;
  }

  async function load() {
    history.replaceState(null, '', `#/guidelines?version=${encodeURIComponent(state.file || '')}&target=${encodeURIComponent(state.target)}`);
    testListButton.disabled = !state.file;
    if (!state.file) {
      replace(info);
      replace(content, alertBox('warning', `No guideline is available for ${targetLabel(state.target)}.`));
      return;
    }
    replace(content, loading(`guideline ${versionOf(state.file)}`));
    const file = state.file;
    const target = state.target;
    let doc;
    try {
      doc = await getJson(`guidelines/${encodeURIComponent(file)}`);
    } catch (err) {
      if (state.file === file) replace(content, alertBox('danger', errorText(err)));
      return;
    }
    if (state.file !== file || state.target !== target || !isCurrent()) return;
    const d = describe(doc);
    replace(info, h('dl', {class: 'facts'},
      h('dt', {}, 'Status'), h('dd', {id: 'guideline-status'}, d.status || 'unknown'),
      h('dt', {}, 'Releases'), h('dd', {}, d.releases.length ? d.releases.join(', ') : 'none listed'),
      h('dt', {}, 'Schema'), h('dd', {}, d.schema)));
    let caps;
    try {
      caps = targetCapabilities(doc, target, d.v2);
    } catch (err) {
      replace(content, alertBox('warning', errorText(err)));
      return;
    }
    const ids = [...caps.keys()].sort();
    replace(content,
      h('h2', {}, `Capabilities of ${targetLabel(target)}`),
      h('p', {id: 'capability-count', role: 'status'}),
      ids.length ? ids.map((id) => renderCapability(id, caps.get(id), (doc.capabilities || {})[id])) : alertBox('info', 'No capabilities.'),
      renderCriteria(d.criteria));
    if (expandButton.dataset.open === 'true') {
      for (const d of content.querySelectorAll('details.tests')) d.open = true;
    }
    applyFilter();
  }

  versionSelect.addEventListener('change', () => { state.file = versionSelect.value; load(); });
  targetSelect.addEventListener('change', () => {
    const wasAddOn = isAddOn(state.target);
    state.target = targetSelect.value;
    // Same version across powered targets; add-ons have their own files.
    fillVersions(wasAddOn === isAddOn(state.target) && !isAddOn(state.target) ? state.file : null);
    load();
  });
  fillVersions(query.get('version'));
  await load();
}
