// The owner's controls of one test run (shared by My Results and the
// report page): share / unshare, guideline and target (meta), product
// version (PUT /v1/results/{id}), delete; and the foundation's verify /
// unverify (PUT verification_status). The server checks every change.

import {getJson, send} from './api.js';
import {act, alertBox, confirmButton, field, h, replace} from './dom.js';
import {targetLabel, TARGET_LABELS, versionOf} from './targets.js';

let guidelineFiles = null;

/** Every guideline file the server lists, newest first (cached). */
async function guidelineOptions() {
  if (guidelineFiles) return guidelineFiles;
  const list = await getJson('guidelines');
  const files = [];
  for (const entries of Object.values(list)) {
    if (Array.isArray(entries)) for (const e of entries) files.push(e.file);
  }
  files.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  guidelineFiles = files;
  return files;
}

/** Sets or removes one meta key; a missing key is fine to remove. */
async function setMeta(id, key, value) {
  const path = `results/${encodeURIComponent(id)}/meta/${key}`;
  if (value) {
    await send('POST', path, {text: value});
    return;
  }
  try {
    await send('DELETE', path);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
}

function versionLabel(v) {
  return v.version === null || v.version === undefined || v.version === '' ? '(no version)' : v.version;
}

/**
 * The edit form of a run the caller owns (role owner or foundation):
 * `onDone(kind)` is called after a save ("saved") or a delete ("deleted").
 */
export async function runEditor(run, onDone) {
  const id = run.id;
  const meta = run.meta || {};
  const sfx = id.replace(/[^A-Za-z0-9_-]/g, '');
  const status = h('div', {class: 'edit-status', id: `edit-status-${sfx}`});
  if (run.verification_status === 1) {
    return h('div', {class: 'run-editor', dataset: {runId: id}},
      alertBox('info', 'This run is verified: it can no longer be changed or deleted (the foundation can unverify it first).'));
  }
  const [files, {products}] = await Promise.all([guidelineOptions().catch(() => []), getJson('products')]);
  const mine = products.filter((p) => p.can_manage);
  const shared = h('input', {type: 'checkbox', id: `edit-shared-${sfx}`, checked: Boolean(meta.shared)});
  const guideline = h('select', {id: `edit-guideline-${sfx}`},
    h('option', {value: ''}, '(none)'),
    files.map((f) => h('option', {value: f, selected: f === meta.guideline}, versionOf(f))),
    meta.guideline && !files.includes(meta.guideline) ? h('option', {value: meta.guideline, selected: true}, meta.guideline) : null);
  const target = h('select', {id: `edit-target-${sfx}`},
    h('option', {value: ''}, '(none)'),
    Object.keys(TARGET_LABELS).map((t) => h('option', {value: t, selected: t === meta.target}, targetLabel(t))));
  const pv = run.product_version;
  const currentProduct = pv && pv.product_info ? pv.product_info.id : '';
  const product = h('select', {id: `edit-product-${sfx}`},
    h('option', {value: ''}, '(not associated)'),
    mine.map((p) => h('option', {value: p.id, selected: p.id === currentProduct}, p.name)),
    currentProduct && !mine.some((p) => p.id === currentProduct)
      ? h('option', {value: currentProduct, selected: true}, pv.product_info.name) : null);
  const version = h('select', {id: `edit-version-${sfx}`});
  async function fillVersions() {
    if (!product.value) {
      replace(version, h('option', {value: ''}, '—'));
      version.disabled = true;
      return;
    }
    version.disabled = false;
    let versions = [];
    try {
      versions = await getJson(`products/${encodeURIComponent(product.value)}/versions`);
    } catch (err) {
      versions = pv && pv.product_info && pv.product_info.id === product.value ? [pv] : [];
    }
    replace(version, versions.map((v) => h('option', {value: v.id, selected: pv && v.id === pv.id}, versionLabel(v))));
  }
  product.addEventListener('change', fillVersions);
  await fillVersions();

  const save = h('button', {type: 'submit', class: 'btn btn-primary', id: `edit-save-${sfx}`}, 'Save');
  const form = h('form', {class: 'run-editor', dataset: {runId: id}, onsubmit: async (e) => {
    e.preventDefault();
    replace(status);
    const ok = await act(status, save, async () => {
      const wantShared = shared.checked ? 'true' : '';
      if (wantShared !== (meta.shared ? 'true' : '')) await setMeta(id, 'shared', wantShared);
      if (guideline.value !== (meta.guideline || '')) await setMeta(id, 'guideline', guideline.value);
      if (target.value !== (meta.target || '')) await setMeta(id, 'target', target.value);
      const wantVersion = product.value ? version.value : '';
      if (wantVersion !== (pv ? pv.id : '')) {
        await send('PUT', `results/${encodeURIComponent(id)}`, {product_version_id: wantVersion || null});
      }
    });
    if (ok) onDone('saved');
  }},
  h('div', {class: 'controls'},
    h('div', {class: 'field checkbox-field'}, h('label', {for: shared.id}, shared, ' Publicly shared')),
    field('Guideline', guideline),
    field('Target program', target),
    field('Product', product),
    field('Version', version)),
  h('p', {class: 'hint'}, 'Associating the run with a product version lets that product\u2019s vendor see it; a run must be shared ',
    'and have a guideline and a target program before the foundation can verify it.'),
  h('div', {class: 'field buttons'}, save, ' ',
    confirmButton('Delete', 'Delete this test run for good?', async (e) => {
      const ok = await act(status, e.target, () => send('DELETE', `results/${encodeURIComponent(id)}`));
      if (ok) onDone('deleted');
    }, {id: `edit-delete-${sfx}`})),
  status);
  return form;
}

/** The foundation's verify / unverify button of a run. */
export function verifyControl(run, onDone) {
  const sfx = run.id.replace(/[^A-Za-z0-9_-]/g, '');
  const status = h('span', {class: 'edit-status'});
  const verified = run.verification_status === 1;
  const button = h('button', {type: 'button', class: verified ? 'btn' : 'btn btn-primary', id: `verify-${sfx}`,
    dataset: {verify: verified ? '0' : '1'},
    onclick: async () => {
      const ok = await act(status, button, () => send('PUT', `results/${encodeURIComponent(run.id)}`,
        {verification_status: verified ? 0 : 1}));
      if (ok) onDone(verified ? 'unverified' : 'verified');
    }}, verified ? 'Unverify' : 'Mark verified');
  return h('span', {class: 'verify-control'}, button, ' ', status);
}
