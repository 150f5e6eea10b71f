// #/user_products (the caller's products, add one) and #/product/<id>
// (upstream #/cloud/<id>, #/distro/<id>): detail, edit, public / private,
// delete, versions (add, delete, cpid) and the product's test runs.

import {getJson, send} from '../api.js';
import {act, alertBox, confirmButton, field, h, loading, replace, shortId, utc} from '../dom.js';
import {navigateWith, reload} from '../app.js';
import {targetLabel, versionOf} from '../targets.js';
import {PRODUCT_TYPES, VENDOR_TYPES} from './vendors.js';

function productLink(p) {
  return h('a', {href: `#/product/${encodeURIComponent(p.id)}`}, p.name);
}

/** #/user_products */
export async function myProductsPage(container, {user, isCurrent}) {
  replace(container, h('h1', {}, 'My Products'), loading('your products'));
  const [{products}, {vendors}] = await Promise.all([getJson('products'), getJson('vendors')]);
  if (!isCurrent()) return;
  const vendorNames = new Map(vendors.map((v) => [v.id, v.name]));
  const mine = products.filter((p) => p.can_manage).sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const manageable = vendors.filter((v) => v.can_manage && v.type !== 0);
  const status = h('div', {id: 'product-status'});
  const name = h('input', {type: 'text', id: 'product-name', required: true, maxlength: 80});
  const description = h('textarea', {id: 'product-description', rows: 2});
  const type = h('select', {id: 'product-type'},
    Object.entries(PRODUCT_TYPES).map(([v, l]) => h('option', {value: v}, l)));
  const vendor = h('select', {id: 'product-vendor'},
    manageable.map((v) => h('option', {value: v.id}, `${v.name} (${VENDOR_TYPES[v.type]})`)),
    h('option', {value: ''}, 'Create a new private vendor for me'));
  const version = h('input', {type: 'text', id: 'product-version', maxlength: 36, placeholder: 'e.g. 2024.1'});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', id: 'product-create'}, 'Add product');
  replace(container,
    h('h1', {}, 'My Products'),
    h('p', {}, user.is_admin
      ? 'As a foundation administrator you manage every product.'
      : 'The products of the vendors you are a user of.'),
    mine.length
      ? h('table', {class: 'table', id: 'my-products-table'},
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Vendor', 'Visibility'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, mine.map((p) => h('tr', {dataset: {productId: p.id}},
          h('td', {}, productLink(p)), h('td', {}, PRODUCT_TYPES[p.product_type] || String(p.product_type)),
          h('td', {}, vendorNames.get(p.organization_id) || ''),
          h('td', {}, p.public ? h('span', {class: 'badge status-pass'}, 'public') : h('span', {class: 'badge'}, 'private'))))))
      : alertBox('info', 'You have no products yet.'),
    h('section', {'aria-labelledby': 'add-product-h'},
      h('h2', {id: 'add-product-h'}, 'Add a product'),
      h('form', {id: 'product-form', onsubmit: async (e) => {
        e.preventDefault();
        let created = null;
        const body = {name: name.value.trim(), product_type: Number(type.value)};
        if (description.value.trim()) body.description = description.value.trim();
        if (vendor.value) body.organization_id = vendor.value;
        if (version.value.trim()) body.version = version.value.trim();
        const ok = await act(status, submit, async () => { created = await send('POST', 'products', body); });
        if (ok) navigateWith('The product was created.', `/product/${encodeURIComponent(created.id)}`);
      }},
      h('div', {class: 'controls'}, field('Name', name), field('Type', type), field('Vendor', vendor),
        field('First version (optional)', version)),
      h('div', {class: 'controls'}, field('Description', description)),
      h('div', {class: 'field buttons'}, submit)),
      status));
}

function versionName(v) {
  return v.version === null || v.version === undefined || v.version === '' ? '(no version)' : v.version;
}

function versionsSection(product, versions, runs, manage, status) {
  const id = product.id;
  const verified = new Map();
  for (const r of runs) {
    if (r.verification_status === 1 && r.product_version) {
      const list = verified.get(r.product_version.id) || [];
      list.push(r);
      verified.set(r.product_version.id, list);
    }
  }
  const rows = versions.map((v) => {
    const cpid = h('input', {type: 'text', value: v.cpid || '', 'aria-label': `Cloud ID of ${versionName(v)}`,
      dataset: {cpidOf: v.id}, maxlength: 36});
    const save = h('button', {type: 'submit', class: 'btn btn-small', dataset: {saveCpid: v.id}}, 'Save');
    const runsOf = verified.get(v.id) || [];
    return h('tr', {dataset: {versionId: v.id, version: v.version || ''}},
      h('td', {}, versionName(v)),
      h('td', {}, manage
        ? h('form', {class: 'inline-form', onsubmit: async (e) => {
          e.preventDefault();
          if (await act(status, save, () => send('PUT', `products/${encodeURIComponent(id)}/versions/${encodeURIComponent(v.id)}`,
            {cpid: cpid.value.trim() || null}))) {
            reload('The cloud ID was saved.');
          }
        }}, cpid, ' ', save)
        : h('code', {}, v.cpid || '')),
      h('td', {class: 'verified-runs'}, runsOf.length
        ? runsOf.map((r, i) => [i ? ', ' : '', h('a', {href: `#/results/${encodeURIComponent(r.id)}`, title: r.id},
          h('code', {}, shortId(r.id))), r.meta && r.meta.guideline ? ` (${versionOf(r.meta.guideline)}${r.meta.target ? `, ${targetLabel(r.meta.target)}` : ''})` : ''])
        : h('span', {class: 'note'}, 'none')),
      manage ? h('td', {}, v.version === null || v.version === undefined ? null : confirmButton('Delete', 'Delete this version?', async (e) => {
        if (await act(status, e.target, () => send('DELETE', `products/${encodeURIComponent(id)}/versions/${encodeURIComponent(v.id)}`))) {
          reload('The version was deleted.');
        }
      }, {dataset: {deleteVersion: v.id}})) : null);
  });
  let addForm = null;
  if (manage) {
    const version = h('input', {type: 'text', id: 'new-version', required: true, maxlength: 36});
    const cpid = h('input', {type: 'text', id: 'new-version-cpid', maxlength: 36});
    const add = h('button', {type: 'submit', class: 'btn btn-primary', id: 'version-add'}, 'Add version');
    addForm = h('form', {class: 'controls', id: 'version-form', onsubmit: async (e) => {
      e.preventDefault();
      const body = {version: version.value.trim()};
      if (cpid.value.trim()) body.cpid = cpid.value.trim();
      if (await act(status, add, () => send('POST', `products/${encodeURIComponent(id)}/versions`, body))) {
        reload('The version was added.');
      }
    }}, field('New version', version), field('Cloud ID (cpid, optional)', cpid), h('div', {class: 'field buttons'}, add));
  }
  return h('section', {'aria-labelledby': 'versions-h', id: 'versions'},
    h('h2', {id: 'versions-h'}, 'Versions'),
    h('p', {}, 'A signed upload whose cloud ID (cpid) is that of exactly one version is associated with it when the uploader is a user of this vendor.'),
    h('table', {class: 'table', id: 'versions-table'},
      h('thead', {}, h('tr', {}, ['Version', 'Cloud ID (cpid)', 'Verified runs', manage ? '' : null].filter((c) => c !== null).map((c) => h('th', {scope: 'col'}, c)))),
      h('tbody', {}, rows)),
    addForm);
}

function runsSection(runs) {
  return h('section', {'aria-labelledby': 'product-runs-h', id: 'product-runs'},
    h('h2', {id: 'product-runs-h'}, 'Test runs of this product'),
    runs.length
      ? h('table', {class: 'table', id: 'product-runs-table'},
        h('thead', {}, h('tr', {}, ['Upload date', 'Test run', 'Version', 'Guideline', 'Target program', 'Verified'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, runs.map((r) => h('tr', {dataset: {resultId: r.id}},
          h('td', {}, utc(r.created_at)),
          h('td', {}, h('a', {href: `#/results/${encodeURIComponent(r.id)}`, title: r.id}, h('code', {}, shortId(r.id)))),
          h('td', {}, r.product_version ? versionName(r.product_version) : ''),
          h('td', {}, r.meta && r.meta.guideline ? versionOf(r.meta.guideline) : ''),
          h('td', {}, r.meta && r.meta.target ? targetLabel(r.meta.target) : ''),
          h('td', {}, r.verification_status === 1 ? h('span', {class: 'badge status-pass'}, '✓ verified') : '')))))
      : h('p', {class: 'empty'}, 'No test runs are associated with this product.'));
}

/** #/product/<id> */
export async function productPage(container, {params, isCurrent}) {
  const [id] = params;
  replace(container, h('h1', {}, 'Product'), loading('the product'));
  const product = await getJson(`products/${encodeURIComponent(id)}`);
  const [vendor, versions, runsPage] = await Promise.all([
    getJson(`vendors/${encodeURIComponent(product.organization_id)}`).catch(() => null),
    getJson(`products/${encodeURIComponent(id)}/versions`),
    getJson('results', {product_id: id}).catch(() => ({results: []})),
  ]);
  if (!isCurrent()) return;
  const runs = runsPage.results;
  const manage = product.can_manage;
  const status = h('div', {id: 'product-status'});
  const actions = [];
  let editForm = null;
  if (manage) {
    if (vendor && (vendor.type === 0 || vendor.type === 3)) {
      actions.push(h('button', {type: 'button', class: 'btn', id: 'product-publicity', dataset: {public: product.public},
        onclick: async (e) => {
          if (await act(status, e.target, () => send('PUT', `products/${encodeURIComponent(id)}`, {public: !product.public}))) {
            reload(product.public ? 'The product is now private.' : 'The product is now public.');
          }
        }}, product.public ? 'Make private' : 'Make public'));
    }
    actions.push(confirmButton('Delete', 'Delete this product and its versions?', async (e) => {
      if (await act(status, e.target, () => send('DELETE', `products/${encodeURIComponent(id)}`))) {
        navigateWith('The product was deleted.', '/user_products');
      }
    }, {id: 'product-delete'}));
    const name = h('input', {type: 'text', id: 'edit-product-name', value: product.name, required: true});
    const description = h('textarea', {id: 'edit-product-description', rows: 2}, product.description || '');
    const save = h('button', {type: 'submit', class: 'btn btn-primary', id: 'edit-product-save'}, 'Save');
    editForm = h('details', {class: 'edit', id: 'edit-product'}, h('summary', {}, 'Edit'),
      h('form', {onsubmit: async (e) => {
        e.preventDefault();
        if (await act(status, save, () => send('PUT', `products/${encodeURIComponent(id)}`,
          {name: name.value.trim(), description: description.value}))) {
          reload('The product was updated.');
        }
      }}, h('div', {class: 'controls'}, field('Name', name), field('Description', description)),
      h('div', {class: 'field buttons'}, save)));
  }
  replace(container,
    h('h1', {}, product.name),
    h('dl', {class: 'facts', id: 'product-details'},
      h('dt', {}, 'Type'), h('dd', {id: 'product-type-text'}, PRODUCT_TYPES[product.product_type] || String(product.product_type)),
      h('dt', {}, 'Vendor'), h('dd', {}, vendor ? h('a', {href: `#/vendor/${encodeURIComponent(vendor.id)}`}, vendor.name) : ''),
      h('dt', {}, 'Description'), h('dd', {}, product.description || ''),
      h('dt', {}, 'Visibility'), h('dd', {id: 'product-visibility'}, product.public ? 'public' : 'private')),
    manage && vendor && vendor.type !== 0 && vendor.type !== 3
      ? h('p', {class: 'note'}, 'The product can be made public once its vendor is approved by the foundation.') : null,
    actions.length ? h('div', {class: 'actions', id: 'product-actions'}, actions) : null,
    status,
    editForm,
    versionsSection(product, versions, runs, manage, status),
    runsSection(runs));
}
