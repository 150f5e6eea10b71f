//! The test lifecycle: folding packets into one [`TestRecord`] per test, with
//! the semantics of testtools' `StreamToDict` (which stestr, subunit-trace
//! and subunit2sql use).
//!
//! * Packets without a test id (stdout, noise) are ignored.
//! * Records are keyed by (test id, route code). The first packet for a key
//!   opens a record (status `InProgress` until one is set, first timestamp
//!   from that packet).
//! * Every packet for the key: a status replaces the record's, the last
//!   timestamp becomes the packet's (even when it has none), non-empty file
//!   content is appended to the attachment of that name (MIME type from the
//!   first chunk), tags replace the record's tags.
//! * A final status (anything but none/`inprogress`, `exists` included)
//!   completes the record: it is handed to the [`RecordSink`] and the key is
//!   free again (a rerun opens a new record).
//! * [`Fold::finish`] hands over the records still open, in first-seen
//!   order, with status `InProgress` and no last timestamp.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::BuildHasherDefault;
use std::time::Duration;

use crate::record::{Attachment, TestRecord, TestStatus};
use crate::sink::Sink;
use crate::v2::{Packet, Timestamp};

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<rustc_hash::FxHasher>>;

/// Receives each record as soon as it completes (for a progress display),
/// and the incomplete ones at the end.
pub trait RecordSink {
    /// One finished (or, from [`Fold::finish`], incomplete) record.
    fn record(&mut self, record: TestRecord);
}

impl<F: FnMut(TestRecord)> RecordSink for F {
    fn record(&mut self, record: TestRecord) {
        self(record)
    }
}

/// Collects records in first-seen stream order (what `refstack-core`
/// builds upload payloads from).
#[derive(Debug, Default, Clone)]
pub struct Records {
    records: Vec<TestRecord>,
    sorted: bool,
}

impl Records {
    /// The records in first-seen order.
    pub fn into_vec(mut self) -> Vec<TestRecord> {
        if !self.sorted {
            // Completion order is nearly first-seen order: the stable
            // sort's run detection makes this close to linear.
            self.records.sort_by_key(|r| r.order);
        }
        self.records
    }
}

impl RecordSink for Records {
    fn record(&mut self, record: TestRecord) {
        match self.records.last() {
            None => self.sorted = true,
            Some(last) if last.order > record.order => self.sorted = false,
            Some(_) => {}
        }
        self.records.push(record);
    }
}

/// Counts of final statuses; what the `stats` example prints.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatusCounts {
    /// Records that are not `exists` enumerations.
    pub tests: u64,
    /// `exists` records (not counted in `tests`).
    pub exists: u64,
    /// Passed.
    pub success: u64,
    /// Failed (v1 `failure` and `error` included).
    pub fail: u64,
    /// Skipped.
    pub skip: u64,
    /// Expected failures.
    pub xfail: u64,
    /// Unexpected successes.
    pub uxsuccess: u64,
    /// No final status.
    pub inprogress: u64,
}

impl RecordSink for StatusCounts {
    fn record(&mut self, record: TestRecord) {
        if record.status == TestStatus::Exists {
            self.exists += 1;
            return;
        }
        self.tests += 1;
        match record.status {
            TestStatus::Exists => {}
            TestStatus::InProgress => self.inprogress += 1,
            TestStatus::Success => self.success += 1,
            TestStatus::UnexpectedSuccess => self.uxsuccess += 1,
            TestStatus::Skip => self.skip += 1,
            TestStatus::Fail => self.fail += 1,
            TestStatus::ExpectedFail => self.xfail += 1,
        }
    }
}

/// What to keep besides status and timestamps.
#[derive(Debug, Clone, Copy)]
pub struct FoldOptions {
    /// Keep attachment content (default true). Off, records have no
    /// attachments and folding allocates less.
    pub attachments: bool,
    /// Keep tags (default true).
    pub tags: bool,
}

impl Default for FoldOptions {
    fn default() -> Self {
        Self {
            attachments: true,
            tags: true,
        }
    }
}

/// Run-level figures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Records handed over (`exists` included).
    pub records: u64,
    /// Earliest first timestamp of any record.
    pub start: Option<Timestamp>,
    /// Latest last timestamp of any record.
    pub stop: Option<Timestamp>,
    /// Sum of the per-test durations (stestr's "Sum of execute time").
    pub total_test_time: Duration,
}

impl RunSummary {
    /// Wall time `max(stop) − min(start)`, stestr's "Ran: N tests in X sec".
    pub fn wall_time(&self) -> Option<Duration> {
        self.start?.duration_until(self.stop?)
    }
}

/// Folds packets into per-test records; a [`Sink`].
///
/// ```
/// use refstack_subunit::{parse_slice, Fold, Packet, PacketStatus, Records, TestStatus};
///
/// let mut stream = Vec::new();
/// Packet::new(PacketStatus::InProgress).with_test_id("t1").encode(&mut stream)?;
/// Packet::new(PacketStatus::Success).with_test_id("t1").encode(&mut stream)?;
/// let mut fold = Fold::new(Records::default());
/// parse_slice(&stream, &mut fold).unwrap_or_else(|e| match e {});
/// let (records, _summary) = fold.finish();
/// let records = records.into_vec();
/// assert_eq!(records[0].id, "t1");
/// assert_eq!(records[0].status, TestStatus::Success);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Fold<R> {
    open: FxMap<Box<str>, TestRecord>,
    out: R,
    options: FoldOptions,
    next_order: u64,
    summary: RunSummary,
    key: String,
}

impl<R: RecordSink> Fold<R> {
    /// A fold handing records to `out`.
    pub fn new(out: R) -> Self {
        Self::with_options(out, FoldOptions::default())
    }

    /// A fold with options.
    pub fn with_options(out: R, options: FoldOptions) -> Self {
        Self {
            open: FxMap::default(),
            out,
            options,
            next_order: 0,
            summary: RunSummary::default(),
            key: String::new(),
        }
    }

    /// Records still open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The record sink.
    pub fn sink(&self) -> &R {
        &self.out
    }

    /// Folds one packet.
    #[inline]
    pub fn push(&mut self, p: &Packet<'_>) {
        let Some(id) = p.test_id else {
            return;
        };
        let key: &str = match p.route_code {
            None => id,
            Some(route) => {
                // NUL cannot occur in v2 strings: an unambiguous separator.
                self.key.clear();
                self.key.push_str(id);
                self.key.push('\0');
                self.key.push_str(route);
                &self.key
            }
        };
        let rec = match self.open.get_mut(key) {
            Some(rec) => rec,
            None => {
                // The id is taken from the key when the record leaves the
                // map: one allocation for both.
                let mut rec = TestRecord::new(String::new(), TestStatus::InProgress);
                rec.route_code = p.route_code.map(str::to_string);
                rec.first_timestamp = p.timestamp;
                rec.order = self.next_order;
                self.next_order += 1;
                self.open.entry(Box::from(key)).or_insert(rec)
            }
        };
        if let Some(s) = TestStatus::from_packet(p.status) {
            rec.status = s;
        }
        rec.last_timestamp = p.timestamp;
        if self.options.attachments
            && let Some(file) = p.file
            && !file.content.is_empty()
        {
            match rec.attachments.iter_mut().find(|a| a.name == file.name) {
                Some(a) => a.content.extend_from_slice(file.content),
                None => rec.attachments.push(Attachment {
                    name: file.name.to_string(),
                    mime_type: p
                        .mime_type
                        .unwrap_or("application/octet-stream")
                        .to_string(),
                    content: file.content.to_vec(),
                }),
            }
        }
        if self.options.tags
            && let Some(tags) = p.tags
        {
            rec.tags.clear();
            rec.tags.extend(tags.iter().map(str::to_string));
        }
        if !p.status.is_interim()
            && let Some((key, rec)) = self.open.remove_entry(key)
        {
            self.emit(with_id(key, rec));
        }
    }

    fn emit(&mut self, rec: TestRecord) {
        let s = &mut self.summary;
        s.records += 1;
        if let Some(t) = rec.first_timestamp {
            s.start = Some(s.start.map_or(t, |x| x.min(t)));
        }
        if let Some(t) = rec.last_timestamp {
            s.stop = Some(s.stop.map_or(t, |x| x.max(t)));
        }
        if rec.status != TestStatus::Exists
            && let Some(d) = rec.duration()
        {
            s.total_test_time += d;
        }
        self.out.record(rec);
    }

    /// Ends the stream: hands over the records still open (first-seen
    /// order, status `InProgress` unless a status other than a final one
    /// was seen, no last timestamp) and returns the sink and the summary.
    pub fn finish(mut self) -> (R, RunSummary) {
        let mut rest: Vec<TestRecord> = self.open.drain().map(|(k, r)| with_id(k, r)).collect();
        rest.sort_unstable_by_key(|r| r.order);
        for mut rec in rest {
            rec.last_timestamp = None;
            self.emit(rec);
        }
        (self.out, self.summary)
    }
}

/// Moves the map key (`id` or `id NUL route`) into the record as its id.
fn with_id(key: Box<str>, mut rec: TestRecord) -> TestRecord {
    let mut id = key.into_string();
    if let Some(route) = &rec.route_code {
        id.truncate(id.len().saturating_sub(route.len() + 1));
    }
    rec.id = id;
    rec
}

impl<R: RecordSink> Sink for Fold<R> {
    type Error = Infallible;

    #[inline]
    fn packet(&mut self, _offset: u64, packet: &Packet<'_>) -> Result<(), Infallible> {
        self.push(packet);
        Ok(())
    }
}
