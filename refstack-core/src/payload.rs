//! The upload payload (`POST /v1/results`) built from subunit test records.
//!
//! refstack-client's rules (`subunit_processor.py`): only tests whose final
//! status is success count; each becomes `{name, uuid?}` with the name
//! from [`TestId::upload_name`] and the uuid from [`TestId::uuid`] (the key
//! omitted when there is none); stream order, no sorting, no de-duplication.
//!
//! "Stream order" is the order of the records handed in: refstack-client
//! lists tests in the order they finished, which is the order a
//! `refstack_subunit` record sink receives them; `refstack_subunit::Records`
//! instead keeps first-seen order. The builder never reorders.

use refstack_api_types::results::{UploadRequest, UploadedTest};
use refstack_subunit::{TestRecord, TestStatus};

use crate::testid::TestId;

/// One passed test as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PassedTest {
    /// The test id without its `[...]` block, scenario suffix kept.
    pub name: String,
    /// The idempotent id without `id-`, when the id carries one.
    pub uuid: Option<String>,
}

impl PassedTest {
    /// The upload entry for one test id.
    pub fn from_test_id(id: &str) -> Self {
        let parsed = TestId::parse(id);
        Self {
            name: parsed.upload_name().into_owned(),
            uuid: parsed.uuid().map(str::to_owned),
        }
    }
}

impl From<PassedTest> for UploadedTest {
    fn from(t: PassedTest) -> Self {
        UploadedTest {
            name: t.name,
            uuid: t.uuid,
        }
    }
}

impl From<UploadedTest> for PassedTest {
    fn from(t: UploadedTest) -> Self {
        PassedTest {
            name: t.name,
            uuid: t.uuid,
        }
    }
}

/// The passed tests of a run, in stream order.
pub fn passed_tests<'r>(records: impl IntoIterator<Item = &'r TestRecord>) -> Vec<PassedTest> {
    records
        .into_iter()
        .filter(|r| r.status == TestStatus::Success)
        .map(|r| PassedTest::from_test_id(&r.id))
        .collect()
}

/// A complete upload: cloud provider id, duration and passed tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPayload {
    /// Cloud provider id (Keystone identity id, or the MD5 fallback of
    /// [`crate::cpid::cpid_from_endpoint`]).
    pub cpid: String,
    /// Whole seconds (`upload-subunit` sends 0).
    pub duration_seconds: i64,
    /// The passed tests, stream order.
    pub results: Vec<PassedTest>,
}

impl UploadPayload {
    /// Builds the payload from a run's test records.
    pub fn from_records<'r>(
        cpid: impl Into<String>,
        duration_seconds: i64,
        records: impl IntoIterator<Item = &'r TestRecord>,
    ) -> Self {
        Self {
            cpid: cpid.into(),
            duration_seconds,
            results: passed_tests(records),
        }
    }

    /// Whether RefStack would accept it: the server rejects an empty
    /// `results` list ("Uploaded results must contain at least one passing
    /// test.").
    pub fn has_results(&self) -> bool {
        !self.results.is_empty()
    }

    /// The v1 wire body.
    pub fn into_wire(self) -> UploadRequest {
        UploadRequest {
            cpid: self.cpid,
            duration_seconds: self.duration_seconds,
            results: self.results.into_iter().map(UploadedTest::from).collect(),
        }
    }
}

impl From<UploadRequest> for UploadPayload {
    fn from(r: UploadRequest) -> Self {
        Self {
            cpid: r.cpid,
            duration_seconds: r.duration_seconds,
            results: r.results.into_iter().map(PassedTest::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: TestStatus) -> TestRecord {
        TestRecord::new(id, status)
    }

    #[test]
    fn only_successes_in_stream_order() {
        let records = [
            record("tempest.passed.test", TestStatus::Success),
            record("t.fail[id-1]", TestStatus::Fail),
            record("t.skip[id-2]", TestStatus::Skip),
            record("t.xfail[id-3]", TestStatus::ExpectedFail),
            record("t.uxsuccess[id-4]", TestStatus::UnexpectedSuccess),
            record("t.running[id-5]", TestStatus::InProgress),
            record("t.exists[id-6]", TestStatus::Exists),
            record(
                "tempest.tagged_passed.test[gate,id-0146f675-ffbd-4208-b3a4-60eb628dbc5e]",
                TestStatus::Success,
            ),
            record("p.T.test_scn[id-7777,smoke](alpha)", TestStatus::Success),
            record("tempest.passed.test", TestStatus::Success),
        ];
        let payload = UploadPayload::from_records("cpid", 0, &records);
        assert_eq!(
            payload.results,
            [
                PassedTest {
                    name: "tempest.passed.test".into(),
                    uuid: None
                },
                PassedTest {
                    name: "tempest.tagged_passed.test".into(),
                    uuid: Some("0146f675-ffbd-4208-b3a4-60eb628dbc5e".into())
                },
                PassedTest {
                    name: "p.T.test_scn(alpha)".into(),
                    uuid: Some("7777".into())
                },
                PassedTest {
                    name: "tempest.passed.test".into(),
                    uuid: None
                },
            ]
        );
        assert!(payload.has_results());
        let wire = payload.into_wire();
        let json = serde_json::to_string(&wire).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"cpid":"cpid","duration_seconds":0,"results":[{"name":"tempest.passed.test"},{"name":"tempest.tagged_passed.test","uuid":"0146f675-ffbd-4208-b3a4-60eb628dbc5e"},{"name":"p.T.test_scn(alpha)","uuid":"7777"},{"name":"tempest.passed.test"}]}"#
        );
        assert_eq!(UploadPayload::from(wire).results.len(), 4);
        assert!(!UploadPayload::from_records("c", 1, &[]).has_results());
    }
}
