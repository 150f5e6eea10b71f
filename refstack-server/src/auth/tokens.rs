//! Personal API tokens (beyond upstream): `/v1/profile/tokens`.
//!
//! A token is `rst_` followed by 43 base64url characters (256 random bits); the database
//! keeps only its SHA-256. It is sent as `Authorization: Bearer rst_...` and then works
//! wherever a JWT does; the prefix tells the two apart (a JWT starts with `eyJ`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use refstack_api_types::Timestamp;
use refstack_api_types::profile::{ApiToken, ApiTokenCreateRequest, ApiTokenCreated};
use refstack_api_types::{ExceptionErrorBody, HttpErrorBody};

use super::{Caller, Via, secret};
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::RawBody;
use crate::state::AppState;

/// The prefix of every personal API token.
pub const PREFIX: &str = "rst_";

/// Routes under `/v1/profile/tokens`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile/tokens", get(list_tokens).post(create_token))
        .route("/profile/tokens/{id}", delete(delete_token))
}

/// The caller presenting `token` (which starts with [`PREFIX`]): one unique-index read.
pub(crate) async fn resolve(state: &AppState, token: &str) -> ApiResult<Caller> {
    let valid_shape = token.len() == PREFIX.len() + 43;
    let found = if valid_shape {
        db::tokens::find_by_hash(&state.db, &secret::digest(token)).await?
    } else {
        None
    };
    match found {
        Some(t) => Ok(Caller {
            openid: Some(t.openid),
            via: Via::ApiToken,
        }),
        None => Err(ApiError::abort(
            StatusCode::UNAUTHORIZED,
            "API token is not valid (unknown, revoked or expired)",
        )),
    }
}

fn token_json(t: db::tokens::ApiToken) -> ApiToken {
    ApiToken {
        expired: t.expires_at.is_some_and(|e| e <= db::now()),
        id: t.id,
        name: t.name,
        created_at: Timestamp(t.created_at),
        expires_at: t.expires_at.map(Timestamp),
    }
}

/// `GET /v1/profile/tokens`: the caller's tokens, newest first.
#[utoipa::path(get, path = "/v1/profile/tokens", tag = "profile", responses((status = 200, body = Vec<ApiToken>), (status = 401, body = HttpErrorBody)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ApiToken>>> {
    let openid = caller.require()?;
    let tokens = db::tokens::list_for_user(&state.db, openid).await?;
    Ok(axum::Json(tokens.into_iter().map(token_json).collect()))
}

/// `POST /v1/profile/tokens`: 201 with the token, shown this once.
#[utoipa::path(post, path = "/v1/profile/tokens", tag = "profile", request_body = ApiTokenCreateRequest, responses((status = 201, body = ApiTokenCreated), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody)))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<ApiTokenCreated>)> {
    let openid = caller.require()?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| ApiError::validation("Malformed request"))?;
    let req: ApiTokenCreateRequest = serde_json::from_value(value)
        .map_err(|_| ApiError::validation("Request doesnt correspond to schema"))?;
    if let Some(Timestamp(at)) = req.expires_at
        && at <= db::now()
    {
        return Err(ApiError::validation("expires_at must be in the future"));
    }
    let token = format!("{PREFIX}{}", secret::random(32)?);
    let stored = db::tokens::create(
        &state.db,
        &db::tokens::NewApiToken {
            token_hash: secret::digest(&token),
            openid: openid.to_owned(),
            name: req.name.trim().to_owned(),
            expires_at: req.expires_at.map(|t| t.0),
        },
    )
    .await
    .map_err(|e| match e {
        DbError::Invalid(m) => ApiError::validation(m),
        other => other.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ApiTokenCreated {
            info: token_json(stored),
            token,
        }),
    ))
}

/// `DELETE /v1/profile/tokens/{id}`: 204 for one of the caller's tokens, else 404.
#[utoipa::path(delete, path = "/v1/profile/tokens/{id}", tag = "profile", params(("id" = String, Path)), responses((status = 204), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = HttpErrorBody)))]
pub(crate) async fn delete_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let openid = caller.require()?;
    match db::tokens::delete_for_user(&state.db, openid, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::NotFound { .. }) => Err(ApiError::abort_empty(StatusCode::NOT_FOUND)),
        Err(e) => Err(e.into()),
    }
}
