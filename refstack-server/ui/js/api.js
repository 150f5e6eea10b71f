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

async function request(path, params, accept) {
  let resp;
  try {
    resp = await fetch(apiUrl(path, params), {
      headers: {Accept: accept, 'Cache-Control': 'no-cache', Pragma: 'no-cache'},
      credentials: 'same-origin',
    });
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
