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
use std::hash::{BuildHasher, BuildHasherDefault};
use std::time::Duration;

use crate::record::{Attachment, TestRecord, TestStatus};
use crate::sink::Sink;
use crate::v2::{Packet, PacketStatus, Timestamp};

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

/// A [`RecordSink`] of one part of a stream that can take over the
/// records of the next part ([`Fold::absorb`]).
pub trait MergeRecords: RecordSink {
    /// Takes the records `later` received, in its order, as if this sink
    /// had received them; their [`TestRecord::order`] is shifted by
    /// `order_offset` first, so that first-seen order carries on.
    fn merge(&mut self, later: Self, order_offset: u64);
}

impl MergeRecords for StatusCounts {
    fn merge(&mut self, later: Self, _order_offset: u64) {
        self.tests += later.tests;
        self.exists += later.exists;
        self.success += later.success;
        self.fail += later.fail;
        self.skip += later.skip;
        self.xfail += later.xfail;
        self.uxsuccess += later.uxsuccess;
        self.inprogress += later.inprogress;
    }
}

impl MergeRecords for Records {
    fn merge(&mut self, later: Self, order_offset: u64) {
        for mut r in later.records {
            r.order += order_offset;
            self.record(r);
        }
    }
}

/// The combination of two [`Fold`]s failed: see [`Fold::absorb`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a test open at the end of one part was started again in the next one")]
pub struct NotMergeable;

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
    open: OpenMap,
    out: R,
    options: FoldOptions,
    next_order: u64,
    summary: RunSummary,
    key: String,
    /// Folding a part of a stream after the first ([`Fold::for_later_part`]).
    later_part: bool,
    /// Later part: records that may continue a test the part before left
    /// open (their first packet here was not `inprogress`), in the order
    /// they completed (or, for the still-open ones, at the end).
    deferred: Vec<Deferred>,
    /// Later part: hashes of the keys of records opened by an `inprogress`
    /// packet (to detect a test the part before left open).
    started: Vec<u64>,
}

/// Open records by key (`id` or `id NUL route`).
type OpenMap = FxMap<Box<str>, Open>;

/// An open record.
#[derive(Debug)]
struct Open {
    rec: TestRecord,
    /// Later part: the record may continue one of the part before.
    deferred: bool,
    /// A packet with tags was seen.
    tags_seen: bool,
}

/// A record of a later part that may continue one the part before left open.
#[derive(Debug)]
struct Deferred {
    key: Box<str>,
    rec: TestRecord,
    tags_seen: bool,
    complete: bool,
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
            later_part: false,
            deferred: Vec::new(),
            started: Vec::new(),
        }
    }

    /// A fold of a part of a stream other than the first, to be absorbed
    /// into the fold of the parts before ([`Fold::absorb`]): the records a
    /// part may continue from the one before are held back until then.
    pub fn for_later_part(out: R, options: FoldOptions) -> Self {
        Self {
            later_part: true,
            ..Self::with_options(out, options)
        }
    }

    /// The run-level figures so far.
    pub fn summary(&self) -> &RunSummary {
        &self.summary
    }

    /// Records still open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The record sink.
    pub fn sink(&self) -> &R {
        &self.out
    }

    /// The record sink, to take what it made so far (output to write, say).
    pub fn sink_mut(&mut self) -> &mut R {
        &mut self.out
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
        if !p.status.is_interim() {
            // A final status completes the record: one look-up takes it
            // out of the map (a test first seen here never goes in).
            let (key, mut open) = match self.open.remove_entry(key) {
                Some(entry) => entry,
                None => {
                    let open = new_open(
                        &mut self.next_order,
                        self.later_part.then_some((&mut self.started, &self.open)),
                        p,
                        key,
                    );
                    (Box::from(key), open)
                }
            };
            update(&mut open, p, self.options);
            if open.deferred {
                self.deferred.push(Deferred {
                    key,
                    rec: open.rec,
                    tags_seen: open.tags_seen,
                    complete: true,
                });
            } else {
                self.emit(with_id(key, open.rec));
            }
            return;
        }
        let open = match self.open.get_mut(key) {
            Some(open) => open,
            None => {
                let open = new_open(
                    &mut self.next_order,
                    self.later_part.then_some((&mut self.started, &self.open)),
                    p,
                    key,
                );
                // The id is taken from the key when the record leaves the
                // map: one allocation for both.
                self.open.entry(Box::from(key)).or_insert(open)
            }
        };
        update(open, p, self.options);
    }

    /// Takes over the fold of the next part of the stream (made with
    /// [`Fold::for_later_part`], the same options), as if this fold had
    /// been fed that part's packets too: records of tests this fold has
    /// open are continued, the other records and the run summary added;
    /// the records `later`'s sink received come after this sink's, and
    /// those that continue or might continue a test of this part after
    /// them (so the order in which records reach the sink differs from a
    /// single pass for those; first-seen order, [`TestRecord::order`], is
    /// kept).
    ///
    /// Fails, leaving this fold unchanged, in the one case it cannot
    /// reproduce: a test this fold has open was started again by an
    /// `inprogress` packet in `later` (or a key's hash says it might have
    /// been); the caller then folds the stream in one pass instead.
    pub fn absorb(&mut self, later: Fold<R>) -> Result<(), NotMergeable>
    where
        R: MergeRecords,
    {
        if !later.started.is_empty() {
            let hasher = self.open.hasher();
            let mut started = later.started.clone();
            started.sort_unstable();
            if self
                .open
                .keys()
                .any(|k| started.binary_search(&hasher.hash_one(&**k)).is_ok())
            {
                return Err(NotMergeable);
            }
        }
        let shift = self.next_order;
        self.next_order += later.next_order;
        let s = &mut self.summary;
        s.records += later.summary.records;
        if let Some(t) = later.summary.start {
            s.start = Some(s.start.map_or(t, |x| x.min(t)));
        }
        if let Some(t) = later.summary.stop {
            s.stop = Some(s.stop.map_or(t, |x| x.max(t)));
        }
        s.total_test_time += later.summary.total_test_time;
        self.out.merge(later.out, shift);
        let mut deferred = later.deferred;
        let mut still_open: Vec<(Box<str>, Open)> = Vec::with_capacity(later.open.len());
        for (key, open) in later.open {
            if open.deferred {
                deferred.push(Deferred {
                    key,
                    rec: open.rec,
                    tags_seen: open.tags_seen,
                    complete: false,
                });
            } else {
                still_open.push((key, open));
            }
        }
        // The still-open ones in first-seen order, as they came.
        let completed = deferred.iter().take_while(|d| d.complete).count();
        deferred[completed..].sort_unstable_by_key(|d| d.rec.order);
        for d in deferred {
            let Deferred {
                key,
                mut rec,
                tags_seen,
                complete,
            } = d;
            let merged = match self.open.remove(&key) {
                Some(mut before) => {
                    // The same test: this part's packets update it.
                    let b = &mut before.rec;
                    b.status = rec.status;
                    b.last_timestamp = rec.last_timestamp;
                    if tags_seen {
                        b.tags = std::mem::take(&mut rec.tags);
                        before.tags_seen = true;
                    }
                    for a in rec.attachments {
                        match b.attachments.iter_mut().find(|x| x.name == a.name) {
                            Some(x) => x.content.extend_from_slice(&a.content),
                            None => b.attachments.push(a),
                        }
                    }
                    before
                }
                None => {
                    rec.order += shift;
                    Open {
                        rec,
                        deferred: false,
                        tags_seen,
                    }
                }
            };
            if complete {
                self.emit(with_id(key, merged.rec));
            } else {
                self.open.insert(key, merged);
            }
        }
        for (key, mut open) in still_open {
            open.rec.order += shift;
            self.open.insert(key, open);
        }
        Ok(())
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
        // A later part's held-back records go out as they are.
        let deferred = std::mem::take(&mut self.deferred);
        for d in deferred.into_iter().filter(|d| d.complete) {
            self.emit(with_id(d.key, d.rec));
        }
        let mut rest: Vec<TestRecord> = self
            .open
            .drain()
            .map(|(k, open)| with_id(k, open.rec))
            .collect();
        rest.sort_unstable_by_key(|r| r.order);
        for mut rec in rest {
            rec.last_timestamp = None;
            self.emit(rec);
        }
        (self.out, self.summary)
    }
}

/// A record opened by packet `p` of test `key`, numbered from
/// `next_order`; in a later part (`later`: the keys started with
/// `inprogress`, and the open map for its hasher) it is held back unless
/// `p` is `inprogress`.
fn new_open(
    next_order: &mut u64,
    later: Option<(&mut Vec<u64>, &OpenMap)>,
    p: &Packet<'_>,
    key: &str,
) -> Open {
    let mut rec = TestRecord::new(String::new(), TestStatus::InProgress);
    rec.route_code = p.route_code.map(str::to_string);
    rec.first_timestamp = p.timestamp;
    rec.order = *next_order;
    *next_order += 1;
    let mut deferred = false;
    if let Some((started, open)) = later {
        if p.status == PacketStatus::InProgress {
            started.push(open.hasher().hash_one(key));
        } else {
            deferred = true;
        }
    }
    Open {
        rec,
        deferred,
        tags_seen: false,
    }
}

/// Applies packet `p` to its open record.
#[inline]
fn update(open: &mut Open, p: &Packet<'_>, options: FoldOptions) {
    let rec = &mut open.rec;
    if let Some(s) = TestStatus::from_packet(p.status) {
        rec.status = s;
    }
    rec.last_timestamp = p.timestamp;
    if options.attachments
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
    if options.tags
        && let Some(tags) = p.tags
    {
        rec.tags.clear();
        rec.tags.extend(tags.iter().map(str::to_string));
        open.tags_seen = true;
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
