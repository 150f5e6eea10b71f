//! Per-test records folded from a stream's events.
//!
//! These two types are the contract `refstack-core` builds upload payloads
//! from; fields may be added, the ones here keep their names and meaning.

use std::time::Duration;

use crate::v2::{PacketStatus, Timestamp};

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

impl TestStatus {
    /// The record status a packet status sets; `None` for a packet without
    /// status (which leaves the record's status alone).
    pub fn from_packet(status: PacketStatus) -> Option<Self> {
        Some(match status {
            PacketStatus::Undefined => return None,
            PacketStatus::Exists => Self::Exists,
            PacketStatus::InProgress => Self::InProgress,
            PacketStatus::Success => Self::Success,
            PacketStatus::UnexpectedSuccess => Self::UnexpectedSuccess,
            PacketStatus::Skip => Self::Skip,
            PacketStatus::Fail => Self::Fail,
            PacketStatus::ExpectedFail => Self::ExpectedFail,
        })
    }

    /// The python-subunit name: `exists`, `inprogress`, `success`,
    /// `uxsuccess`, `skip`, `fail`, `xfail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exists => "exists",
            Self::InProgress => "inprogress",
            Self::Success => "success",
            Self::UnexpectedSuccess => "uxsuccess",
            Self::Skip => "skip",
            Self::Fail => "fail",
            Self::ExpectedFail => "xfail",
        }
    }

    /// True for statuses that end a test (everything but `InProgress`).
    pub fn is_final(self) -> bool {
        self != Self::InProgress
    }
}

/// One attachment (file) of a test, its chunks concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name (`traceback`, `reason`, `pythonlogging:''`, ...).
    pub name: String,
    /// MIME type of the first chunk, `application/octet-stream` if none.
    pub mime_type: String,
    /// The content.
    pub content: Vec<u8>,
}

impl Attachment {
    /// The content as text (lossy UTF-8).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.content)
    }
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
    /// Timestamp of the record's first packet (normally `inprogress`).
    pub first_timestamp: Option<Timestamp>,
    /// Timestamp of its last packet (normally the final status); `None`
    /// when that packet had none, or for a test still in progress at the
    /// end of the stream (as testtools' `StreamToDict` does).
    pub last_timestamp: Option<Timestamp>,
    /// Tags of the last packet that carried tags (`worker-0`, ...).
    pub tags: Vec<String>,
    /// Attachments by name, in first-seen order.
    pub attachments: Vec<Attachment>,
    /// Position of the record in first-seen stream order (0-based, over
    /// all records of the stream, `exists` ones included).
    pub order: u64,
}

impl TestRecord {
    /// A record with only id and status.
    pub fn new(id: impl Into<String>, status: TestStatus) -> Self {
        Self {
            id: id.into(),
            route_code: None,
            status,
            first_timestamp: None,
            last_timestamp: None,
            tags: Vec::new(),
            attachments: Vec::new(),
            order: 0,
        }
    }

    /// `last − first` timestamp, as stestr computes test durations.
    pub fn duration(&self) -> Option<Duration> {
        self.first_timestamp?.duration_until(self.last_timestamp?)
    }

    /// The attachment called `name`.
    pub fn attachment(&self, name: &str) -> Option<&Attachment> {
        self.attachments.iter().find(|a| a.name == name)
    }

    /// True if tagged `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}
