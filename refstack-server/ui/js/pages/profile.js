// #/profile (the user, public keys, API tokens), #/auth_failure and
// #/logout.

import {getJson, send, signInUrl} from '../api.js';
import {act, alertBox, confirmButton, field, h, loading, replace, utc} from '../dom.js';
import {reload} from '../app.js';

/** A key body as upstream shows it: first 10 … last 10 characters. */
function keyPreview(k) {
  return k.length > 24 ? `${k.slice(0, 10)}…${k.slice(-10)}` : k;
}

function keysSection(keys) {
  const status = h('div', {id: 'pubkey-status'});
  const raw = h('textarea', {id: 'pubkey-raw', rows: 4, required: true, spellcheck: 'false',
    placeholder: 'ssh-rsa AAAAB3Nza... you@host'});
  const sig = h('textarea', {id: 'pubkey-signature', rows: 3, required: true, spellcheck: 'false',
    placeholder: 'hex signature printed by refstack-tester sign'});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', id: 'pubkey-import'}, 'Import key');
  return h('section', {'aria-labelledby': 'keys-h', id: 'keys'},
    h('h2', {id: 'keys-h'}, 'Public keys'),
    h('p', {}, 'Uploads signed with one of these keys (', h('code', {}, 'refstack-tester test … --sign ~/.ssh/id_rsa'),
      ') are stored as yours, private until you share them.'),
    keys.length
      ? h('table', {class: 'table', id: 'pubkeys-table'},
        h('thead', {}, h('tr', {}, ['Format', 'Key', 'Comment', ''].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, keys.map((k) => h('tr', {dataset: {pubkeyId: k.id}},
          h('td', {}, k.format), h('td', {}, h('code', {title: k.pubkey}, keyPreview(k.pubkey))), h('td', {}, k.comment || ''),
          h('td', {}, confirmButton('Delete', 'Delete this key?', async (e) => {
            if (await act(status, e.target, () => send('DELETE', `profile/pubkeys/${encodeURIComponent(k.id)}`))) {
              reload('The key was deleted.');
            }
          }, {dataset: {deleteKey: k.id}}))))))
      : alertBox('info', h('span', {id: 'no-pubkeys'}, 'You have no public keys yet.')),
    h('details', {class: 'import', id: 'import-key', open: keys.length === 0},
      h('summary', {}, 'Import a public key'),
      h('ol', {class: 'steps'},
        h('li', {}, 'Make the key\u2019s self-signature with the private key (RSA) you will sign uploads with:',
          h('pre', {class: 'code'}, h('code', {}, 'refstack-tester sign ~/.ssh/id_rsa'))),
        h('li', {}, 'It prints “Public key:” and “Self signature:”. Paste both below.')),
      h('form', {id: 'pubkey-form', onsubmit: async (e) => {
        e.preventDefault();
        const ok = await act(status, submit, () => send('POST', 'profile/pubkeys',
          {raw_key: raw.value.trim(), self_signature: sig.value.trim()}));
        if (ok) reload('The public key was imported.');
      }},
      field('Public key', raw),
      field('Self signature', sig),
      h('div', {class: 'field buttons'}, submit))),
    status);
}

/** The token just created: shown once, on the next rendering of the page. */
let justCreated = null;

function tokensSection(tokens) {
  const status = h('div', {id: 'token-status'});
  const created = justCreated;
  justCreated = null;
  const name = h('input', {type: 'text', id: 'token-name', required: true, maxlength: 128, placeholder: 'laptop'});
  const expiry = h('input', {type: 'date', id: 'token-expiry'});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', id: 'token-create'}, 'Create token');
  return h('section', {'aria-labelledby': 'tokens-h', id: 'tokens'},
    h('h2', {id: 'tokens-h'}, 'API tokens'),
    h('p', {}, 'A personal API token lets command-line tools act as you: ',
      h('code', {}, 'Authorization: Bearer <token>'), ', or ', h('code', {}, 'refstack-tester list --signed --token <token>'),
      ' (or ', h('code', {}, 'REFSTACK_TOKEN'), '). Revoke a token you no longer use.'),
    tokens.length
      ? h('table', {class: 'table', id: 'tokens-table'},
        h('thead', {}, h('tr', {}, ['Name', 'Created', 'Expires', ''].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, tokens.map((t) => h('tr', {dataset: {tokenId: t.id}},
          h('td', {}, t.name), h('td', {}, utc(t.created_at)),
          h('td', {}, t.expires_at ? utc(t.expires_at) : 'never', t.expired ? [' ', h('span', {class: 'badge status-required'}, 'expired')] : null),
          h('td', {}, confirmButton('Revoke', 'Revoke this token?', async (e) => {
            if (await act(status, e.target, () => send('DELETE', `profile/tokens/${encodeURIComponent(t.id)}`))) {
              reload('The token was revoked.');
            }
          }, {dataset: {revoke: t.id}}))))))
      : alertBox('info', h('span', {id: 'no-tokens'}, 'You have no API tokens.')),
    created ? alertBox('success', h('p', {}, 'Copy the new token now: it is not shown again.'),
      h('pre', {class: 'code'}, h('code', {id: 'new-token'}, created.token))) : null,
    h('form', {class: 'controls', id: 'token-form', onsubmit: async (e) => {
      e.preventDefault();
      let created = null;
      const body = {name: name.value.trim()};
      if (expiry.value) body.expires_at = `${expiry.value} 23:59:59`;
      const ok = await act(status, submit, async () => { created = await send('POST', 'profile/tokens', body); });
      if (!ok) return;
      justCreated = created;
      reload(`The API token “${created.name}” was created.`);
    }},
    field('Name', name),
    field('Expires (optional, end of day UTC)', expiry),
    h('div', {class: 'field buttons'}, submit)),
    status);
}

/** #/profile */
export async function profilePage(container, {user, isCurrent}) {
  replace(container, h('h1', {}, 'Profile'), loading('your profile'));
  const [keys, tokens] = await Promise.all([getJson('profile/pubkeys'), getJson('profile/tokens')]);
  if (!isCurrent()) return;
  replace(container,
    h('h1', {}, 'Profile'),
    h('dl', {class: 'facts', id: 'user-info'},
      h('dt', {}, 'Name'), h('dd', {id: 'profile-name'}, user.fullname || ''),
      h('dt', {}, 'OpenID'), h('dd', {id: 'profile-openid'}, h('code', {}, user.openid)),
      h('dt', {}, 'E-mail'), h('dd', {id: 'profile-email'}, user.email || ''),
      user.is_admin ? [h('dt', {}, 'Role'), h('dd', {id: 'profile-role'}, 'Foundation administrator')] : null),
    keysSection(keys),
    tokensSection(tokens));
}

/** #/auth_failure?message=... */
export function authFailurePage(container, {query}) {
  replace(container,
    h('h1', {}, 'Sign-in failed'),
    alertBox('danger', h('strong', {}, 'Authentication Failure: '), h('span', {id: 'auth-message'}, query.get('message') || 'unknown error')),
    h('p', {}, h('a', {class: 'btn btn-primary', href: signInUrl(`${window.location.pathname}#/`)}, 'Try again'), ' ', h('a', {href: '#/'}, 'Go to the home page')));
}

/** #/logout */
export function logoutPage(container) {
  replace(container,
    h('h1', {}, 'Signed out'),
    alertBox('info', 'You are signed out.'),
    h('p', {}, h('a', {href: '#/'}, 'Go to the home page')));
}

