//! `PUT /v1/results/{test_id}/stream` (beyond the upstream v1 contract):
//! the run's whole subunit stream, stored with every test's outcome.
//!
//! ```
//! use refstack_api_types::stream::StreamUploadResponse;
//!
//! let r: StreamUploadResponse = serde_json::from_str(r#"{
//!   "test_id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f", "format": "v2",
//!   "encoding": "gzip", "bytes": 1000, "stored_bytes": 200,
//!   "sha256": "00", "packets": 12, "rejected_packets": 0, "tests": 3,
//!   "passed": 1, "failed": 1, "skipped": 1, "other": 0, "mismatches": 0
//! }"#)?;
//! assert_eq!(r.rejected_packets, 0);
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

/// The answer to a stored stream (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamUploadResponse {
    /// The test run.
    pub test_id: String,
    /// The subunit version found: `v1` or `v2`.
    pub format: String,
    /// How the body was compressed: `identity`, `gzip` or `zstd`.
    pub encoding: String,
    /// Subunit bytes received (after decompression).
    pub bytes: u64,
    /// Bytes kept in the blob store (the stream, compressed).
    pub stored_bytes: u64,
    /// SHA-256 of the stored blob (its content address), lowercase hex.
    pub sha256: String,
    /// Packets parsed (v1: the events synthesised from its lines).
    pub packets: u64,
    /// Packet candidates rejected as corrupt (their bytes were skipped;
    /// everything that parsed was stored).
    pub rejected_packets: u64,
    /// Tests in the stream (one per test id and worker).
    pub tests: u64,
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed (unexpected successes included).
    pub failed: u64,
    /// Tests that were skipped.
    pub skipped: u64,
    /// Other outcomes: expected failures, incomplete or only enumerated.
    pub other: u64,
    /// Test names on which the stream and the run's uploaded passed tests
    /// disagree (passed in one, not in the other). Accepted; reports mark
    /// these tests.
    pub mismatches: u64,
}
