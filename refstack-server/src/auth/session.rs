//! The browser session: cookie `refstack` (an opaque random id; the database keeps its
//! SHA-256) and cookie `refstack_csrf` (the session's CSRF token, readable by the web UI).
//!
//! CSRF protection: a request authenticated by the session cookie alone whose method is not
//! safe (POST, PUT, DELETE, ...) must carry the session's token in `X-CSRF-Token`, else 403.
//! The token is compared with the one stored with the session (not with the cookie), so a
//! cookie planted by a sibling domain does not help an attacker. Bearer requests carry no
//! ambient credentials and are exempt.

use axum::http::{HeaderMap, HeaderValue, header};
use time::Duration;

use super::secret;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The session cookie (upstream's name).
pub const SESSION_COOKIE: &str = "refstack";
/// The CSRF token cookie (not HttpOnly: the web UI reads it).
pub const CSRF_COOKIE: &str = "refstack_csrf";
/// The header echoing the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Binds a pending OpenID Connect sign-in to the browser that started it.
pub const SIGNIN_COOKIE: &str = "refstack_signin";

/// The value of cookie `name` in the request's `Cookie` headers, if present and non-empty.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

/// A `Set-Cookie` value. `max_age` 0 deletes the cookie.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: u64,
    http_only: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if state.cfg.cookie_secure() {
        c.push_str("; Secure");
    }
    // Only base64url values and fixed names reach here.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Starts a session for `openid` (the user must exist): a new random id every time. Ends
/// the session the request came with, if any. Returns the `Set-Cookie` values.
pub async fn start(
    state: &AppState,
    request_headers: &HeaderMap,
    openid: &str,
) -> ApiResult<Vec<HeaderValue>> {
    if let Some(old) = cookie(request_headers, SESSION_COOKIE) {
        db::sessions::delete(&state.db, &secret::digest(&old)).await?;
    }
    let id = secret::random(32)?;
    let csrf = secret::random(32)?;
    let ttl = state.cfg.session_ttl_secs;
    let secs = i64::try_from(ttl).unwrap_or(i64::MAX / 2);
    let expires_at = db::now().saturating_add(Duration::seconds(secs));
    db::sessions::create(
        &state.db,
        &db::sessions::NewSession {
            id_hash: secret::digest(&id),
            openid: openid.to_owned(),
            csrf_token: csrf.clone(),
            expires_at,
        },
    )
    .await?;
    Ok(vec![
        set_cookie(state, SESSION_COOKIE, &id, ttl, true),
        set_cookie(state, CSRF_COOKIE, &csrf, ttl, false),
    ])
}

/// Ends the request's session (on every server process: the row is gone) and returns the
/// `Set-Cookie` values deleting the cookies.
pub async fn end(state: &AppState, request_headers: &HeaderMap) -> ApiResult<Vec<HeaderValue>> {
    if let Some(id) = cookie(request_headers, SESSION_COOKIE) {
        db::sessions::delete(&state.db, &secret::digest(&id)).await?;
    }
    Ok(vec![
        set_cookie(state, SESSION_COOKIE, "", 0, true),
        set_cookie(state, CSRF_COOKIE, "", 0, false),
    ])
}

/// The live session named by the request's cookie, if any (one primary-key read; none
/// without the cookie).
pub async fn lookup(
    state: &AppState,
    headers: &HeaderMap,
) -> ApiResult<Option<db::sessions::Session>> {
    match cookie(headers, SESSION_COOKIE) {
        // Our ids are 43 characters; anything else cannot be one and costs no lookup.
        Some(id) if id.len() == 43 => {
            Ok(db::sessions::find(&state.db, &secret::digest(&id)).await?)
        }
        _ => Ok(None),
    }
}

/// Whether the request echoes the session's CSRF token.
pub fn csrf_ok(headers: &HeaderMap, session: &db::sessions::Session) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| secret::equal(v.trim(), &session.csrf_token))
}

/// The 403 for a cookie-authenticated unsafe request without the CSRF token.
pub fn csrf_error() -> ApiError {
    ApiError::abort(
        axum::http::StatusCode::FORBIDDEN,
        "CSRF token missing or wrong: send the value of the refstack_csrf cookie in an \
         X-CSRF-Token header",
    )
}
