//! Streaming parser and encoder for the subunit v1/v2 test result protocol.

mod record;

pub use record::{TestRecord, TestStatus};
