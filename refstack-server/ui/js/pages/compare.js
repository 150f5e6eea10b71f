// #/results/<a>/compare/<b>[?guideline=<file>&target=<t>]: what changed from
// run a to run b. The server scores both runs and compares them
// (GET /v1/results/{a}/compare/{b}, refstack-core); this page only renders it.

import {getJson} from '../api.js';
import {alertBox, errorText, h, loading, percent, replace} from '../dom.js';
import {targetLabel, versionOf} from '../targets.js';

const WORDS = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  expected_failure: 'expected failure',
  unexpected_success: 'unexpected success',
  incomplete: 'did not finish',
  not_run: 'not run',
};

function runLink(id) {
  return h('a', {href: `#/results/${encodeURIComponent(id)}`}, h('code', {}, id));
}

function runRow(label, run) {
  return h('tr', {dataset: {run: run.test_id}},
    h('th', {scope: 'row'}, label),
    h('td', {}, runLink(run.test_id)),
    h('td', {class: run.compliant ? 'test-pass' : 'test-fail'}, run.compliant ? 'YES' : 'NO'),
    h('td', {}, `${percent(run.pass_percent)} (${run.passed}/${run.count})`),
    h('td', {}, run.full_results ? 'yes' : 'passed tests only'));
}

function verdictWord(passes) {
  return h('span', {class: passes ? 'test-pass' : 'test-fail'}, passes ? '✔ passes' : '✖ does not pass');
}

function render(r) {
  return [
    h('p', {id: 'compare-against'}, `Scored against ${versionOf(r.guideline)} for the ${r.program} program (${targetLabel(r.target)}).`),
    h('table', {class: 'table', id: 'compare-runs'},
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Test run'), h('th', {}, 'Compliant'),
        h('th', {}, 'Required tests passed'), h('th', {}, 'Full results'))),
      h('tbody', {}, runRow('Before', r.before), runRow('After', r.after))),
    h('h2', {}, 'Capabilities whose verdict changed'),
    r.capabilities.length
      ? h('ul', {id: 'changed-capabilities', class: 'cap-list'}, r.capabilities.map((c) =>
        h('li', {dataset: {capability: c.id, status: c.status}},
          h('code', {}, c.id), ` (${c.status}): `, verdictWord(c.before), ' → ', verdictWord(c.after))))
      : h('p', {id: 'changed-capabilities', class: 'empty'}, 'No capability changed its verdict.'),
    h('h2', {}, 'Tests that changed'),
    r.tests.length
      ? h('table', {class: 'table', id: 'changed-tests'},
        h('thead', {}, h('tr', {}, h('th', {}, 'Test'), h('th', {}, 'Capability'), h('th', {}, 'Before'), h('th', {}, 'After'))),
        h('tbody', {}, r.tests.map((t) => h('tr', {dataset: {test: t.name, before: t.before, after: t.after}},
          h('td', {}, h('code', {}, t.name), t.flagged ? h('span', {class: 'flag'}, ' ⚑ flagged') : null),
          h('td', {}, h('code', {}, t.capability), ` (${t.status})`),
          h('td', {class: `test-${t.before}`}, WORDS[t.before] || t.before),
          h('td', {class: `test-${t.after}`}, WORDS[t.after] || t.after)))))
      : h('p', {id: 'changed-tests', class: 'empty'}, 'No test changed.'),
  ];
}

/** #/results/<a>/compare/<b> */
export async function comparePage(container, {params, query, isCurrent}) {
  const [a, b] = params;
  replace(container, h('h1', {}, 'Compare Test Runs'), loading('the comparison'));
  let report;
  try {
    report = await getJson(`results/${encodeURIComponent(a)}/compare/${encodeURIComponent(b)}`,
      {guideline: query.get('guideline') || '', target: query.get('target') || ''});
  } catch (err) {
    if (!isCurrent()) return;
    replace(container, h('h1', {}, 'Compare Test Runs'), alertBox('danger', h('span', {id: 'compare-error'}, errorText(err))));
    return;
  }
  if (!isCurrent()) return;
  replace(container, h('h1', {}, 'Compare Test Runs'), render(report));
}
