// DOM helpers. Every piece of text goes through text nodes or attributes,
// never through innerHTML, so data from the API is always escaped.

/**
 * Creates an element: h('a', {href: '#/x', class: 'y'}, 'text', child, ...).
 * Attributes starting with "on" are event listeners; `true` sets a boolean
 * attribute, `false`/null/undefined omit it. Children may be strings,
 * numbers, nodes, arrays, or null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (see h) to a node. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces all children of a node. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** An alert box; kind is "danger", "warning", "info" or "success". */
export function alertBox(kind, ...children) {
  return h('div', {class: `alert alert-${kind}`, role: kind === 'danger' ? 'alert' : 'status'}, ...children);
}

/** A "loading" line announced to screen readers. */
export function loading(what) {
  return h('p', {class: 'loading', role: 'status'}, `Loading ${what}…`);
}

/** The message of an API error for display. */
export function errorText(err) {
  if (err && err.title) {
    return err.detail ? `${err.title}: ${err.detail}` : err.title;
  }
  return err && err.message ? err.message : String(err);
}

/** "2026-11-22 01:53:31" (UTC, as the API sends it) → same text + " UTC". */
export function utc(timestamp) {
  return timestamp ? `${timestamp} UTC` : '';
}

/** Seconds → "1 h 02 min 03 s". */
export function duration(seconds) {
  const s = Number(seconds) || 0;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const pad = (n) => String(n).padStart(2, '0');
  if (hours) return `${hours} h ${pad(minutes)} min ${pad(rest)} s`;
  if (minutes) return `${minutes} min ${pad(rest)} s`;
  return `${rest} s`;
}

/** A long id as first8…last8 (upstream's display). */
export function shortId(id) {
  return id.length > 20 ? `${id.slice(0, 8)}…${id.slice(-8)}` : id;
}

/** Percent with one decimal, or "n/a". */
export function percent(value) {
  return value === null || value === undefined ? 'n/a' : `${value.toFixed(1)}%`;
}

/** A labelled form field: field('Name', input) with the input's id. */
export function field(label, input, hint) {
  return h('div', {class: 'field'}, h('label', {for: input.id}, label), input,
    hint ? h('span', {class: 'hint'}, hint) : null);
}

/**
 * A button that asks "Sure?" in place before running `action` (no modal
 * dialog): the first click shows a confirm and a cancel button.
 */
export function confirmButton(label, question, action, attrs) {
  const box = h('span', {class: 'confirm-box'});
  const first = h('button', {type: 'button', class: 'btn btn-danger', ...attrs, onclick: () => {
    const cancel = h('button', {type: 'button', class: 'btn', dataset: {confirm: 'no'}, onclick: () => {
      replace(box, first);
      first.focus();
    }}, 'Cancel');
    replace(box, h('span', {class: 'confirm-question', role: 'status'}, question, ' '),
      h('button', {type: 'button', class: 'btn btn-danger', dataset: {confirm: 'yes'}, onclick: action}, `Yes, ${label.toLowerCase()}`), ' ',
      cancel);
    // Keyboard users land on the safe choice.
    cancel.focus();
  }}, label);
  return append(box, [first]);
}

/**
 * Runs an API action from a form or button: disables `busy` meanwhile and
 * shows a failure in `where` (an element whose content is replaced).
 */
export async function act(where, busy, action) {
  // A new attempt clears the previous failure.
  if (where) replace(where);
  if (busy) busy.disabled = true;
  try {
    await action();
    return true;
  } catch (err) {
    if (where) replace(where, alertBox('danger', h('span', {class: 'action-error'}, errorText(err))));
    return false;
  } finally {
    if (busy) busy.disabled = false;
  }
}
