//! `GET /v1/results/{a}/compare/{b}` (beyond the upstream v1 contract, issue
//! 13 item 4): what changed from run `a` to run `b`, both scored by the
//! server against the same guideline and target (query parameters as for
//! the compliance report: [`crate::compliance::ComplianceQuery`]).
//!
//! ```
//! use refstack_api_types::compare::CompareReport;
//!
//! let r: CompareReport = serde_json::from_str(r#"{
//!   "guideline": "2020.06.json", "guideline_id": "2020.06", "target": "platform",
//!   "program": "OpenStack Powered Platform",
//!   "before": {"test_id": "a", "compliant": true, "passed": 2, "count": 2,
//!              "pass_percent": 100.0, "full_results": false},
//!   "after": {"test_id": "b", "compliant": false, "passed": 1, "count": 2,
//!             "pass_percent": 50.0, "full_results": true},
//!   "capabilities": [{"status": "required", "id": "compute-list",
//!                     "before": true, "after": false}],
//!   "tests": [{"status": "required", "capability": "compute-list",
//!              "name": "tempest.api.compute.test_list", "flagged": false,
//!              "passed_before": true, "passed_after": false,
//!              "before": "passed", "after": "failed"}]
//! }"#)?;
//! assert_eq!(r.tests[0].after, refstack_api_types::compliance::TestOutcome::Failed);
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::compliance::{CapabilityStatus, TestOutcome};
use crate::guidelines::Target;

/// One run of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompareRun {
    /// The test run.
    pub test_id: String,
    /// Its verdict.
    pub compliant: bool,
    /// Passed required tests.
    pub passed: u64,
    /// Required tests.
    pub count: u64,
    /// `passed * 100 / count`; `null` without required tests.
    pub pass_percent: Option<f64>,
    /// Whether its full subunit stream is known (else outcomes other than
    /// `passed` and `not_run` cannot be told apart).
    pub full_results: bool,
}

/// A capability whose verdict changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapabilityChange {
    /// Its status in the guideline for the target.
    pub status: CapabilityStatus,
    /// Capability id.
    pub id: String,
    /// Passed (every non-flagged test passed) in the first run.
    pub before: bool,
    /// Passed in the second run.
    pub after: bool,
}

/// A test whose pass or outcome changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestChange {
    /// Its capability's status.
    pub status: CapabilityStatus,
    /// Its capability.
    pub capability: String,
    /// The guideline's test name.
    pub name: String,
    /// Flagged in the guideline (never affects a verdict).
    pub flagged: bool,
    /// Passed (by name or alias) in the first run.
    pub passed_before: bool,
    /// Passed in the second run.
    pub passed_after: bool,
    /// Its outcome in the first run.
    pub before: TestOutcome,
    /// Its outcome in the second run.
    pub after: TestOutcome,
}

/// What changed from one run to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompareReport {
    /// The guideline file both runs were scored against.
    pub guideline: String,
    /// The guideline's own id, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline_id: Option<String>,
    /// The target program.
    pub target: Target,
    /// The program's display name.
    pub program: String,
    /// The first run (`a` in the URL).
    pub before: CompareRun,
    /// The second run (`b`).
    pub after: CompareRun,
    /// Capabilities whose verdict changed, in report order.
    pub capabilities: Vec<CapabilityChange>,
    /// Tests whose pass or outcome changed, in report order.
    pub tests: Vec<TestChange>,
}
