//! Serde types for the RefStack v1 REST API: the JSON contract shared by
//! `refstack-server` (which serializes them) and `refstack-tester` (which
//! deserializes them).
//!
//! Every request and response body of the v1 API has a type here, with the
//! exact key set upstream RefStack 2.1.0 uses: a key that upstream omits is
//! absent (not `null`), a key that upstream renders as `null` is present.
//! Request bodies that upstream validates with a JSON schema reject unknown
//! keys and non-object bodies; the others ignore unknown keys, as upstream
//! does.
//!
//! | module | endpoints |
//! |---|---|
//! | [`results`] | `/v1/results` (upload, list, detail, PUT, meta) |
//! | [`compliance`] | `/v1/results/{id}/compliance` (beyond upstream) |
//! | [`guidelines`] | `/v1/guidelines` (list, test-list query) |
//! | [`profile`] | `/v1/profile`, `/v1/profile/pubkeys` |
//! | [`vendors`] | `/v1/vendors` (+ action, users) |
//! | [`products`] | `/v1/products` (+ versions) |
//! | [`error`] | both error body shapes |
//! | [`datetime`] | the `YYYY-MM-DD HH:MM:SS` timestamp format |
//! | [`schemas`] | the two JSON schemas served verbatim |
//!
//! With the `openapi` feature every type implements `utoipa::ToSchema` and
//! `openapi::ApiTypes` collects them all as OpenAPI components.
//!
//! # Example
//!
//! ```
//! use refstack_api_types::results::{UploadRequest, UploadResponse, UploadedTest};
//!
//! // What the tester sends...
//! let upload = UploadRequest {
//!     cpid: "6c0a0990".into(),
//!     duration_seconds: 42,
//!     results: vec![
//!         UploadedTest::with_uuid(
//!             "tempest.api.compute.test_versions.TestVersions.test_list_api_versions",
//!             "6c0a0990-43b6-4529-9b61-5fd8daf7c55c",
//!         ),
//!         UploadedTest::new("tempest.api.identity.test_tokens"),
//!     ],
//! };
//! let body = serde_json::to_string(&upload)?;
//! // ...is what the server reads (unknown top-level keys are rejected).
//! assert_eq!(serde_json::from_str::<UploadRequest>(&body)?, upload);
//! assert!(serde_json::from_str::<UploadRequest>(
//!     r#"{"cpid": "x", "duration_seconds": 1, "results": [], "extra": 1}"#
//! ).is_err());
//!
//! // The server's answer.
//! let answer: UploadResponse = serde_json::from_str(
//!     r#"{"test_id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
//!         "url": "https://refstack.openstack.org/#/results/8fb89ee2-22e4-49f4-80c1-4832e6e5391f"}"#,
//! )?;
//! assert!(answer.url.ends_with(&answer.test_id));
//! # Ok::<(), serde_json::Error>(())
//! ```

mod serde_util;

pub mod compare;
pub mod compliance;
pub mod datetime;
pub mod error;
pub mod guidelines;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod products;
pub mod profile;
pub mod results;
pub mod schemas;
pub mod stream;
pub mod vendors;

pub use datetime::{Timestamp, TimestampParseError};
pub use error::{ErrorBody, ExceptionErrorBody, HttpErrorBody};
pub use products::CreatedId;

/// An integer that is not a valid wire value of one of the integer enums
/// ([`results::VerificationStatus`], [`vendors::OrganizationType`],
/// [`products::ProductType`], [`products::ProductKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a valid {type_name} value")]
pub struct UnknownWireValue {
    /// The enum's name.
    pub type_name: &'static str,
    /// The rejected integer.
    pub value: i64,
}
