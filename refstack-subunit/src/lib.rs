//! Streaming parser and encoder for the subunit test result protocol, v2
//! (binary) and v1 (text), auto-detected.
//!
//! * **Zero-copy v2 packets**: [`parse_packet`] returns a [`Packet`] whose
//!   strings and file content borrow the input; every packet's CRC-32 is
//!   checked; rejections are typed ([`PacketError`]) and reported with their
//!   byte offset.
//! * **Push-style consumption**: implement [`Sink`] and drive it with
//!   [`parse_slice`] (in memory), [`Reader`] (any [`std::io::Read`], one
//!   reusable buffer bounded by the 4 MiB packet limit) or `AsyncReader`
//!   (feature `tokio`). [`Reader::events`] is an owned-event iterator;
//!   [`Packets`] a zero-copy iterator over a v2 slice.
//! * **Noise and corruption**: bytes that are not subunit come out as noise
//!   runs (python-subunit's `stdout` file events, see [`noise_packet`]); a
//!   `0xB3` inside a UTF-8 character of the noise starts a packet only if a
//!   valid packet of at most 64 KiB starts there (waited for: the outcome
//!   never depends on how the input is split into reads); a
//!   rejected candidate resynchronises one byte later, so a corrupt length
//!   never swallows good packets.
//! * **v1 text**: everything stestr repositories contain, turned into the
//!   same packets python-subunit's v1→v2 conversion yields.
//! * **Lifecycle**: [`Fold`] turns packets into one [`TestRecord`] per
//!   (test id, route code), like testtools' `StreamToDict`.
//! * **Encoding**: [`Packet::encode`] (shortest varints, CRC) and
//!   [`V1Writer`].
//!
//! ```
//! use refstack_subunit::{Fold, Packet, PacketStatus, Reader, Records, TestStatus, Timestamp};
//!
//! // Encode a tiny stream...
//! let mut stream = Vec::new();
//! let t0 = Timestamp::new(1_700_000_000, 0);
//! Packet::new(PacketStatus::InProgress)
//!     .with_test_id("tempest.api.compute.test_a.T.test_x[id-1,smoke]")
//!     .with_timestamp(t0)
//!     .encode(&mut stream)?;
//! Packet::new(PacketStatus::Success)
//!     .with_test_id("tempest.api.compute.test_a.T.test_x[id-1,smoke]")
//!     .with_timestamp(Timestamp::new(1_700_000_002, 500_000_000))
//!     .with_tags(&["worker-0"])
//!     .encode(&mut stream)?;
//!
//! // ...and fold it back into per-test records.
//! let mut fold = Fold::new(Records::default());
//! Reader::new(&stream[..]).run(&mut fold)?;
//! let (records, summary) = fold.finish();
//! let records = records.into_vec();
//! assert_eq!(records.len(), 1);
//! assert_eq!(records[0].status, TestStatus::Success);
//! assert_eq!(records[0].tags, ["worker-0"]);
//! assert_eq!(summary.wall_time().map(|d| d.as_millis()), Some(2500));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod decode;
mod fold;
mod iter;
mod parallel;
mod read;
mod record;
mod sink;
mod time;
#[cfg(feature = "tokio")]
mod tokio;
pub mod v1;
pub mod v2;

pub use decode::{Decoder, DecoderOptions, detect};
pub use fold::{
    Fold, FoldOptions, MergeRecords, NotMergeable, RecordSink, Records, RunSummary, StatusCounts,
};
pub use iter::{Item, Packets};
pub use parallel::{
    FoldPart, Folded, Merge, ParallelError, ParallelOptions, ParseReport, fold_file, fold_reader,
    parse_file, parse_reader,
};
pub use read::{
    Collect, DEFAULT_READ_SIZE, Event, Events, OwnedPacket, ReadError, Reader, parse_slice,
};
pub use record::{Attachment, TestRecord, TestStatus};
pub use sink::{Corruption, Counts, Format, Progress, Sink, noise_packet};
#[cfg(feature = "tokio")]
pub use tokio::AsyncReader;
pub use v1::{Detail, Outcome, V1Writer};
pub use v2::{
    EncodeError, Field, FileContent, MAX_PACKET_LEN, Packet, PacketError, PacketStatus, Tags,
    Timestamp, parse_packet,
};
