//! RefStack domain logic: interop guidelines, test lists, compliance scoring,
//! test ids, upload payloads and signatures. Pure functions over in-memory
//! data: callers read files and sockets.
//!
//! | Module | What |
//! |---|---|
//! | [`guideline`] | [`Guideline::from_json`]: one typed model for schemas 1.2, 1.3–1.6, 2.0 and 2.0 add-ons; errors name the JSON path |
//! | [`testlist`] | [`test_list_text`]: RefStack's `GET /v1/guidelines/{v}/tests`, byte for byte |
//! | [`score`](mod@score) | [`score()`]: the upstream UI's compliance verdict and numbers, plus [`score::Extras`] beyond upstream |
//! | [`testid`] | [`TestId`]: `name[attr,attr](scenario)`, the upload name and uuid |
//! | [`payload`] | [`UploadPayload::from_records`]: the `POST /v1/results` body from subunit records |
//! | [`signature`] | RSA PKCS#1 v1.5 SHA-256: [`signature::PublicKey`], [`signature::PrivateKey`] |
//! | [`cpid`] | [`cpid::cpid_from_endpoint`]: the MD5-of-host-name CPID fallback |
//!
//! # Scoring a result
//!
//! ```
//! use refstack_core::{Guideline, Results, Target, score};
//!
//! let guideline = Guideline::from_json(br#"{
//!   "metadata": {"schema": "2.0", "id": "demo"},
//!   "platforms": {"OpenStack Powered Compute": {"components": [{"name": "os_powered_compute"}]}},
//!   "components": {"os_powered_compute": {"capabilities": {"required": ["compute-flavors-list"]}}},
//!   "capabilities": {"compute-flavors-list": {"tests": {
//!     "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors":
//!       {"idempotent_id": "id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59"},
//!     "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor":
//!       {"idempotent_id": "id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f",
//!        "flagged": {"reason": "[D401] bug in the test"}}}}}
//! }"#)?;
//!
//! // Passed tests as Tempest reports them; brackets are stripped like
//! // refstack-client does.
//! let results = Results::from_passed_test_ids([
//!     "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59,smoke]",
//! ]);
//! let report = score(&guideline, Target::Compute, &results)?;
//! assert!(report.compliant); // the only non-flagged required test passed
//! assert_eq!(report.required.count, 2);
//! assert_eq!(report.required.passed, 1);
//! assert_eq!(report.required.flagged_failed, 1);
//! assert_eq!(report.required.non_flagged_passed, 1);
//! assert_eq!(report.required.non_flagged_total, 1);
//! // A local JSON report (not a v1 wire type).
//! let json = serde_json::to_string(&report)?;
//! assert!(json.contains(r#""compliant":true"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod compare;
pub mod cpid;
pub mod guideline;
pub mod payload;
pub mod score;
pub mod signature;
pub mod target;
pub mod testid;
pub mod testlist;

pub use guideline::{Guideline, GuidelineError, Schema, Status};
pub use payload::{PassedTest, UploadPayload};
pub use score::{ComplianceReport, Results, score};
pub use target::{AddOn, InvalidTarget, Target};
pub use testid::TestId;
pub use testlist::{StatusFilter, TestListQuery, test_list, test_list_text};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
