//! Extractors whose rejections use the upstream error shapes.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::extract::Query` with a 400 `{"title", "code"}` rejection.
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::validation(format!("Invalid query string: {}", e.body_text())))
    }
}

/// The raw body of a JSON (or form-encoded) request; a body over the limit
/// is a 413 in shape 1, one that holds a NUL character in a string (`\u0000`,
/// or `%00` in a form) a 400.
#[derive(Debug, Clone)]
pub struct RawBody(pub axum::body::Bytes);

/// The raw body of a plain-text request (meta values), unchecked but for
/// the size limit.
#[derive(Debug, Clone)]
pub struct TextBody(pub axum::body::Bytes);

async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            let status = e.status();
            if stalled(&e) {
                ApiError::abort(
                    StatusCode::REQUEST_TIMEOUT,
                    "The request body stopped arriving (see body_timeout_secs).",
                )
            } else if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::abort(status, "Request body is larger than the server accepts.")
            } else {
                ApiError::abort(status, e.body_text())
            }
        })
}

/// Whether reading the body failed because it made no progress in time.
fn stalled(e: &axum::extract::rejection::BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = err.source();
    }
    false
}

impl<S: Send + Sync> FromRequest<S> for TextBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        body_bytes(req, state).await.map(TextBody)
    }
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let body = body_bytes(req, state).await?;
        let nul = if form {
            memchr::memmem::find(&body, b"%00").is_some()
        } else {
            json_has_nul_escape(&body)
        };
        if nul {
            return Err(ApiError::validation(NUL_IN_BODY));
        }
        Ok(RawBody(body))
    }
}

/// The 400 title for a body that holds a NUL character (issue 15 item 7:
/// PostgreSQL cannot store one, so every backend refuses it alike).
pub const NUL_IN_BODY: &str = "Request body must not contain a NUL character";

/// Whether a JSON text holds the escape `\u0000` (a NUL in a string). An
/// escaped backslash before `u0000` (`\\u0000`, the six characters
/// `\u0000` as text) is not one: the backslashes before `u` must be odd in
/// number. A raw NUL byte is not valid JSON and fails parsing anyway.
pub fn json_has_nul_escape(body: &[u8]) -> bool {
    memchr::memmem::find_iter(body, b"u0000").any(|i| {
        let run = body[..i].iter().rev().take_while(|&&b| b == b'\\').count();
        run % 2 == 1
    })
}

#[cfg(test)]
mod tests {
    use super::json_has_nul_escape;

    #[test]
    fn nul_escapes() {
        assert!(json_has_nul_escape(br#"{"a": "x\u0000y"}"#));
        assert!(json_has_nul_escape(br#"{"a\u0000": 1}"#));
        assert!(json_has_nul_escape(br#""\\\u0000""#));
        assert!(!json_has_nul_escape(br#"{"a": "\\u0000"}"#));
        assert!(!json_has_nul_escape(br#"{"a": "u0000"}"#));
        assert!(!json_has_nul_escape(b""));
    }
}
