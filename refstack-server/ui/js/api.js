// The API client. The API root comes from config.json, served by the
// server from its configuration (upstream's `refstackApiUrl`), relative to
// the page so that any mount prefix works.

let config = null;
let apiRoot = null;

/** An error answer of the API (both upstream error shapes). */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

/** Loads config.json once. */
export async function loadConfig() {
  if (config) return config;
  const resp = await fetch(new URL('config.json', document.baseURI), {cache: 'no-cache'});
  if (!resp.ok) throw new Error(`config.json: HTTP ${resp.status}`);
  config = await resp.json();
  const root = String(config.refstackApiUrl || 'api/v1').replace(/\/*$/, '/');
  apiRoot = new URL(root, document.baseURI);
  return config;
}

/** The loaded configuration. */
export function getConfig() {
  return config;
}

/** The absolute URL of an API path ("results", "guidelines/x/tests") with query parameters. */
export function apiUrl(path, params) {
  const url = new URL(path.replace(/^\/+/, ''), apiRoot);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return url.toString();
}

/**
 * Shows (or hides) the banner naming the guideline sources the server could
 * not read, from the X-Refstack-Guideline-Source-Errors header of a
 * guideline answer: a short list must not read as "no guideline exists".
 */
function showSourceErrors(resp) {
  const banner = document.getElementById('source-errors');
  if (!banner) return;
  const errors = resp.headers.get('X-Refstack-Guideline-Source-Errors');
  if (errors) {
    banner.textContent = `Some guideline sources of this server are failing, so guidelines may be missing or out of date: ${errors}`;
    banner.hidden = false;
  } else {
    banner.hidden = true;
    banner.textContent = '';
  }
}


/** The CSRF token of the session (cookie `refstack_csrf`), or "". */
export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'refstack_csrf') return decodeURIComponent(rest.join('='));
  }
  return '';
}

async function request(path, params, accept, init) {
  const options = init || {};
  const headers = {Accept: accept, 'Cache-Control': 'no-cache', Pragma: 'no-cache', ...(options.headers || {})};
  const method = options.method || 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    // Cookie-authenticated writes must echo the session's CSRF token.
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }
  let resp;
  try {
    resp = await fetch(apiUrl(path, params), {method, headers, body: options.body, credentials: 'same-origin'});
  } catch (e) {
    throw new ApiError(0, 'The server cannot be reached', e.message);
  }
  if (/^guidelines\b|\/compliance$/.test(path)) showSourceErrors(resp);
  if (!resp.ok) {
    let title = `${resp.status} ${resp.statusText}`.trim();
    let detail = null;
    try {
      const body = await resp.json();
      if (body && body.title) title = body.title;
      if (body && body.detail) detail = body.detail;
    } catch (_) {
      // Not JSON: keep the status line.
    }
    throw new ApiError(resp.status, title, detail);
  }
  return resp;
}

/** GET a JSON document. */
export async function getJson(path, params) {
  const resp = await request(path, params, 'application/json');
  return resp.json();
}

/** GET a text document; {status, text} (204 gives ""). */
export async function getText(path, params) {
  const resp = await request(path, params, 'text/plain');
  return {status: resp.status, text: resp.status === 204 ? '' : await resp.text()};
}

/**
 * A state-changing call: method, path, and a JSON body (an object), or a
 * raw text body ({text: "..."}), or none. The answer's JSON, or null.
 */
export async function send(method, path, body) {
  const init = {method, headers: {}};
  if (body && typeof body.text === 'string') {
    init.headers['Content-Type'] = 'text/plain; charset=utf-8';
    init.body = body.text;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await request(path, null, 'application/json', init);
  if (resp.status === 204) return null;
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

let user;

/** The signed-in user ({openid, email, fullname, is_admin}) or null; asked once per page load. */
export async function currentUser() {
  if (user !== undefined) return user;
  try {
    user = await getJson('profile');
  } catch (err) {
    // 401: anonymous. Anything else: shown as anonymous too (the pages still work).
    user = null;
  }
  return user;
}

/** The URL that starts sign-in and comes back to `next` (a path on this server, "/#/profile"). */
export function signInUrl(next) {
  return apiUrl('auth/signin', {next});
}

/** The URL that signs out. */
export function signOutUrl() {
  return apiUrl('auth/signout');
}

/** Standard base64 of a string's UTF-8 bytes (the vendor users' openid path segment). */
export function base64(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
