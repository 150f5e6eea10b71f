//! Per-test records folded from a stream's events.
//!
//! These two types are the contract `refstack-core` builds upload payloads
//! from; fields may be added, the ones here keep their names and meaning.

/// The final status of one test, as the v2 protocol names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TestStatus {
    /// Known to exist (enumeration), never started.
    Exists,
    /// Started, no final status seen before the end of the stream.
    InProgress,
    /// Passed.
    Success,
    /// Passed although it was expected to fail.
    UnexpectedSuccess,
    /// Skipped.
    Skip,
    /// Failed (v1 `failure:` and `error:` both map here).
    Fail,
    /// Failed as expected.
    ExpectedFail,
}

/// Everything the stream said about one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    /// The full test id, attributes and scenario included:
    /// `tempest.api.compute.test_x.T.test_y[id-…,smoke]`.
    pub id: String,
    /// The route code of the worker that ran it, if any.
    pub route_code: Option<String>,
    /// The final status.
    pub status: TestStatus,
}
