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
