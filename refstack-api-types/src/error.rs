//! The two error body shapes upstream produces (both must be reproduced;
//! the UI reads `title` and `detail` from either).

use serde::{Deserialize, Serialize};

use crate::serde_util::required_nullable;

/// Shape 1, from HTTP errors (aborts, permission failures, routing):
/// `{"code": 404, "title": "Not Found", "detail": null}`.
///
/// `detail` is always present: a message, `""` or `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HttpErrorBody {
    /// HTTP status code.
    pub code: u16,
    /// HTTP reason phrase (`Not Found`, `Unauthorized`, ...).
    pub title: String,
    /// The message, `""` for a bare abort, `null` for routing/login errors.
    #[serde(deserialize_with = "required_nullable")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub detail: Option<String>,
}

/// Shape 2, from mapped exceptions (validation 400, not found 404,
/// duplicate 409, other 500): `{"title": "<message>", "code": 400}`, plus
/// `detail` only in upstream's dev mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExceptionErrorBody {
    /// The message (`"Internal Server Error"` for unexpected errors).
    pub title: String,
    /// HTTP status code.
    pub code: u16,
    /// Debug detail (dev mode only; otherwise the key is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Either error shape. Deserialization picks [`ErrorBody::Http`] when a
/// `detail` key is present (even `null`), else [`ErrorBody::Exception`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorBody {
    /// `{"code", "title", "detail"}`.
    Http(HttpErrorBody),
    /// `{"title", "code"}`.
    Exception(ExceptionErrorBody),
}

impl ErrorBody {
    /// The HTTP status code in the body.
    pub fn code(&self) -> u16 {
        match self {
            ErrorBody::Http(e) => e.code,
            ErrorBody::Exception(e) => e.code,
        }
    }

    /// The title (reason phrase or message).
    pub fn title(&self) -> &str {
        match self {
            ErrorBody::Http(e) => &e.title,
            ErrorBody::Exception(e) => &e.title,
        }
    }

    /// The detail, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ErrorBody::Http(e) => e.detail.as_deref(),
            ErrorBody::Exception(e) => e.detail.as_deref(),
        }
    }

    /// The most specific human-readable message: `detail` when non-empty,
    /// else `title`.
    pub fn message(&self) -> &str {
        match self.detail() {
            Some(d) if !d.is_empty() => d,
            _ => self.title(),
        }
    }
}
