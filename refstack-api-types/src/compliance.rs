//! `GET /v1/results/{test_id}/compliance`: the compliance report of a test
//! run against a guideline and target, computed by the server.
//!
//! This endpoint is **beyond the upstream v1 contract**: upstream RefStack
//! computed the report in its AngularJS UI (reference §6). Here the server
//! computes it with `refstack-core` from the stored passed tests, with the
//! same semantics (a test passes by name or alias, flagged tests never
//! affect the verdict, the verdict is "every non-flagged required test
//! passed"), and the web UI only renders it.
//!
//! ```
//! use refstack_api_types::compliance::ComplianceReport;
//!
//! let report: ComplianceReport = serde_json::from_str(r#"{
//!   "test_id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
//!   "guideline": "2020.06.json", "guideline_id": "2020.06", "schema": "2.0",
//!   "target": "platform", "program": "OpenStack Powered Platform",
//!   "compliant": true,
//!   "required": {"capabilities": 1, "count": 1, "passed": 1, "not_passed": 0,
//!                "flagged_passed": 0, "flagged_failed": 0, "non_flagged_total": 1,
//!                "non_flagged_passed": 1, "pass_percent": 100.0,
//!                "non_flagged_pass_percent": 100.0},
//!   "failing_required_capabilities": [],
//!   "statuses": [{"status": "required", "count": 1, "passed": 1, "flagged_passed": 0,
//!     "flagged_failed": 0, "capabilities": [{"id": "compute-list", "defined": true,
//!       "total": 1, "passed": 1, "flagged_passed": 0, "flagged_failed": 0, "passes": true,
//!       "tests": [{"name": "tempest.api.compute.test_list", "passed": true, "flagged": false}]}]}]
//! }"#)?;
//! assert!(report.compliant);
//! assert_eq!(report.statuses[0].capabilities[0].tests[0].aliases, Vec::<String>::new());
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::guidelines::Target;

/// Query parameters of `GET /v1/results/{test_id}/compliance`, kept as raw
/// strings so that a bad value gets a clear error message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ComplianceQuery {
    /// Guideline file or version (`2020.06.json`, `2020.06`,
    /// `dns.2020.06.json`; for an add-on target a bare version is taken in
    /// that add-on's list). Default: the run's `guideline` meta, else the
    /// newest dated guideline of the target's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
    /// Target program (`platform`, `compute`, `object`, `dns`, ...).
    /// Default: the run's `target` meta, else `platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// A capability status as used in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CapabilityStatus {
    /// Required: decides the verdict.
    Required,
    /// Advisory: expected to become required.
    Advisory,
    /// Deprecated: expected to be removed.
    Deprecated,
    /// Removed.
    Removed,
}

/// The compliance report of one test run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceReport {
    /// The test run.
    pub test_id: String,
    /// The guideline file scored against (`2020.06.json`, `dns.2020.06.json`).
    pub guideline: String,
    /// The guideline's own id (`metadata.id`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline_id: Option<String>,
    /// The guideline schema (`1.2` ... `2.0`).
    pub schema: String,
    /// The target program.
    pub target: Target,
    /// The program's display name.
    pub program: String,
    /// The verdict: every non-flagged test of every required capability
    /// passed (directly or through an alias).
    pub compliant: bool,
    /// Headline numbers over the required capabilities.
    pub required: RequiredSummary,
    /// Required capabilities with a non-flagged test that did not pass.
    pub failing_required_capabilities: Vec<String>,
    /// One entry per status, in the order required, advisory, deprecated,
    /// removed.
    pub statuses: Vec<StatusReport>,
    /// Present when the run's full subunit stream was uploaded: the test
    /// statuses then come from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamSummary>,
}

/// Headline numbers of the required capabilities (upstream UI names in
/// parentheses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequiredSummary {
    /// Number of required capabilities.
    pub capabilities: u64,
    /// Required tests, flagged included (`count`).
    pub count: u64,
    /// Passed required tests (`passedCount`).
    pub passed: u64,
    /// `count - passed` (`totalRequiredFailCount`).
    pub not_passed: u64,
    /// Flagged required tests that passed (`flagPassCount`).
    pub flagged_passed: u64,
    /// Flagged required tests that did not pass (`flagFailCount`).
    pub flagged_failed: u64,
    /// Non-flagged required tests (`totalNonFlagCount`).
    pub non_flagged_total: u64,
    /// Non-flagged required tests that passed (`nonFlagPassCount`).
    pub non_flagged_passed: u64,
    /// `passed * 100 / count`; `null` when there are no required tests.
    pub pass_percent: Option<f64>,
    /// `non_flagged_passed * 100 / non_flagged_total`; `null` when there
    /// are no non-flagged required tests.
    pub non_flagged_pass_percent: Option<f64>,
}

/// The capabilities of one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusReport {
    /// The status.
    pub status: CapabilityStatus,
    /// Tests over all capabilities of this status.
    pub count: u64,
    /// Passed tests.
    pub passed: u64,
    /// Flagged tests that passed.
    pub flagged_passed: u64,
    /// Flagged tests that did not pass.
    pub flagged_failed: u64,
    /// The capabilities, ordered by id.
    pub capabilities: Vec<CapabilityReport>,
}

/// One capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapabilityReport {
    /// Capability id.
    pub id: String,
    /// False when a component lists the id but the guideline does not
    /// define it (it then has no tests).
    pub defined: bool,
    /// Number of tests, flagged included.
    pub total: u64,
    /// Passed tests, flagged included.
    pub passed: u64,
    /// Flagged tests that passed.
    pub flagged_passed: u64,
    /// Flagged tests that did not pass.
    pub flagged_failed: u64,
    /// Every non-flagged test passed.
    pub passes: bool,
    /// The tests, in guideline order.
    pub tests: Vec<TestReport>,
}

/// One test of a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestReport {
    /// The guideline's test name.
    pub name: String,
    /// The idempotent id as written in the guideline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_id: Option<String>,
    /// Other names of the test.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Among the run's passed tests, by name or alias.
    pub passed: bool,
    /// The alias that matched, when the test passed through an alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed_as: Option<String>,
    /// Flagged by the Interop Working Group (never affects the verdict).
    pub flagged: bool,
    /// The flag reason, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag_reason: Option<String>,
    /// What became of the test: from the run's full subunit stream when one
    /// was uploaded (`PUT /v1/results/{id}/stream`), else `passed` or
    /// `not_run` from the passed tests.
    #[serde(default)]
    pub status: TestOutcome,
    /// Milliseconds the test took, from the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Why it was skipped (the stream's `reason` attachment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// The failure's traceback (its end, when longer than the server keeps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceback: Option<String>,
    /// The stream and the uploaded passed tests disagree about this test
    /// (the stream says it passed and the upload does not list it, or the
    /// other way round). The verdict follows the uploaded passed tests.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mismatch: bool,
}

/// What became of one test in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TestOutcome {
    /// Passed.
    Passed,
    /// Failed or errored.
    Failed,
    /// Skipped (see `skip_reason`).
    Skipped,
    /// Failed as expected (not a pass for RefStack).
    ExpectedFailure,
    /// Passed although expected to fail (not a pass for RefStack).
    UnexpectedSuccess,
    /// Started but never finished.
    Incomplete,
    /// Not in the run.
    #[default]
    NotRun,
}

/// What the run's uploaded subunit stream held, in a compliance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamSummary {
    /// Tests in the stream (one per test id).
    pub tests: u64,
    /// Packet candidates rejected as corrupt while parsing it.
    pub rejected_packets: u64,
    /// Tests of this report whose stream outcome disagrees with the
    /// uploaded passed tests (`mismatch`).
    pub mismatches: u64,
}
