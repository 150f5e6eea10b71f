//! The one error type of the HTTP layer and its mapping to the two upstream
//! error body shapes (reference §1.3).
//!
//! * [`ApiError::Http`] is webob's `pecan.abort(code, msg)` shape:
//!   `{"code": 403, "title": "Forbidden", "detail": "Forbidden."}` where
//!   `detail` is a string, `""` or `null`.
//! * [`ApiError::Exception`] is the shape of Python exceptions mapped by the
//!   upstream `JSONErrorHook`: `{"title": "<message>", "code": 400}`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to the client in one of the upstream error shapes.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `{"code", "title": <reason phrase>, "detail"}` (webob HTTP errors).
    #[error("{status}: {detail:?}")]
    Http {
        /// The HTTP status.
        status: StatusCode,
        /// `None` renders `null`, `Some("")` renders `""`.
        detail: Option<String>,
    },
    /// `{"title": <message>, "code"}` (exceptions mapped by type).
    #[error("{status}: {title}")]
    Exception {
        /// The HTTP status.
        status: StatusCode,
        /// The message shown as `title`.
        title: String,
    },
    /// An unexpected server-side failure: logged, answered as a generic
    /// `{"title": "Internal Server Error", "code": 500}`.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// `pecan.abort(status, detail)`.
    pub fn abort(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Http {
            status,
            detail: Some(detail.into()),
        }
    }

    /// `pecan.abort(status)` without a message: `"detail": ""`.
    pub fn abort_empty(status: StatusCode) -> Self {
        Self::abort(status, "")
    }

    /// 401 with `"detail": null`: the caller is not signed in (`@secure`).
    pub fn unauthenticated() -> Self {
        Self::Http {
            status: StatusCode::UNAUTHORIZED,
            detail: None,
        }
    }

    /// 403 `"Forbidden."` as upstream's controllers answer it.
    pub fn forbidden() -> Self {
        Self::abort(StatusCode::FORBIDDEN, "Forbidden.")
    }

    /// Routing 404 with `"detail": null`.
    pub fn route_not_found() -> Self {
        Self::Http {
            status: StatusCode::NOT_FOUND,
            detail: None,
        }
    }

    /// `ValidationError` / `ParseInputsError`: 400 `{"title": msg, "code": 400}`.
    pub fn validation(msg: impl Into<String>) -> Self {
        Self::Exception {
            status: StatusCode::BAD_REQUEST,
            title: msg.into(),
        }
    }

    /// `db.NotFound`: 404 `{"title": msg, "code": 404}`.
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::Exception {
            status: StatusCode::NOT_FOUND,
            title: msg.into(),
        }
    }

    /// `db.Duplication`: 409 `{"title": msg, "code": 409}`.
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Exception {
            status: StatusCode::CONFLICT,
            title: msg.into(),
        }
    }

    /// An internal failure (the message is logged, never sent).
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        Self::Internal(msg.to_string())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Http { status, .. } | Self::Exception { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::Http { status, detail } => json!({
                "code": status.as_u16(),
                "title": status.canonical_reason().unwrap_or("Unknown"),
                "detail": detail,
            }),
            Self::Exception { status, title } => json!({
                "title": title,
                "code": status.as_u16(),
            }),
            Self::Internal(msg) => {
                tracing::error!(error = %msg, "internal server error");
                let mut resp = (
                    status,
                    axum::Json(json!({"title": "Internal Server Error", "code": 500})),
                )
                    .into_response();
                resp.extensions_mut().insert(InternalDetail(msg.clone()));
                return resp;
            }
        };
        (status, axum::Json(body)).into_response()
    }
}

/// The message of an internal error, attached to its response so that
/// `app_dev_mode` can show it as `detail` (reference §1.3).
#[derive(Debug, Clone)]
pub struct InternalDetail(pub String);

/// Response mapper used when `app_dev_mode` is on: adds `"detail"` to 500
/// answers of internal errors, as upstream's dev mode does.
pub fn with_dev_detail(mut resp: Response) -> Response {
    let Some(InternalDetail(msg)) = resp.extensions_mut().remove::<InternalDetail>() else {
        return resp;
    };
    let body = json!({"title": "Internal Server Error", "code": 500, "detail": msg});
    (resp.status(), axum::Json(body)).into_response()
}

/// Middleware (`axum::middleware::from_fn_with_state(limit, timeout)`): answers 408
/// `{"code": 408, "title": "Request Timeout", "detail": "..."}` (the HTTP error shape of
/// every other answer) when handling a request, reading its body included, takes longer
/// than `limit`. The unfinished handler is dropped, which rolls back an open transaction.
pub async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::abort(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request was not handled within {} s.",
                limit.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        use crate::db::DbError;
        match e {
            DbError::NotFound { .. } => ApiError::not_found(e.to_string()),
            DbError::Conflict(m) => ApiError::conflict(m),
            DbError::InUse(m) | DbError::Invalid(m) | DbError::InvalidState(m) => {
                ApiError::validation(m)
            }
            other => ApiError::internal(other),
        }
    }
}
