// #/results/<id>: one test run and its compliance report. The report is
// computed by the server (GET /v1/results/{id}/compliance, refstack-core's
// scoring); this page only renders it.

import {getJson} from '../api.js';
import {alertBox, duration, errorText, h, loading, percent, replace, utc} from '../dom.js';
import {filesFor, isAddOn, targetLabel, targetsOf, versionOf} from '../targets.js';
import {navigate, navigateWith, reload} from '../app.js';
import {runEditor, verifyControl} from '../runedit.js';

/** The owner's and the foundation's controls, for the roles that have them. */
async function manageSection(run) {
  const role = run.user_role;
  if (role !== 'owner' && role !== 'foundation') return null;
  const done = (kind) => {
    if (kind === 'deleted') navigateWith('The test run was deleted.', '/user_results');
    else reload(kind === 'verified' ? 'The test run is verified.' : kind === 'unverified' ? 'The test run is no longer verified.' : 'The test run was updated.');
  };
  let editor;
  try {
    editor = await runEditor(run, done);
  } catch (err) {
    editor = alertBox('danger', errorText(err));
  }
  return h('section', {'aria-labelledby': 'manage-h', id: 'manage'},
    h('h2', {id: 'manage-h'}, 'Manage this run'),
    editor,
    role === 'foundation'
      ? h('div', {class: 'foundation-controls', id: 'foundation-controls'},
        h('h3', {}, 'Verification (foundation)'),
        h('p', {}, run.verification_status === 1 ? 'This run is verified.' : 'This run is not verified.', ' '),
        verifyControl(run, done))
      : null);
}

const FILTERS = [
  ['total', 'All tests'],
  ['passed', 'Passed'],
  ['not_passed', 'Not passed'],
  ['failed', 'Failed'],
  ['skipped', 'Skipped'],
  ['not_run', 'Not run'],
  ['flagged', 'Flagged'],
];

/** How each test status is shown: icon and words. */
const STATUS = {
  passed: ['✔', 'passed'],
  failed: ['✖', 'failed'],
  skipped: ['⤼', 'skipped'],
  expected_failure: ['✖', 'expected failure'],
  unexpected_success: ['✖', 'unexpected success'],
  incomplete: ['…', 'did not finish'],
  not_run: ['○', 'not run'],
};

/** The failed filter also shows the statuses that count as failures. */
const FAILED = new Set(['failed', 'unexpected_success', 'expected_failure', 'incomplete']);

function fact(label, value, id) {
  return [h('dt', {}, label), h('dd', {id}, value)];
}

function details(run) {
  const meta = run.meta || {};
  const pv = run.product_version;
  const sorted = [...(run.results || [])].sort();
  return h('dl', {class: 'facts', id: 'run-details'},
    fact('Test run ID', h('code', {}, run.id), 'run-id'),
    run.cpid ? fact('Cloud ID', h('code', {}, run.cpid), 'run-cpid') : null,
    fact('Upload date', utc(run.created_at), 'run-date'),
    fact('Duration', duration(run.duration_seconds), 'run-duration'),
    fact('Passed tests', h('details', {class: 'passed-list'},
      h('summary', {}, h('span', {id: 'passed-count'}, String(sorted.length)), ' passed (show)'),
      h('ul', {class: 'test-list'}, sorted.map((n) => h('li', {}, h('code', {}, n)))))),
    run.user_role !== 'user' ? fact('Publicly shared', meta.shared ? 'yes' : 'no', 'run-shared') : null,
    pv && pv.product_info ? fact('Product', `${pv.product_info.name}${pv.version ? ` ${pv.version}` : ''}`) : null,
    meta.guideline ? fact('Associated guideline', versionOf(meta.guideline)) : null,
    meta.target ? fact('Target program', targetLabel(meta.target)) : null,
    run.verification_status === 1 ? fact('Verified', h('span', {class: 'badge status-pass'}, 'YES'), 'run-verified') : null);
}

function testVisible(t, filter) {
  switch (filter) {
    case 'passed': return t.passed;
    case 'not_passed': return !t.passed;
    case 'failed': return FAILED.has(t.status);
    case 'skipped': return t.status === 'skipped';
    case 'not_run': return t.status === 'not_run';
    case 'flagged': return t.flagged;
    default: return true;
  }
}

function capClass(c) {
  if (c.total > 0 && c.passed === c.total) return 'cap-pass';
  if (c.passed === 0) return 'cap-fail';
  return 'cap-mixed';
}

function renderTest(t) {
  const status = t.status || (t.passed ? 'passed' : 'not_run');
  const [icon, words] = STATUS[status] || ['?', status];
  return h('li', {class: `${t.passed ? 'test-pass' : 'test-fail'} test-${status}`,
    dataset: {test: t.name, passed: t.passed, flagged: t.flagged, status}},
    h('span', {class: 'icon', 'aria-hidden': 'true', title: words}, icon),
    h('span', {class: 'visually-hidden'}, `${words}: `),
    h('code', {}, t.name),
    status !== 'passed' && status !== 'not_run' ? h('span', {class: 'test-status'}, ` ${words}`) : null,
    t.duration_ms !== undefined ? h('span', {class: 'note test-duration'}, ` (${(t.duration_ms / 1000).toFixed(2)} s)`) : null,
    t.mismatch ? h('span', {class: 'mismatch', title: 'The uploaded passed tests and the full stream disagree about this test; the verdict follows the uploaded passed tests.'},
      t.passed ? ' ⚠ listed as passed, but the stream says otherwise' : ' ⚠ passed in the stream, but not among the uploaded passed tests') : null,
    t.passed_as ? h('span', {class: 'note'}, ` (passed as ${t.passed_as})`) : null,
    t.flagged ? [' ', h('span', {class: 'flag', title: t.flag_reason || 'Flagged by the Interop Working Group.'}, '⚑ flagged'),
      h('span', {class: 'flag-reason'}, ` — ${t.flag_reason || 'Flagged by the Interop Working Group.'}`)] : null,
    t.aliases && t.aliases.length ? h('div', {class: 'aliases'}, 'Aliases: ', t.aliases.map((a, i) => [i ? ', ' : '', h('code', {}, a)])) : null,
    t.skip_reason ? h('div', {class: 'skip-reason'}, 'Skip reason: ', h('span', {class: 'reason-text'}, t.skip_reason)) : null,
    t.traceback ? h('details', {class: 'traceback'}, h('summary', {}, 'Traceback'), h('pre', {}, t.traceback)) : null);
}

function renderStatus(s, filter) {
  const caps = s.capabilities
    .map((c) => ({c, tests: c.tests.filter((t) => testVisible(t, filter))}))
    .filter(({c, tests}) => filter === 'total' || tests.length > 0 || (c.tests.length === 0 && filter === 'not_passed'));
  const title = `${s.status[0].toUpperCase()}${s.status.slice(1)} capabilities`;
  return h('details', {class: 'status-section', open: s.status === 'required', dataset: {status: s.status}},
    h('summary', {}, h('span', {class: 'status-title'}, title),
      ` (${s.capabilities.length}) — ${s.passed}/${s.count} tests passed`,
      s.flagged_passed + s.flagged_failed ? `, ${s.flagged_passed + s.flagged_failed} flagged` : ''),
    caps.length ? h('ul', {class: 'cap-list'}, caps.map(({c, tests}) => h('li', {class: `cap ${capClass(c)}`, dataset: {capability: c.id}},
      h('div', {class: 'cap-head'},
        h('span', {class: 'cap-id'}, c.id), ' ',
        h('span', {class: 'badge cap-count', title: `${c.passed} of ${c.total} tests passed`}, `${c.passed}/${c.total}`),
        c.defined ? null : h('span', {class: 'note'}, ' (not defined by the guideline)')),
      tests.length ? h('ul', {class: 'test-list'}, tests.map(renderTest)) : null)))
      : h('p', {class: 'empty'}, 'No capabilities to show.'));
}

function renderReport(r, filter) {
  const q = r.required;
  const version = versionOf(r.guideline);
  return [
    h('div', {class: `verdict ${r.compliant ? 'verdict-yes' : 'verdict-no'}`, id: 'verdict', role: 'status',
      dataset: {compliant: r.compliant}},
      h('strong', {}, `Compliance with ${version}: `), h('span', {id: 'verdict-value'}, r.compliant ? 'YES' : 'NO')),
    h('p', {id: 'summary'},
      `This cloud passes ${percent(q.pass_percent)} (${q.passed}/${q.count}) of the tests in the ${version} required capabilities for the ${r.program} program. `,
      `Excluding flagged tests, this cloud passes ${percent(q.non_flagged_pass_percent)} (${q.non_flagged_passed}/${q.non_flagged_total}) of the required tests.`),
    r.stream
      ? h('p', {id: 'stream-summary', class: 'note'},
        `Full results: the run's subunit stream holds ${r.stream.tests} tests`,
        r.stream.rejected_packets ? `; ${r.stream.rejected_packets} corrupt packets were skipped` : '',
        r.stream.mismatches ? `; ${r.stream.mismatches} tests of this report disagree with the uploaded passed tests (marked ⚠)` : '',
        '.')
      : h('p', {id: 'stream-summary', class: 'note'},
        'Only the passed tests of this run were uploaded: a test that did not pass may have failed, been skipped or not run.'),
    r.failing_required_capabilities.length
      ? h('p', {id: 'failing'}, 'Required capabilities with a non-flagged test that did not pass: ',
        r.failing_required_capabilities.map((c, i) => [i ? ', ' : '', h('code', {}, c)]))
      : null,
    h('div', {id: 'statuses'}, r.statuses.map((s) => renderStatus(s, filter))),
  ];
}

/** #/results/<id>[?guideline=<file>&target=<t>] */
export async function reportPage(container, {params, query, isCurrent}) {
  const [id] = params;
  replace(container, h('h1', {}, 'Test Run Results'), loading('the test run'));
  let run;
  try {
    run = await getJson(`results/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!isCurrent()) return;
    const message = err.status === 404
      ? `Test run ${id} was not found.`
      : err.status === 401 || err.status === 403
        ? 'This test run is private: only its owner can see it until it is shared.'
        : errorText(err);
    replace(container, h('h1', {}, 'Test Run Results'), alertBox('danger', h('span', {id: 'run-error'}, message)),
      h('p', {}, h('a', {href: '#/community_results'}, 'Back to Community Results')));
    return;
  }
  if (!isCurrent()) return;
  let list = {powered: []};
  try {
    list = await getJson('guidelines');
  } catch (err) {
    // The report still works with the server's defaults.
  }
  if (!isCurrent()) return;

  const state = {guideline: query.get('guideline') || '', target: query.get('target') || '', filter: 'total', report: null};
  const targetSelect = h('select', {id: 'report-target'},
    targetsOf(list).map((t) => h('option', {value: t}, targetLabel(t))));
  const versionSelect = h('select', {id: 'report-version'});
  const filterBox = h('fieldset', {class: 'filters'}, h('legend', {}, 'Show'),
    FILTERS.map(([value, label]) => h('label', {for: `filter-${value}`},
      h('input', {type: 'radio', name: 'test-filter', id: `filter-${value}`, value, checked: value === state.filter,
        onchange: () => { state.filter = value; draw(); }}), ` ${label}`)));
  const reportBody = h('div', {id: 'report-body'});

  const manage = await manageSection(run);
  if (!isCurrent()) return;
  replace(container,
    h('h1', {}, 'Test Run Results'),
    details(run),
    manage,
    h('section', {'aria-labelledby': 'report-h', id: 'report'},
      h('h2', {id: 'report-h'}, 'Compliance report'),
      h('form', {class: 'controls', onsubmit: (e) => e.preventDefault()},
        h('div', {class: 'field'}, h('label', {for: 'report-version'}, 'Guideline version'), versionSelect),
        h('div', {class: 'field'}, h('label', {for: 'report-target'}, 'Target program'), targetSelect)),
      filterBox,
      reportBody,
      compareForm()));

  /** "Compare with an earlier run": the comparison page, this run being the later one. */
  function compareForm() {
    const other = h('input', {type: 'text', id: 'compare-with', placeholder: 'test run ID', size: 38});
    return h('form', {class: 'controls', id: 'compare-form', onsubmit: (e) => {
      e.preventDefault();
      const earlier = other.value.trim();
      if (!earlier) return;
      const q = {};
      if (state.guideline) q.guideline = state.guideline;
      if (state.target) q.target = state.target;
      navigate(`/results/${encodeURIComponent(earlier)}/compare/${encodeURIComponent(id)}`, q);
    }},
    h('div', {class: 'field'}, h('label', {for: 'compare-with'}, 'Compare with an earlier run'), other),
    h('button', {type: 'submit', class: 'btn', id: 'compare-go'}, 'Compare'));
  }

  function fillVersions(selected) {
    const files = filesFor(list, state.target);
    const options = files.map((f) => h('option', {value: f.file, selected: f.file === selected}, versionOf(f.name)));
    if (selected && !files.some((f) => f.file === selected)) {
      options.unshift(h('option', {value: selected, selected: true}, versionOf(selected)));
    }
    replace(versionSelect, options);
  }

  function draw() {
    if (state.report) replace(reportBody, renderReport(state.report, state.filter));
  }

  async function load() {
    replace(reportBody, loading('the compliance report'));
    const asked = {guideline: state.guideline, target: state.target};
    let report;
    try {
      report = await getJson(`results/${encodeURIComponent(id)}/compliance`, asked);
    } catch (err) {
      if (isCurrent() && asked.guideline === state.guideline && asked.target === state.target) {
        state.report = null;
        replace(reportBody, alertBox('danger', h('span', {id: 'report-error'}, errorText(err))));
      }
      return;
    }
    if (!isCurrent() || asked.guideline !== state.guideline || asked.target !== state.target) return;
    state.report = report;
    state.guideline = report.guideline;
    state.target = report.target;
    targetSelect.value = report.target;
    fillVersions(report.guideline);
    history.replaceState(null, '', `#/results/${encodeURIComponent(id)}?guideline=${encodeURIComponent(report.guideline)}&target=${encodeURIComponent(report.target)}`);
    draw();
  }

  targetSelect.addEventListener('change', () => {
    const wasAddOn = isAddOn(state.target);
    state.target = targetSelect.value;
    if (wasAddOn || isAddOn(state.target)) state.guideline = '';
    load();
  });
  versionSelect.addEventListener('change', () => { state.guideline = versionSelect.value; load(); });
  await load();
}
