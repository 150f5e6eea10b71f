//! `/v1/profile` and `/v1/profile/pubkeys`.

use serde::{Deserialize, Serialize};

use crate::serde_util::object_only;

/// Answer of `GET /v1/profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// The user's openid (the OpenID claimed id URL).
    pub openid: String,
    /// E-mail address, or `null`.
    pub email: Option<String>,
    /// Full name, or `null`.
    pub fullname: Option<String>,
    /// Whether the user is a foundation admin.
    pub is_admin: bool,
}

/// A stored public key (`GET /v1/profile/pubkeys` items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pubkey {
    /// Key id (uuid4).
    pub id: String,
    /// Owner's openid.
    pub openid: String,
    /// Key format, e.g. `ssh-rsa`.
    pub format: String,
    /// The base64 key body (second token of the OpenSSH line).
    pub pubkey: String,
    /// The comment (third token), `""` when absent.
    pub comment: String,
}

/// Body of `POST /v1/profile/pubkeys` (both keys required, no others; a
/// JSON object; see [`PUBKEY_SCHEMA`](crate::schemas::PUBKEY_SCHEMA)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PubkeyUploadRequest {
    /// The OpenSSH public key line: `ssh-rsa AAAA... [comment]`.
    pub raw_key: String,
    /// Hex RSA PKCS#1 v1.5 SHA-256 signature of the ASCII bytes `signature`.
    pub self_signature: String,
}
object_only!(
    PubkeyUploadRequest,
    "a JSON object with raw_key and self_signature"
);

/// Answer (201) of `POST /v1/profile/pubkeys`: the new key id as a bare
/// JSON string, e.g. `"b0201d1a-e31f-4215-956e-aa8332d5ca6c"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PubkeyId(pub String);

/// Body of `POST /v1/profile/tokens` (beyond upstream): a personal API token
/// to create. A JSON object; unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenCreateRequest {
    /// A name for the token (1 to 128 characters), e.g. `laptop`.
    pub name: String,
    /// Expiry, `YYYY-MM-DD HH:MM:SS` UTC, in the future; absent or `null`:
    /// the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<crate::Timestamp>,
}
object_only!(
    ApiTokenCreateRequest,
    "a JSON object with name and optionally expires_at"
);

/// A personal API token as listed by `GET /v1/profile/tokens` (never with
/// its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// Token id (used to revoke it: `DELETE /v1/profile/tokens/{id}`).
    pub id: String,
    /// The name given at creation.
    pub name: String,
    /// Creation time (UTC).
    pub created_at: crate::Timestamp,
    /// Expiry (UTC), or `null` (always present).
    #[serde(deserialize_with = "crate::serde_util::required_nullable")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub expires_at: Option<crate::Timestamp>,
    /// Whether the token has expired.
    pub expired: bool,
}

/// Answer (201) of `POST /v1/profile/tokens`: the stored token and, this
/// once, the token itself (`rst_...`; the server keeps only its SHA-256).
/// Send it as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenCreated {
    /// The stored token.
    #[serde(flatten)]
    pub info: ApiToken,
    /// The token (shown once).
    pub token: String,
}
