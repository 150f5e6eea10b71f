//! `/v1/results`: uploads, listings, single runs, the PUT body and metadata.
//!
//! Upstream field sets differ by endpoint and by the caller's role; each
//! shape has its own type here so that a missing field is a compile error
//! rather than a silent leak (notably: `cpid` never appears in list items or
//! for plain users).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::products::ProductVersionWithProduct;
use crate::serde_util::{double_option, int_enum, non_null, object_only};

/// Test-run metadata as rendered by the API: `{meta_key: value}`.
///
/// Values are the raw text that was stored (the meta POST body, not JSON
/// decoded). See [`MetaKey`] for the keys in use.
pub type Meta = BTreeMap<String, String>;

/// Answer of `GET /v1/results/{test_id}/meta/{key}`: the stored text as a
/// JSON string, or `null` when the key is not set.
pub type MetaValue = Option<String>;

/// Body of `POST /v1/results`: one test run.
///
/// Unknown top-level keys are rejected (the upstream schema has
/// `additionalProperties: false`); the body must be a JSON object.
///
/// ```
/// use refstack_api_types::results::{UploadRequest, UploadedTest};
///
/// let body = UploadRequest {
///     cpid: "6c0a09...".into(),
///     duration_seconds: 10,
///     results: vec![UploadedTest::new("tempest.api.compute.test_a")],
/// };
/// assert_eq!(
///     serde_json::to_string(&body)?,
///     r#"{"cpid":"6c0a09...","duration_seconds":10,"results":[{"name":"tempest.api.compute.test_a"}]}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRequest {
    /// Cloud provider id (Keystone identity endpoint id or an md5 hex).
    pub cpid: String,
    /// Wall-clock duration of the run, whole seconds (a JSON integer).
    pub duration_seconds: i64,
    /// The passed tests.
    pub results: Vec<UploadedTest>,
}
object_only!(
    UploadRequest,
    "a JSON object with cpid, duration_seconds and results"
);

/// One passed test in an [`UploadRequest`].
///
/// `uuid` is omitted when absent (never `null`; an explicit `null` is
/// rejected as upstream does). Unknown keys (e.g. the legacy `uid`) are
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedTest {
    /// Test id without its `[...]` attribute block.
    pub name: String,
    /// The idempotent id (the part after `id-`), when the test has one.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub uuid: Option<String>,
}
object_only!(UploadedTest, "a JSON object with name and optional uuid");

impl UploadedTest {
    /// A test without idempotent id.
    pub fn new(name: impl Into<String>) -> Self {
        UploadedTest {
            name: name.into(),
            uuid: None,
        }
    }

    /// A test with an idempotent id.
    pub fn with_uuid(name: impl Into<String>, uuid: impl Into<String>) -> Self {
        UploadedTest {
            name: name.into(),
            uuid: Some(uuid.into()),
        }
    }
}

/// Answer (201) of `POST /v1/results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadResponse {
    /// Id of the new test run (a uuid4 string).
    pub test_id: String,
    /// UI address of the run, e.g. `https://refstack.openstack.org/#/results/<id>`.
    pub url: String,
}

int_enum! {
    /// Whether the foundation verified a test run (`verification_status`).
    pub enum VerificationStatus {
        /// Not verified (every upload starts here).
        NotVerified = 0,
        /// Verified by a foundation admin; the run is then frozen.
        Verified = 1,
    }
}

/// The caller's role on one test run (`user_role` of
/// `GET /v1/results/{test_id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UserRole {
    /// A foundation admin: sees and manages everything.
    Foundation,
    /// The uploader (meta `user` equals the caller's openid).
    Owner,
    /// Anyone allowed to read the run (anonymous or shared upload).
    User,
}

/// Pagination block of [`ResultsPage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pagination {
    /// The 1-based page returned.
    pub current_page: u64,
    /// `ceil(count / results_per_page)`; 0 when there are no runs.
    pub total_pages: u64,
}

/// Answer of `GET /v1/results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultsPage {
    /// The runs of this page, newest first.
    pub results: Vec<ResultListItem>,
    /// Where this page is.
    pub pagination: Pagination,
}

/// One run in [`ResultsPage`]. Never carries `cpid`.
///
/// For callers that are neither the owner nor a foundation admin,
/// `product_version` is `null` when its product is private and `meta` only
/// holds `shared`, `guideline` and `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultListItem {
    /// Upload time.
    pub created_at: Timestamp,
    /// Test run id.
    pub id: String,
    /// Duration in seconds.
    pub duration_seconds: i64,
    /// Verification state.
    pub verification_status: VerificationStatus,
    /// Metadata (possibly filtered, see above).
    pub meta: BTreeMap<String, String>,
    /// Associated product version, or `null`.
    pub product_version: Option<ProductVersionWithProduct>,
    /// UI address of the run.
    pub url: String,
}

/// Answer of `GET /v1/results/{test_id}`.
///
/// `cpid` is present only for roles [`UserRole::Owner`] and
/// [`UserRole::Foundation`]; for [`UserRole::User`] the key is absent,
/// `meta` is filtered and a private product version is `null`.
/// `results` lists test **names** only (uuids are never returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultDetail {
    /// Upload time.
    pub created_at: Timestamp,
    /// Test run id.
    pub id: String,
    /// Cloud provider id; owner and foundation only.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub cpid: Option<String>,
    /// Duration in seconds.
    pub duration_seconds: i64,
    /// Verification state.
    pub verification_status: VerificationStatus,
    /// Metadata (all keys for owner/foundation).
    pub meta: BTreeMap<String, String>,
    /// Associated product version, or `null`.
    pub product_version: Option<ProductVersionWithProduct>,
    /// Names of the passed tests.
    pub results: Vec<String>,
    /// The caller's role on this run.
    pub user_role: UserRole,
}

/// A run as answered (201) by `PUT /v1/results/{test_id}`: the default
/// keys with unfiltered `meta`; no `cpid`, `results`, `user_role` or `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultRecord {
    /// Upload time.
    pub created_at: Timestamp,
    /// Test run id.
    pub id: String,
    /// Duration in seconds.
    pub duration_seconds: i64,
    /// Verification state.
    pub verification_status: VerificationStatus,
    /// All metadata.
    pub meta: BTreeMap<String, String>,
    /// Associated product version, or `null`.
    pub product_version: Option<ProductVersionWithProduct>,
}

/// Body of `PUT /v1/results/{test_id}`. Both keys are optional; unknown
/// keys are ignored (upstream does no schema validation on PUT bodies).
///
/// `product_version_id`: absent → unchanged; `null` → `Some(None)`
/// (disassociate); a string → `Some(Some(id))` (an empty string also
/// disassociates upstream). `verification_status` is passed through as the
/// integer sent so the server can answer upstream's
/// `"Invalid verification_status value: 5"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultUpdateRequest {
    /// Product version to associate, `null`/`""` to disassociate.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub product_version_id: Option<Option<String>>,
    /// New verification status (0 or 1; foundation admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<i64>,
}

/// The metadata keys in use.
///
/// Only [`MetaKey::Shared`], [`MetaKey::Guideline`] and [`MetaKey::Target`]
/// can be written through the API; [`MetaKey::User`] is set by the server on
/// signed uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MetaKey {
    /// Openid of the uploader (signed uploads only; read-only).
    User,
    /// Present and non-empty = shared with the community (UI writes `true`).
    Shared,
    /// Guideline file name, e.g. `2020.06.json`.
    Guideline,
    /// Target program, e.g. `platform`.
    Target,
}

impl MetaKey {
    /// The keys writable with `POST/DELETE /v1/results/{id}/meta/{key}`.
    pub const WRITABLE: [MetaKey; 3] = [MetaKey::Shared, MetaKey::Guideline, MetaKey::Target];

    /// The key as it appears in JSON and URLs.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetaKey::User => "user",
            MetaKey::Shared => "shared",
            MetaKey::Guideline => "guideline",
            MetaKey::Target => "target",
        }
    }

    /// The key for a string, if it is one of the four.
    pub fn from_key(key: &str) -> Option<Self> {
        [
            MetaKey::User,
            MetaKey::Shared,
            MetaKey::Guideline,
            MetaKey::Target,
        ]
        .into_iter()
        .find(|k| k.as_str() == key)
    }

    /// Whether the API lets owners write this key.
    pub const fn is_writable(self) -> bool {
        !matches!(self, MetaKey::User)
    }
}

/// Query parameters of `GET /v1/results`, kept as the raw strings sent
/// (upstream's error messages depend on the raw text, e.g. a non-integer
/// `page`). Unknown parameters (`per_page`, ...) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ResultsQuery {
    /// 1-based page number (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Inclusive lower bound on `created_at`, `YYYY-MM-DD HH:MM:SS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Inclusive upper bound on `created_at`, `YYYY-MM-DD HH:MM:SS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Exact cloud provider id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpid: Option<String>,
    /// `0` or `1`; ignored when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<String>,
    /// Presence only (any value, even `false`): the caller's own runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
    /// Runs associated with this product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
}
