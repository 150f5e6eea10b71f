// #/user_vendors (the caller's vendors, add one), #/vendor/<id> (detail,
// edit, users, registration, the foundation's approve / deny, delete) and
// #/foundation (pending vendors, runs to verify).

import {base64, getJson, send} from '../api.js';
import {act, alertBox, confirmButton, field, h, loading, replace, shortId, utc} from '../dom.js';
import {navigateWith, reload} from '../app.js';
import {targetLabel, versionOf} from '../targets.js';
import {verifyControl} from '../runedit.js';

export const VENDOR_TYPES = {0: 'OpenStack', 1: 'Private', 2: 'Pending approval', 3: 'Official'};
export const PRODUCT_TYPES = {0: 'Distro', 1: 'Public Cloud', 2: 'Hosted Private Cloud'};

function byTypeAndName(a, b) {
  return a.type - b.type || String(a.name).localeCompare(String(b.name));
}

function vendorsTable(vendors, id) {
  return h('table', {class: 'table', id},
    h('thead', {}, h('tr', {}, ['Name', 'Type', 'Description'].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, vendors.map((v) => h('tr', {dataset: {vendorId: v.id}},
      h('td', {}, h('a', {href: `#/vendor/${encodeURIComponent(v.id)}`}, v.name)),
      h('td', {}, h('span', {class: `badge vendor-type-${v.type}`}, VENDOR_TYPES[v.type] || String(v.type))),
      h('td', {}, v.description || '')))));
}

/** #/user_vendors */
export async function myVendorsPage(container, {user, isCurrent}) {
  replace(container, h('h1', {}, 'My Vendors'), loading('your vendors'));
  const {vendors} = await getJson('vendors');
  if (!isCurrent()) return;
  const mine = vendors.filter((v) => v.can_manage).sort(byTypeAndName);
  const status = h('div', {id: 'vendor-status'});
  const name = h('input', {type: 'text', id: 'vendor-name', required: true, maxlength: 80});
  const description = h('textarea', {id: 'vendor-description', rows: 2});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', id: 'vendor-create'}, 'Add vendor');
  replace(container,
    h('h1', {}, 'My Vendors'),
    h('p', {}, user.is_admin
      ? 'As a foundation administrator you manage every vendor.'
      : 'The vendors you are a user of. A new vendor is private until the foundation approves its registration.'),
    mine.length ? vendorsTable(mine, 'my-vendors-table') : alertBox('info', 'You are not a user of any vendor yet.'),
    h('section', {'aria-labelledby': 'add-vendor-h'},
      h('h2', {id: 'add-vendor-h'}, 'Add a vendor'),
      h('form', {id: 'vendor-form', onsubmit: async (e) => {
        e.preventDefault();
        let created = null;
        const body = {name: name.value.trim()};
        if (description.value.trim()) body.description = description.value.trim();
        const ok = await act(status, submit, async () => { created = await send('POST', 'vendors', body); });
        if (ok) navigateWith('The vendor was created.', `/vendor/${encodeURIComponent(created.id)}`);
      }},
      h('div', {class: 'controls'}, field('Name', name), field('Description', description)),
      h('div', {class: 'field buttons'}, submit)),
      status));
}

/** The decline reason kept in a vendor's properties (a JSON string), if any. */
function declineReason(vendor) {
  try {
    const props = vendor.properties ? JSON.parse(vendor.properties) : null;
    return props && props.registration_decline_reason ? String(props.registration_decline_reason) : '';
  } catch (_) {
    return '';
  }
}

function action(id, body, label, status) {
  return async (e) => {
    if (await act(status, e.target, () => send('POST', `vendors/${encodeURIComponent(id)}/action`, body))) reload(label);
  };
}

/** Approve and deny buttons of a pending vendor (foundation only). */
function approvalControls(vendor, status, suffix) {
  const reason = h('input', {type: 'text', id: `deny-reason${suffix}`, placeholder: 'Why the registration is declined', required: true});
  const denyButton = h('button', {type: 'submit', class: 'btn btn-danger', id: `deny${suffix}`}, 'Decline');
  return h('div', {class: 'approval'},
    h('button', {type: 'button', class: 'btn btn-primary', id: `approve${suffix}`,
      onclick: action(vendor.id, {approve: null}, 'The vendor is approved and now official.', status)}, 'Approve'),
    h('form', {class: 'inline-form', onsubmit: async (e) => {
      e.preventDefault();
      if (await act(status, denyButton, () => send('POST', `vendors/${encodeURIComponent(vendor.id)}/action`,
        {deny: null, registration_decline_reason: reason.value.trim()}))) {
        reload('The registration was declined.');
      }
    }}, h('label', {class: 'visually-hidden', for: reason.id}, 'Decline reason'), reason, ' ', denyButton));
}

/** #/vendor/<id> */
export async function vendorPage(container, {params, user, isCurrent}) {
  const [id] = params;
  replace(container, h('h1', {}, 'Vendor'), loading('the vendor'));
  const vendor = await getJson(`vendors/${encodeURIComponent(id)}`);
  const [users, {products}] = await Promise.all([
    user ? getJson(`vendors/${encodeURIComponent(id)}/users`).catch(() => null) : null,
    getJson('products', {organization_id: id}),
  ]);
  if (!isCurrent()) return;
  const status = h('div', {id: 'vendor-status'});
  const manage = vendor.can_manage;
  const member = Boolean(user && Array.isArray(users) && users.some((u) => u.openid === user.openid));
  const admin = Boolean(user && user.is_admin);
  const reason = declineReason(vendor);

  const actions = [];
  if (member && vendor.type === 1) {
    actions.push(h('button', {type: 'button', class: 'btn btn-primary', id: 'vendor-register',
      onclick: action(id, {register: null}, 'The vendor is registered and waits for the foundation\u2019s approval.', status)},
    'Register with the foundation'));
  }
  if (member && vendor.type === 2) {
    actions.push(h('button', {type: 'button', class: 'btn', id: 'vendor-cancel',
      onclick: action(id, {cancel: null}, 'The registration was cancelled.', status)}, 'Cancel the registration'));
  }
  if (admin && vendor.type === 2) actions.push(approvalControls(vendor, status, ''));
  if (manage && vendor.type !== 0) {
    actions.push(confirmButton('Delete', 'Delete this vendor and all its products?', async (e) => {
      if (await act(status, e.target, () => send('DELETE', `vendors/${encodeURIComponent(id)}`))) {
        navigateWith('The vendor was deleted.', '/user_vendors');
      }
    }, {id: 'vendor-delete'}));
  }

  let editForm = null;
  if (manage) {
    const name = h('input', {type: 'text', id: 'edit-vendor-name', value: vendor.name, required: true,
      disabled: vendor.type === 3 && !admin});
    const description = h('textarea', {id: 'edit-vendor-description', rows: 2}, vendor.description || '');
    const save = h('button', {type: 'submit', class: 'btn btn-primary', id: 'edit-vendor-save'}, 'Save');
    editForm = h('details', {class: 'edit', id: 'edit-vendor'}, h('summary', {}, 'Edit'),
      h('form', {onsubmit: async (e) => {
        e.preventDefault();
        const body = {description: description.value};
        if (!name.disabled && name.value.trim() !== vendor.name) body.name = name.value.trim();
        if (await act(status, save, () => send('PUT', `vendors/${encodeURIComponent(id)}`, body))) reload('The vendor was updated.');
      }},
      h('div', {class: 'controls'}, field('Name', name, name.disabled ? 'Only the foundation renames an official vendor.' : null),
        field('Description', description)),
      h('div', {class: 'field buttons'}, save)));
  }

  let usersSection = null;
  if (Array.isArray(users)) {
    const openid = h('input', {type: 'text', id: 'vendor-user-openid', required: true, placeholder: 'https://openstackid.org/jane'});
    const add = h('button', {type: 'submit', class: 'btn btn-primary', id: 'vendor-user-add'}, 'Add user');
    usersSection = h('section', {'aria-labelledby': 'users-h', id: 'vendor-users'},
      h('h2', {id: 'users-h'}, 'Users'),
      h('p', {}, 'Every user of a vendor manages it and its products.'),
      h('table', {class: 'table', id: 'vendor-users-table'},
        h('thead', {}, h('tr', {}, ['Name', 'OpenID', 'E-mail', ''].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, users.map((u) => h('tr', {dataset: {openid: u.openid}},
          h('td', {}, u.fullname || ''), h('td', {}, h('code', {}, u.openid)), h('td', {}, u.email || ''),
          h('td', {}, u.openid === user.openid ? h('span', {class: 'note'}, 'you') : confirmButton('Remove', 'Remove this user?', async (e) => {
            if (await act(status, e.target, () => send('DELETE', `vendors/${encodeURIComponent(id)}/users/${encodeURIComponent(base64(u.openid))}`))) {
              reload('The user was removed.');
            }
          })))))),
      h('form', {class: 'controls', id: 'vendor-user-form', onsubmit: async (e) => {
        e.preventDefault();
        const who = openid.value.trim();
        if (await act(status, add, () => send('PUT', `vendors/${encodeURIComponent(id)}/users/${encodeURIComponent(base64(who))}`))) {
          reload('The user was added.');
        }
      }}, field('OpenID of a user who has signed in before', openid), h('div', {class: 'field buttons'}, add)));
  }

  replace(container,
    h('h1', {}, vendor.name),
    h('dl', {class: 'facts', id: 'vendor-details'},
      h('dt', {}, 'Type'), h('dd', {id: 'vendor-type'}, h('span', {class: `badge vendor-type-${vendor.type}`}, VENDOR_TYPES[vendor.type] || String(vendor.type))),
      h('dt', {}, 'Description'), h('dd', {id: 'vendor-description-text'}, vendor.description || ''),
      vendor.created_at ? [h('dt', {}, 'Created'), h('dd', {}, utc(vendor.created_at))] : null),
    reason && vendor.type === 1 ? alertBox('warning', h('strong', {}, 'The foundation declined the registration: '), h('span', {id: 'decline-reason'}, reason)) : null,
    actions.length ? h('div', {class: 'actions', id: 'vendor-actions'}, actions) : null,
    status,
    editForm,
    usersSection,
    h('section', {'aria-labelledby': 'vendor-products-h'},
      h('h2', {id: 'vendor-products-h'}, 'Products'),
      products.length
        ? h('ul', {id: 'vendor-products'}, products.map((p) => h('li', {},
          h('a', {href: `#/product/${encodeURIComponent(p.id)}`}, p.name), ' ',
          h('span', {class: 'note'}, `${PRODUCT_TYPES[p.product_type] || ''}${p.public ? '' : ', private'}`))))
        : h('p', {class: 'empty'}, 'No products.'),
      manage ? h('p', {}, h('a', {href: '#/user_products'}, 'Add a product')) : null));
}

/** #/foundation: pending vendors and the runs that can be verified (foundation administrators). */
export async function foundationPage(container, {user, isCurrent}) {
  replace(container, h('h1', {}, 'Foundation'), loading('the pending work'));
  if (!user.is_admin) {
    replace(container, h('h1', {}, 'Foundation'), alertBox('warning', 'This page is for foundation administrators.'));
    return;
  }
  const [{vendors}, {results}] = await Promise.all([getJson('vendors'), getJson('results')]);
  if (!isCurrent()) return;
  const pending = vendors.filter((v) => v.type === 2).sort(byTypeAndName);
  const status = h('div', {id: 'foundation-status'});
  const candidates = results.filter((r) => r.meta && r.meta.shared && r.meta.guideline && r.meta.target);
  const done = (kind) => reload(kind === 'verified' ? 'The test run is verified.' : 'The test run is no longer verified.');
  replace(container,
    h('h1', {}, 'Foundation'),
    status,
    h('section', {'aria-labelledby': 'pending-h'},
      h('h2', {id: 'pending-h'}, 'Vendors waiting for approval'),
      pending.length
        ? h('table', {class: 'table', id: 'pending-table'},
          h('thead', {}, h('tr', {}, ['Vendor', 'Description', 'Decision'].map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, pending.map((v) => h('tr', {dataset: {vendorId: v.id}},
            h('td', {}, h('a', {href: `#/vendor/${encodeURIComponent(v.id)}`}, v.name)),
            h('td', {}, v.description || ''),
            h('td', {}, approvalControls(v, status, `-${v.id}`))))))
        : alertBox('info', h('span', {id: 'no-pending'}, 'No vendor is waiting for approval.'))),
    h('section', {'aria-labelledby': 'verify-h'},
      h('h2', {id: 'verify-h'}, 'Shared runs with a guideline and a target'),
      h('p', {}, 'The newest public runs that can be verified. Open a run to check its report first.'),
      candidates.length
        ? h('table', {class: 'table', id: 'verify-table'},
          h('thead', {}, h('tr', {}, ['Upload date', 'Test run', 'Guideline', 'Target program', 'Verification'].map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, candidates.map((r) => h('tr', {dataset: {resultId: r.id}},
            h('td', {}, utc(r.created_at)),
            h('td', {}, h('a', {href: `#/results/${encodeURIComponent(r.id)}`, title: r.id}, h('code', {}, shortId(r.id)))),
            h('td', {}, versionOf(r.meta.guideline)),
            h('td', {}, targetLabel(r.meta.target)),
            h('td', {}, verifyControl(r, done))))))
        : alertBox('info', 'No shared run has a guideline and a target program yet.')));
}

