// #/public_vendors and #/public_products: the public catalog
// (GET /v1/vendors, GET /v1/products).

import {getJson} from '../api.js';
import {alertBox, h, loading, replace} from '../dom.js';

const VENDOR_TYPES = {0: 'OpenStack', 1: 'Private', 2: 'Pending approval', 3: 'Official'};
const PRODUCT_TYPES = {0: 'Distro', 1: 'Public Cloud', 2: 'Hosted Private Cloud'};

function byName(a, b) {
  return String(a.name).localeCompare(String(b.name));
}

/** #/public_vendors: the foundation and the official vendors. */
export async function vendorsPage(container, {isCurrent}) {
  replace(container, h('h1', {}, 'Vendors'), loading('the vendors'));
  const {vendors} = await getJson('vendors');
  if (!isCurrent()) return;
  const shown = vendors.filter((v) => v.type === 0 || v.type === 3)
    .sort((a, b) => a.type - b.type || byName(a, b));
  replace(container,
    h('h1', {}, 'Vendors'),
    h('p', {}, 'Vendors whose registration the OpenStack Foundation approved.'),
    shown.length
      ? h('table', {class: 'table', id: 'vendors-table'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Type'), h('th', {scope: 'col'}, 'Description'))),
        h('tbody', {}, shown.map((v) => h('tr', {dataset: {vendorId: v.id}},
          h('td', {}, h('a', {href: `#/vendor/${encodeURIComponent(v.id)}`}, v.name)), h('td', {}, VENDOR_TYPES[v.type] || String(v.type)), h('td', {}, v.description || '')))))
      : alertBox('info', 'No public vendors yet.'));
}

/** #/public_products: the public products with their vendor. */
export async function productsPage(container, {isCurrent}) {
  replace(container, h('h1', {}, 'Products'), loading('the products'));
  const [{products}, {vendors}] = await Promise.all([getJson('products'), getJson('vendors')]);
  if (!isCurrent()) return;
  const vendorNames = new Map(vendors.map((v) => [v.id, v.name]));
  const shown = products.filter((p) => p.public).sort(byName);
  replace(container,
    h('h1', {}, 'Products'),
    h('p', {}, 'Public clouds and distributions registered by their vendors.'),
    shown.length
      ? h('table', {class: 'table', id: 'products-table'},
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Vendor', 'Description'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, shown.map((p) => h('tr', {dataset: {productId: p.id}},
          h('td', {}, h('a', {href: `#/product/${encodeURIComponent(p.id)}`}, p.name)), h('td', {}, PRODUCT_TYPES[p.product_type] || String(p.product_type)),
          h('td', {}, vendorNames.get(p.organization_id) || ''), h('td', {}, p.description || '')))))
      : alertBox('info', 'No public products yet.'));
}
