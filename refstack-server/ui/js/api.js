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

async function request(path, params, accept, init) {
  let resp;
  try {
    resp = await fetch(apiUrl(path, params), init ? {...init, credentials: 'same-origin'} : {
      headers: {Accept: accept, 'Cache-Control': 'no-cache', Pragma: 'no-cache'},
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'The server cannot be reached', e.message);
  }
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

/** The value of a cookie of this page, or null. */
function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/**
 * Sends a state-changing request (POST, PUT, DELETE) with an optional JSON
 * body (a string is sent as it is). The session's CSRF token (cookie
 * `refstack_csrf`) goes in `X-CSRF-Token`, which the server requires of
 * requests authenticated by the session cookie. Resolves to the Response.
 */
export async function send(method, path, body) {
  const headers = {Accept: 'application/json'};
  const csrf = cookie('refstack_csrf');
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  return request(path, null, 'application/json', {method, headers, body: payload});
}

let me;

/** The signed-in user ({openid, email, fullname, is_admin}) or null; asked once. */
export async function currentUser() {
  if (me === undefined) {
    try {
      me = await getJson('profile');
    } catch (err) {
      if (err.status === 401) me = null;
      else throw err;
    }
  }
  return me;
}

/** The URL that starts sign-in and comes back to `next` (a path on this server). */
export function signInUrl(next) {
  return apiUrl('auth/signin', {next});
}

/** The URL that signs out. */
export function signOutUrl() {
  return apiUrl('auth/signout');
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
