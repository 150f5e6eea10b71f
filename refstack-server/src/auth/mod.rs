//! Who is calling, and what they may do (reference §1.5, §8).
//!
//! [`resolve`] runs on every request and stores the resolved [`Caller`] as a
//! request extension, extracted by handlers:
//!
//! * `Authorization: Bearer rst_...`: a personal API token (see [`tokens`]);
//!   unknown, revoked or expired → 401.
//! * any other `Authorization`: an RS256 JWT (else 400, even on public
//!   endpoints, as upstream).
//! * else cookie `refstack`: a browser session ([`session`]); a forged or
//!   expired one is anonymous. Unsafe methods need the CSRF token, else 403.
//! * else anonymous, without touching the database.
//!
//! Uploads are identified by their signature instead (see `results::upload`).

pub mod jwt;
pub mod oidc;
pub mod routes;
pub mod secret;
pub mod session;
pub mod tokens;

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use refstack_api_types::results::UserRole;

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The authenticated caller: the openid of an existing user, or nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// `Some` iff the caller is authenticated and the user exists.
    pub openid: Option<String>,
    /// How the caller was authenticated.
    pub via: Via,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Via {
    /// Not at all.
    #[default]
    Anonymous,
    /// An RS256 JWT signed with one of the user's keys.
    Jwt,
    /// A personal API token.
    ApiToken,
    /// The browser session cookie.
    Session,
}

impl Caller {
    /// The openid, or 401 `{"code":401,"title":"Unauthorized","detail":null}`.
    pub fn require(&self) -> ApiResult<&str> {
        self.openid.as_deref().ok_or_else(ApiError::unauthenticated)
    }

    /// Whether the caller is a foundation admin.
    pub async fn is_foundation(&self, state: &AppState) -> ApiResult<bool> {
        match &self.openid {
            Some(o) => Ok(db::users::is_foundation_admin(&state.db, o).await?),
            None => Ok(false),
        }
    }

    /// Whether the caller is a foundation admin or a member of the vendor.
    pub async fn is_vendor_admin(&self, state: &AppState, org_id: &str) -> ApiResult<bool> {
        let Some(o) = &self.openid else {
            return Ok(false);
        };
        if db::users::is_foundation_admin(&state.db, o).await? {
            return Ok(true);
        }
        Ok(db::vendors::is_member(&state.db, org_id, o).await?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Middleware resolving the caller (see the module docs).
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let caller = match req.headers().get(axum::http::header::AUTHORIZATION) {
        Some(value) => match from_token(&state, value.to_str().unwrap_or("")).await {
            Ok(c) => c,
            Err(e) => return e.into_response(),
        },
        None => match session::lookup(&state, req.headers()).await {
            Ok(None) => Caller::default(),
            Ok(Some(s)) => {
                // The sign-in routes manage the session themselves (sign-in replaces it).
                let exempt = req.method().is_safe() || req.uri().path().starts_with("/v1/auth/");
                if !exempt && !session::csrf_ok(req.headers(), &s) {
                    return session::csrf_error().into_response();
                }
                Caller {
                    openid: Some(s.openid),
                    via: Via::Session,
                }
            }
            Err(e) => return e.into_response(),
        },
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}

async fn from_token(state: &AppState, header: &str) -> ApiResult<Caller> {
    let token = jwt::bearer_token(header)?;
    if token.starts_with(tokens::PREFIX) {
        return tokens::resolve(state, token).await;
    }
    let openid = jwt::unverified_openid(token)?;
    let keys = db::pubkeys::list_for_user(&state.db, &openid).await?;
    jwt::verify(
        token,
        keys.iter().map(|k| (k.format.as_str(), k.pubkey.as_str())),
    )?;
    let exists = db::users::find(&state.db, &openid).await?.is_some();
    Ok(Caller {
        openid: exists.then_some(openid),
        via: Via::Jwt,
    })
}

/// The caller's role on a test run (reference §8.4): foundation admin, owner
/// (meta `user` is the caller), user (anonymous or shared run), or none.
pub async fn run_role(
    state: &AppState,
    caller: &Caller,
    meta: &BTreeMap<String, String>,
) -> ApiResult<Option<UserRole>> {
    if caller.is_foundation(state).await? {
        return Ok(Some(UserRole::Foundation));
    }
    let owner = meta.get("user");
    if caller.openid.is_some() && owner == caller.openid.as_ref() {
        return Ok(Some(UserRole::Owner));
    }
    if owner.is_none() || meta.contains_key("shared") {
        return Ok(Some(UserRole::User));
    }
    Ok(None)
}

/// The error for a caller without the needed role on a run: 401 (`detail ""`)
/// when not signed in, 403 when signed in (upstream answered 401 to both,
/// §10 item 15).
pub fn denied(caller: &Caller) -> ApiError {
    if caller.openid.is_some() {
        ApiError::abort_empty(StatusCode::FORBIDDEN)
    } else {
        ApiError::abort_empty(StatusCode::UNAUTHORIZED)
    }
}

/// Requires the "owner" level (owner or foundation): user → 403, none →
/// 401/403 as [`denied`].
pub fn require_owner(caller: &Caller, role: Option<UserRole>) -> ApiResult<UserRole> {
    match role {
        Some(r @ (UserRole::Owner | UserRole::Foundation)) => Ok(r),
        Some(UserRole::User) => Err(ApiError::abort_empty(StatusCode::FORBIDDEN)),
        None => Err(denied(caller)),
    }
}
