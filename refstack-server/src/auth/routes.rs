//! `/v1/auth/signin`, `/v1/auth/signin_return`, `/v1/auth/signout` (reference §2.3, §8.1,
//! with OpenID Connect instead of OpenID 2.0) and the `--dev-login` form.
//!
//! Every outcome is a redirect to the web UI, as upstream: success → `ui_url` (or the
//! `next` path asked for at sign-in, a path on this server only); failure →
//! `<ui_url>/#/auth_failure?message=...`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::session::{self, SIGNIN_COOKIE};
use super::{Caller, Via, oidc, secret};
use crate::db;
use crate::error::ApiError;
use crate::extract::RawBody;
use crate::state::AppState;

/// Routes under `/v1/auth`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signin", get(signin))
        .route("/auth/signin_return", get(signin_return))
        .route("/auth/signout", get(signout))
        .route("/auth/dev_login", post(dev_login))
}

/// A `next` value if it is a path on this server (`/...`, not `//host` or `/\host`).
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= db::sessions::MAX_NEXT_LEN
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| next.to_owned())
}

fn redirect(location: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in cookies {
        h.append(header::SET_COOKIE, c);
    }
    resp
}

fn success(state: &AppState, next: Option<&str>, cookies: Vec<HeaderValue>) -> Response {
    let target = match next.and_then(safe_next) {
        Some(n) => state.cfg.ui_link(&n),
        None => state.cfg.ui_url.clone(),
    };
    redirect(&target, cookies)
}

/// The UI's auth-failure page with `message` (upstream's `/#/auth_failure?message=`).
pub fn failure_url(state: &AppState, message: &str) -> String {
    let m: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    state.cfg.ui_link(&format!("/#/auth_failure?message={m}"))
}

fn failure(state: &AppState, message: &str, cookies: Vec<HeaderValue>) -> Response {
    redirect(&failure_url(state, message), cookies)
}

/// `GET /v1/auth/signin[?next=/path]`: a signed-in browser goes straight back to the UI;
/// otherwise the dev-login form (`--dev-login`) or a redirect to the OpenID provider.
#[utoipa::path(get, path = "/v1/auth/signin", tag = "auth", params(("next" = Option<String>, Query, description = "Where to go after sign-in: a path on this server (e.g. `/#/profile`); anything else is ignored")), responses((status = 302, description = "To the OpenID provider; to `ui_url` when already signed in; to `<ui_url>/#/auth_failure?message=...` when sign-in is not possible"), (status = 200, description = "The development sign-in form (`serve --dev-login` only)", content_type = "text/html")))]
pub(crate) async fn signin(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let next = params.get("next").and_then(|n| safe_next(n));
    if caller.openid.is_some() && caller.via == Via::Session {
        return success(&state, next.as_deref(), Vec::new());
    }
    if state.cfg.dev_login {
        return dev_form(next.as_deref());
    }
    let Some(rp) = &state.oidc else {
        return failure(
            &state,
            "Sign-in is not configured on this server.",
            Vec::new(),
        );
    };
    match rp.begin(&state.db, next).await {
        Ok((url, csrf_state)) => {
            let ttl = oidc::PENDING_TTL.as_secs();
            let bind = session::set_cookie(&state, SIGNIN_COOKIE, &csrf_state, ttl, true);
            redirect(&url, vec![bind])
        }
        Err(e) => {
            tracing::warn!(error = %e.detail(), "sign-in could not start");
            failure(&state, &e.to_string(), Vec::new())
        }
    }
}

/// `GET /v1/auth/signin_return?code=...&state=...` (or `?error=...`): the provider's answer.
#[utoipa::path(get, path = "/v1/auth/signin_return", tag = "auth", params(("code" = Option<String>, Query), ("state" = Option<String>, Query), ("error" = Option<String>, Query), ("error_description" = Option<String>, Query)), responses((status = 302, description = "To `ui_url` (or the `next` path) with the session cookies `refstack` and `refstack_csrf`; to `<ui_url>/#/auth_failure?message=...` on any failure, without a session")))]
pub(crate) async fn signin_return(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let clear = vec![session::set_cookie(&state, SIGNIN_COOKIE, "", 0, true)];
    let Some(rp) = &state.oidc else {
        return failure(&state, "Sign-in is not configured on this server.", clear);
    };
    if let Some(err) = params.get("error") {
        if let Some(s) = params.get("state") {
            // The attempt is over: forget it.
            let _ = db::sessions::take_auth_state(&state.db, &secret::digest(s)).await;
        }
        let text = params
            .get("error_description")
            .filter(|d| !d.is_empty())
            .unwrap_or(err);
        let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        tracing::info!(error = %err, "the provider refused the sign-in");
        let message = if err == "access_denied" {
            "Authentication canceled.".to_owned()
        } else {
            oidc::OidcError::Provider(text).to_string()
        };
        return failure(&state, &message, clear);
    }
    let (Some(code), Some(csrf_state)) = (params.get("code"), params.get("state")) else {
        return failure(&state, &oidc::OidcError::State.to_string(), clear);
    };
    // The state must belong to this browser (login CSRF), then to a pending sign-in.
    let bound =
        session::cookie(&headers, SIGNIN_COOKIE).is_some_and(|c| secret::equal(&c, csrf_state));
    if !bound {
        tracing::info!("sign-in callback without this browser's state cookie");
        return failure(&state, &oidc::OidcError::State.to_string(), clear);
    }
    let (identity, next) = match rp.finish(&state.db, code, csrf_state).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e.detail(), "sign-in failed");
            return failure(&state, &e.to_string(), clear);
        }
    };
    match sign_in(&state, &headers, identity).await {
        Ok(mut cookies) => {
            cookies.extend(clear);
            success(&state, next.as_deref(), cookies)
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in could not be stored");
            failure(
                &state,
                "Sign-in is not possible right now. Please try again later.",
                clear,
            )
        }
    }
}

/// Creates or updates the user (a missing e-mail or name keeps the stored one) and starts
/// a session; returns its cookies.
async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    id: oidc::Identity,
) -> Result<Vec<HeaderValue>, ApiError> {
    let existing = db::users::find(&state.db, &id.openid).await?;
    let (old_email, old_name) = existing.map(|u| (u.email, u.fullname)).unwrap_or_default();
    db::users::upsert(
        &state.db,
        &db::users::NewUser {
            openid: id.openid.clone(),
            email: id.email.or(old_email),
            fullname: id.fullname.or(old_name),
        },
    )
    .await?;
    tracing::info!(openid = %id.openid, "signed in");
    session::start(state, headers, &id.openid).await
}

/// `GET /v1/auth/signout`: ends the session (on every server process), then the provider's
/// `end_session_endpoint` when it has one, else the UI.
#[utoipa::path(get, path = "/v1/auth/signout", tag = "auth", responses((status = 302, description = "The session is deleted and its cookies cleared; to the provider's `end_session_endpoint` when it has one, else to `ui_url`")))]
pub(crate) async fn signout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cookies = match session::end(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let target = match &state.oidc {
        Some(rp) => rp.end_session_url(&state.cfg.ui_url).await,
        None => None,
    };
    redirect(target.as_deref().unwrap_or(&state.cfg.ui_url), cookies)
}

/// `POST /v1/auth/dev_login` (form: `openid`, `fullname`, `email`, `next`): only with
/// `--dev-login`, else 404.
pub(crate) async fn dev_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    if !state.cfg.dev_login {
        return ApiError::route_not_found().into_response();
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let Some(openid) = field("openid") else {
        return ApiError::validation("openid is required").into_response();
    };
    if openid.chars().count() > db::users::MAX_FIELD_LEN {
        return ApiError::validation("openid is longer than 128 characters").into_response();
    }
    let identity = oidc::Identity {
        openid,
        email: field("email"),
        fullname: field("fullname"),
    };
    match sign_in(&state, &headers, identity).await {
        Ok(cookies) => success(&state, field("next").as_deref(), cookies),
        Err(e) => e.into_response(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The `--dev-login` form.
fn dev_form(next: Option<&str>) -> Response {
    let next = html_escape(next.unwrap_or(""));
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RefStack development sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body><h1>Development sign-in</h1>
<p><strong>Warning:</strong> This server runs with <code>--dev-login</code>: anyone who can reach it signs in
as any user, without a password. Use it only to try RefStack on your own machine.</p>
<form method="post" action="dev_login">
<label>OpenID <input name="openid" id="openid" required maxlength="128"
 value="https://openstackid.org/dev-user"></label>
<label>Full name <input name="fullname" id="fullname" maxlength="128" value="Dev User"></label>
<label>E-mail <input name="email" id="email" type="email" maxlength="128"
 value="dev-user@example.org"></label>
<input type="hidden" name="next" value="{next}">
<button type="submit" id="signin">Sign in</button>
</form></body></html>
"#
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_path_on_this_server() {
        assert_eq!(safe_next("/#/profile").as_deref(), Some("/#/profile"));
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/a\r\nSet-Cookie: x",
            "javascript:alert(1)",
        ] {
            assert!(safe_next(bad).is_none(), "{bad:?}");
        }
    }
}
