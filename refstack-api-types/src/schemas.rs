//! The JSON schemas upstream publishes, byte for byte as served.
//!
//! Upstream renders them with Python's `json` encoder defaults (`", "` and
//! `": "` separators, dict insertion order, no trailing newline); the bytes
//! below were checked against refstack 2.1.0's renderer.

/// Body of `GET /v1/results/schema`: the upload schema of
/// [`UploadRequest`](crate::results::UploadRequest).
///
/// Note `format: uuid_hex` is declared but never enforced upstream.
pub const RESULTS_SCHEMA: &str = r#"{"type": "object", "properties": {"cpid": {"type": "string"}, "duration_seconds": {"type": "integer"}, "results": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "uuid": {"type": "string", "format": "uuid_hex"}}}}}, "required": ["cpid", "duration_seconds", "results"], "additionalProperties": false}"#;

/// Body of `GET /v1/profile/pubkeys/schema`: the schema of
/// [`PubkeyUploadRequest`](crate::profile::PubkeyUploadRequest).
pub const PUBKEY_SCHEMA: &str = r#"{"type": "object", "properties": {"raw_key": {"type": "string"}, "self_signature": {"type": "string"}}, "required": ["raw_key", "self_signature"], "additionalProperties": false}"#;

/// The `Content-Type` upstream sends with both schemas (pecan adds no
/// charset to JSON).
pub const SCHEMA_CONTENT_TYPE: &str = "application/json";
