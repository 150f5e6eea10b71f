//! `/v1/profile` and `/v1/profile/pubkeys` (reference §2.4).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use refstack_api_types::profile::{Profile, Pubkey, PubkeyId, PubkeyUploadRequest};
use refstack_api_types::{ExceptionErrorBody, HttpErrorBody};
use refstack_core::signature::{PublicKey, SignatureError};

use crate::auth::Caller;
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::RawBody;
use crate::state::AppState;

/// Key formats upstream's validator accepts before loading the key.
const KNOWN_FORMATS: [&str; 4] = ["ssh-dss", "ssh-rsa", "pgp-sign-rsa", "pgp-sign-dss"];

/// Routes under `/v1/profile`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(profile))
        .route("/profile/pubkeys", get(list_keys).post(add_key))
        .route("/profile/pubkeys/schema", get(schema))
        .route("/profile/pubkeys/{id}", delete(delete_key))
}

/// `GET /v1/profile`.
#[utoipa::path(get, path = "/v1/profile", tag = "profile", responses((status = 200, body = Profile), (status = 401, body = HttpErrorBody)))]
pub(crate) async fn profile(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Profile>> {
    let openid = caller.require()?;
    let user = db::users::get(&state.db, openid).await?;
    Ok(axum::Json(Profile {
        openid: user.openid,
        email: user.email,
        fullname: user.fullname,
        is_admin: caller.is_foundation(&state).await?,
    }))
}

fn key_json(k: db::pubkeys::Pubkey) -> Pubkey {
    Pubkey {
        id: k.id,
        openid: k.openid,
        format: k.format,
        pubkey: k.pubkey,
        comment: k.comment.unwrap_or_default(),
    }
}

/// `GET /v1/profile/pubkeys`.
#[utoipa::path(get, path = "/v1/profile/pubkeys", tag = "profile", responses((status = 200, body = Vec<Pubkey>), (status = 401, body = HttpErrorBody)))]
pub(crate) async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<Pubkey>>> {
    let openid = caller.require()?;
    let keys = db::pubkeys::list_for_user(&state.db, openid).await?;
    Ok(axum::Json(keys.into_iter().map(key_json).collect()))
}

/// Checks a key line and its self-signature (upstream's `PubkeyValidator`;
/// non-RSA keys get "Public key has unsupported format", §10 item 6).
/// Returns `(format, base64 body, comment)`.
pub fn validate_key(
    raw_key: &str,
    self_signature: &str,
) -> ApiResult<(String, String, Option<String>)> {
    let mut parts = raw_key.split_whitespace();
    let format = parts.next().unwrap_or("");
    if !KNOWN_FORMATS.contains(&format) {
        return Err(ApiError::validation("Public key has unsupported format"));
    }
    if self_signature.is_empty() || hex::decode(self_signature.trim()).is_err() {
        return Err(ApiError::validation("Malformed signature"));
    }
    let key = match PublicKey::from_openssh(raw_key.trim()) {
        Ok(k) => k,
        Err(SignatureError::UnsupportedKeyType(_)) => {
            return Err(ApiError::validation("Public key has unsupported format"));
        }
        Err(_) => return Err(ApiError::validation("Malformed public key")),
    };
    key.verify_self_signature(self_signature.trim())
        .map_err(|_| ApiError::validation("Signature verification failed"))?;
    let body = parts.next().unwrap_or("").to_owned();
    let comment: Vec<&str> = parts.collect();
    let comment = (!comment.is_empty()).then(|| comment.join(" "));
    Ok((format.to_owned(), body, comment))
}

/// `POST /v1/profile/pubkeys`: 201 with the new id as a bare JSON string.
#[utoipa::path(post, path = "/v1/profile/pubkeys", tag = "profile", request_body = PubkeyUploadRequest, responses((status = 201, body = PubkeyId), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody), (status = 409, body = ExceptionErrorBody)))]
pub(crate) async fn add_key(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<PubkeyId>)> {
    let openid = caller.require()?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| ApiError::validation("Malformed request"))?;
    let req: PubkeyUploadRequest = serde_json::from_value(value)
        .map_err(|_| ApiError::validation("Request doesnt correspond to schema"))?;
    let (format, pubkey, comment) = validate_key(&req.raw_key, &req.self_signature)?;
    let stored = db::pubkeys::add(
        &state.db,
        &db::pubkeys::NewPubkey {
            openid: openid.to_owned(),
            format,
            pubkey,
            comment,
        },
    )
    .await
    .map_err(|e| match e {
        DbError::Conflict(_) => ApiError::conflict("Public key already exists."),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, axum::Json(PubkeyId(stored.id))))
}

/// `DELETE /v1/profile/pubkeys/{id}`: 204 for one of the caller's keys, else 404.
#[utoipa::path(delete, path = "/v1/profile/pubkeys/{id}", tag = "profile", params(("id" = String, Path)), responses((status = 204), (status = 401, body = HttpErrorBody), (status = 404, body = HttpErrorBody)))]
pub(crate) async fn delete_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let openid = caller.require()?;
    match db::pubkeys::delete_for_user(&state.db, openid, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::NotFound { .. }) => Err(ApiError::abort_empty(StatusCode::NOT_FOUND)),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/v1/profile/pubkeys/schema", tag = "profile", responses((status = 200, description = "The JSON schema of a key upload", content_type = "application/json")))]
pub(crate) async fn schema() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        refstack_api_types::schemas::PUBKEY_SCHEMA,
    )
        .into_response()
}
