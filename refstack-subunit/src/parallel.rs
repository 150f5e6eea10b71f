//! Reading a whole stream in bounded memory, a large file with several
//! threads: the file is cut at guessed packet boundaries into parts, free
//! threads parse the parts into sinks of their own, and the calling thread
//! hands the parts' sinks to a [`Merge`] in stream order.
//!
//! A cut is only a guess (v2: three CRC-valid packets in a row; v1: a
//! `test: ` line; attachment content can look like either). It is proved
//! afterwards: the part before it, fed exactly up to the cut without EOF,
//! must have consumed everything and rest at a boundary
//! ([`Decoder::at_boundary`]). Otherwise that part's sink goes on being fed
//! from there to the end of the stream on the calling thread, and the
//! later parts are dropped unseen. So the events the merged sinks receive,
//! taken in order, are always those of a single pass ([`Reader`]) over the
//! stream; only how they are spread over sinks differs.
//!
//! This module reads: a [`File`] given by the caller, with positioned
//! reads (`pread`) so that threads share it, or any [`Read`] in one pass.
//! It opens nothing and spawns only scoped threads that end before it
//! returns. Memory: per part parsed or waiting for its turn to be merged,
//! one read buffer (bounded by the 4 MiB packet limit plus one read, like
//! [`Reader`]) and whatever its sink keeps; a file is cut into at most
//! [`ParallelOptions::max_parts`] parts.
//!
//! [`Reader`]: crate::Reader

use std::convert::Infallible;
use std::fs::File;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Condvar, Mutex, OnceLock};

use crate::decode::{Decoder, DecoderOptions, detect};
use crate::fold::{Fold, FoldOptions, MergeRecords, NotMergeable, RecordSink, RunSummary};
use crate::sink::{Corruption, Counts, Format, Sink};
use crate::v2::{Packet, SIGNATURE, parse_packet};

/// How a stream is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParallelOptions {
    /// Threads, the calling one included (1: one pass on the calling
    /// thread). Default: the available parallelism, at most 8.
    pub threads: usize,
    /// Target size of a part (default 4 MiB): small enough that the
    /// threads finish close together whatever share of the CPU each gets
    /// (parts are handed out as threads become free), large enough that
    /// guessing the cuts costs nothing next to parsing.
    pub part_size: u64,
    /// Files smaller than this are parsed in one pass (default 8 MiB).
    pub min_file_size: u64,
    /// At most this many parts per thread (default 16).
    pub max_parts_per_thread: u64,
    /// Whether a v1 stream may be cut (default false). A v1 part starts
    /// without the `time:` and `tags:` context of the lines before it, so
    /// its packets may lack the timestamp and tags a single pass gives
    /// them; set it only for sinks that look at neither.
    pub cut_v1: bool,
    /// Size of each read (default 256 KiB).
    pub read_size: usize,
}

impl Default for ParallelOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8),
            part_size: 4 << 20,
            min_file_size: 8 << 20,
            max_parts_per_thread: 16,
            cut_v1: false,
            read_size: 256 << 10,
        }
    }
}

impl ParallelOptions {
    /// One pass on the calling thread.
    pub fn sequential() -> Self {
        Self {
            threads: 1,
            ..Self::default()
        }
    }

    /// The most parts a file is cut into.
    pub fn max_parts(&self) -> u64 {
        self.max_parts_per_thread
            .saturating_mul(self.threads as u64)
            .max(1)
    }
}

/// Receives the parts' sinks on the calling thread, in stream order.
pub trait Merge<S> {
    /// Stops the parse.
    type Error;

    /// The part that comes next in the stream is being parsed on the
    /// calling thread (one pass, or the rest of the stream after a wrong
    /// cut): called after each read, so a sink that produces output can
    /// hand it on as it grows. Default: nothing.
    fn progress(&mut self, part: &mut S) -> Result<(), Self::Error> {
        let _ = part;
        Ok(())
    }

    /// The next part of the stream, complete.
    fn part(&mut self, part: S) -> Result<(), Self::Error>;
}

/// What a parse read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseReport {
    /// Bytes of the stream.
    pub bytes: u64,
    /// The format, if the stream was not empty.
    pub format: Option<Format>,
    /// Parts handed to the merge (1 for a single pass).
    pub parts: usize,
}

/// Why a parse stopped.
#[derive(Debug, thiserror::Error)]
pub enum ParallelError<E> {
    /// Reading failed at this stream offset.
    #[error("at byte {offset}: {source}")]
    Io {
        /// Where.
        offset: u64,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The merge stopped the parse.
    #[error("{0}")]
    Merge(E),
}

/// Why a feed stopped.
enum Stop<E> {
    Io(u64, std::io::Error),
    After(E),
}

impl<E> From<Stop<E>> for ParallelError<E> {
    fn from(stop: Stop<E>) -> Self {
        match stop {
            Stop::Io(offset, source) => ParallelError::Io { offset, source },
            Stop::After(e) => ParallelError::Merge(e),
        }
    }
}

/// A [`Decoder`] fed from a reader through one reusable buffer (bounded by
/// the largest packet the decoder waits for, plus one read).
#[derive(Debug)]
pub(crate) struct Feeder {
    decoder: Decoder,
    buf: Vec<u8>,
    /// Unconsumed bytes: `buf[..len]`.
    len: usize,
    /// Stream offset of the next byte to read.
    read_to: u64,
    read_size: usize,
}

impl Feeder {
    /// A feeder whose first byte is at stream offset `start`, reading into
    /// `buf` (its contents do not matter: a buffer another feeder used,
    /// whose pages are already in place).
    pub(crate) fn new(format: Option<Format>, start: u64, read_size: usize, buf: Vec<u8>) -> Self {
        let read_size = read_size.max(1);
        let mut buf = buf;
        buf.resize(read_size.max(buf.len()), 0);
        Self {
            decoder: Decoder::with_options(DecoderOptions { format }).starting_at(start),
            buf,
            len: 0,
            read_to: start,
            read_size,
        }
    }

    /// Reads `limit` bytes of `input` (all of it when `None`) and feeds
    /// them to the decoder, calling `after` after each feed. With `eof`,
    /// the end of those bytes is the end of the stream; without, bytes the
    /// decoder cannot decide on yet stay buffered for a later call.
    fn feed<S: Sink<Error = Infallible>, E>(
        &mut self,
        input: &mut impl Read,
        limit: Option<u64>,
        eof: bool,
        sink: &mut S,
        mut after: impl FnMut(&mut S) -> Result<(), E>,
    ) -> Result<(), Stop<E>> {
        let mut left = limit;
        loop {
            let need = self.decoder.wants().max(self.len + 1).max(self.read_size);
            if self.buf.len() < need {
                self.buf.resize(need, 0);
            }
            let mut room = self.buf.len() - self.len;
            if let Some(l) = left {
                room = room.min(usize::try_from(l).unwrap_or(usize::MAX));
            }
            let n = if room == 0 {
                0
            } else {
                let space = &mut self.buf[self.len..self.len + room];
                loop {
                    match input.read(space) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(Stop::Io(self.read_to, e)),
                    }
                }
            };
            self.len += n;
            self.read_to += n as u64;
            if let Some(l) = &mut left {
                *l -= n as u64;
            }
            let done = n == 0 || left == Some(0);
            let used = match self.decoder.feed(&self.buf[..self.len], done && eof, sink) {
                Ok(used) => used,
                Err(never) => match never {},
            };
            self.buf.copy_within(used..self.len, 0);
            self.len -= used;
            after(sink).map_err(Stop::After)?;
            if done {
                return Ok(());
            }
        }
    }

    /// True if this feeder, fed up to `cut` without EOF, proves `cut` a
    /// boundary where a decoder of `format` started afresh gives the same
    /// packets (see [`Decoder::at_boundary`]).
    pub(crate) fn ends_at_boundary(&self, cut: u64, format: Format) -> bool {
        self.len == 0
            && self.decoder.offset() == cut
            && self.decoder.format() == Some(format)
            && self.decoder.at_boundary()
    }
}

/// Reads a file from its own position with positioned reads (`pread`),
/// so that several threads read their parts of one open file.
struct ReadAt<'f> {
    file: &'f File,
    pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.pos)?;
        #[cfg(not(any(unix, windows)))]
        let n = {
            let _ = buf;
            return Err(std::io::ErrorKind::Unsupported.into());
        };
        self.pos += n as u64;
        Ok(n)
    }
}

/// `len` bytes of a file from `from` (fewer at its end).
fn bytes_at(file: &File, from: u64, len: u64) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(usize::try_from(len).ok()?);
    ReadAt { file, pos: from }
        .take(len)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

/// A guess at a boundary of a `format` stream at or after `start` (within
/// 1 MiB): v2, the first signature byte that starts three consecutive
/// CRC-valid packets; v1, the start of the first `test: ` line. Only a
/// guess: attachment content can look like either; the parse checks it.
pub(crate) fn boundary_after(file: &File, start: u64, len: u64, format: Format) -> Option<u64> {
    // v1: look from the byte before, so a line starting at `start` counts.
    let from = match format {
        Format::V1 => start.checked_sub(1)?,
        Format::V2 => start,
    };
    // Windows of 64 KiB, 256 KiB, 1 MiB: the first is enough for v1 and
    // for v2 packets of ordinary size.
    for window in [64u64 << 10, 256 << 10, 1 << 20] {
        let window = window.min(len.saturating_sub(from));
        let buf = bytes_at(file, from, window)?;
        if let Some(at) = boundary_in(&buf, format) {
            return Some(from + at as u64);
        }
        if window == len.saturating_sub(from) {
            break;
        }
    }
    None
}

/// [`boundary_after`] in a buffer.
fn boundary_in(buf: &[u8], format: Format) -> Option<usize> {
    if format == Format::V1 {
        return memchr::memmem::find(buf, b"\ntest: ").map(|at| at + 1);
    }
    let mut pos = 0;
    while let Some(k) = memchr::memchr(SIGNATURE, &buf[pos..]) {
        let at = pos + k;
        let mut next = at;
        let mut valid = 0;
        while valid < 3 {
            match parse_packet(&buf[next..]) {
                Ok((_, used)) => {
                    next += used;
                    valid += 1;
                }
                Err(_) => break,
            }
        }
        if valid == 3 {
            return Some(at);
        }
        pos = at + 1;
    }
    None
}

/// Where a file is cut: the first cut known at once, so that the first
/// part can start, the others worked out on demand (by the first thread
/// to need them, while the first part is being parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cuts {
    /// Boundaries guessed after `parts - 1` evenly spaced offsets of a
    /// file of `len` bytes; `first` is the one after the first offset.
    Guessed {
        len: u64,
        format: Format,
        parts: u64,
        first: u64,
    },
    /// Given (ascending, inside the file, not empty).
    #[cfg(test)]
    Given(Format, Vec<u64>),
}

impl Cuts {
    /// Cuts of a file, or `None` to parse it in one pass (too small, one
    /// thread, format not recognised or not to be cut, no boundary found).
    fn guess(file: &File, options: &ParallelOptions) -> Result<Option<Self>, std::io::Error> {
        let meta = file.metadata()?;
        let len = meta.len();
        if !meta.is_file() || len < options.min_file_size || options.threads < 2 {
            return Ok(None);
        }
        let Some(head) = bytes_at(file, 0, 64 * 1024) else {
            return Ok(None);
        };
        let Some(format) = detect(&head, head.len() as u64 == len) else {
            return Ok(None);
        };
        if format == Format::V1 && !options.cut_v1 {
            return Ok(None);
        }
        let parts = (len / options.part_size.max(1))
            .clamp(options.threads as u64, options.max_parts().max(2));
        Ok(boundary_after(file, len / parts, len, format)
            .filter(|&first| first > 0 && first < len)
            .map(|first| Cuts::Guessed {
                len,
                format,
                parts,
                first,
            }))
    }

    fn format(&self) -> Format {
        match self {
            Cuts::Guessed { format, .. } => *format,
            #[cfg(test)]
            Cuts::Given(format, _) => *format,
        }
    }

    /// The end of the first part.
    fn first(&self) -> u64 {
        match self {
            Cuts::Guessed { first, .. } => *first,
            #[cfg(test)]
            Cuts::Given(_, cuts) => cuts.first().copied().unwrap_or_default(),
        }
    }

    /// Where every part starts (0, the first cut, then the others found;
    /// a guess that finds no boundary ends the list).
    fn starts(&self, file: &File) -> Vec<u64> {
        match self {
            &Cuts::Guessed {
                len,
                format,
                parts,
                first,
            } => {
                let mut starts = vec![0, first];
                for i in 2..parts {
                    let Some(at) = boundary_after(file, len / parts * i, len, format) else {
                        break;
                    };
                    if at < len && starts.last().is_some_and(|&last| at > last) {
                        starts.push(at);
                    }
                }
                starts
            }
            #[cfg(test)]
            Cuts::Given(_, cuts) => std::iter::once(0).chain(cuts.iter().copied()).collect(),
        }
    }
}

/// A part parsed on its own: its sink, and its feeder stopped at the
/// part's end (to prove the next cut, or to go on from).
struct Parsed<S> {
    feeder: Feeder,
    sink: S,
}

/// The parsed parts, by index, as they are filed.
type Filed<S> = Vec<Option<Result<Parsed<S>, Stop<Infallible>>>>;

/// The parts of a cut file, handed out to threads as they become free, and
/// their parses, collected by index for the merging thread.
struct Parts<'a, F> {
    file: &'a File,
    cuts: Cuts,
    new_part: &'a F,
    read_size: usize,
    /// Stream offset where each part starts (`starts[0] == 0`), from
    /// [`Cuts::starts`] once a thread needs it.
    starts: OnceLock<Vec<u64>>,
    /// Index of the next part nobody has taken (part 0 belongs to the
    /// merging thread).
    next: AtomicUsize,
    /// Set when a cut turned out wrong, or the merge gave up: parsers
    /// stop early.
    stop: AtomicBool,
    /// Read buffers of merged parts, for reuse: fresh memory costs a page
    /// fault per page, and freeing it costs the other threads a TLB flush.
    spare_reads: Mutex<Vec<Vec<u8>>>,
}

/// A part's parse and the condition variable announcing filed parts.
struct Done<S> {
    filed: Mutex<Filed<S>>,
    ready: Condvar,
}

impl<'a, S, F> Parts<'a, F>
where
    S: Sink<Error = Infallible> + Send,
    F: Fn(u64) -> S + Sync,
{
    fn starts(&self) -> &[u64] {
        self.starts.get_or_init(|| self.cuts.starts(self.file))
    }

    fn count(&self) -> usize {
        self.starts().len()
    }

    fn stop(&self) {
        self.stop.store(true, Relaxed);
    }

    /// Takes the next part, if any is left and the parse goes on.
    fn take(&self) -> Option<usize> {
        if self.stop.load(Relaxed) {
            return None;
        }
        let k = self.next.fetch_add(1, Relaxed);
        (k < self.count()).then_some(k)
    }

    /// Parses part `k` and files the result: an error if the parse (a
    /// sink) panics, so that the merging thread never waits for a part
    /// that cannot come.
    fn parse(&self, k: usize, done: &Done<S>) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.parse_part(k)))
            .unwrap_or_else(|_| {
                self.stop();
                Err(Stop::Io(
                    0,
                    std::io::Error::other("a parser thread panicked"),
                ))
            });
        let mut filed = done.filed.lock().unwrap_or_else(|e| e.into_inner());
        if filed.len() <= k {
            filed.resize_with(k + 1, || None);
        }
        filed[k] = Some(result);
        done.ready.notify_all();
    }

    fn parse_part(&self, k: usize) -> Result<Parsed<S>, Stop<Infallible>> {
        self.parse_part_unless(k, || false)
    }

    /// [`Parts::parse_part`], given up (an error) once `abandon` says so
    /// (checked after each read).
    fn parse_part_unless(
        &self,
        k: usize,
        abandon: impl Fn() -> bool,
    ) -> Result<Parsed<S>, Stop<Infallible>> {
        let (from, to) = if k == 0 {
            (0, Some(self.cuts.first()))
        } else {
            let starts = self.starts();
            (starts[k], starts.get(k + 1).copied())
        };
        let spare = self
            .spare_reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        // The first part detects the format, as a single pass would.
        let format = (k > 0).then(|| self.cuts.format());
        let mut feeder = Feeder::new(format, from, self.read_size, spare);
        let mut sink = (self.new_part)(from);
        let mut input = ReadAt {
            file: self.file,
            pos: from,
        };
        let limit = to.map(|t| t.saturating_sub(from));
        match feeder.feed(&mut input, limit, to.is_none(), &mut sink, |_| {
            if self.stop.load(Relaxed) || abandon() {
                Err(())
            } else {
                Ok(())
            }
        }) {
            Ok(()) => Ok(Parsed { feeder, sink }),
            Err(Stop::Io(at, e)) => Err(Stop::Io(at, e)),
            // Stopped: nobody will look at this part.
            Err(Stop::After(())) => Err(Stop::Io(
                feeder.read_to,
                std::io::Error::other("parse stopped"),
            )),
        }
    }

    /// Parses parts until none is left.
    fn work(&self, done: &Done<S>) {
        while let Some(k) = self.take() {
            self.parse(k, done);
        }
    }

    /// Part `k`'s parse once it is filed; meanwhile this thread parses
    /// parts nobody has taken yet rather than wait idle. Once every part is
    /// taken, it parses part `k` itself too (the thread that took it may
    /// have no core on a busy machine) and uses whichever parse ends first,
    /// giving its own up as soon as the other one is filed.
    fn wait_for(&self, k: usize, done: &Done<S>) -> Result<Parsed<S>, Stop<Infallible>> {
        let take_filed = |filed: &mut Filed<S>| filed.get_mut(k).and_then(Option::take);
        loop {
            {
                let mut filed = done.filed.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(result) = take_filed(&mut filed) {
                    return result;
                }
            }
            match self.take() {
                Some(j) => self.parse(j, done),
                None => break,
            }
        }
        let is_filed = || {
            done.filed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(k)
                .is_some_and(Option::is_some)
        };
        let mine = if self.stop.load(Relaxed) {
            None
        } else {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.parse_part_unless(k, is_filed)
            }))
            .ok()
        };
        let mut filed = done.filed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(result) = take_filed(&mut filed) {
            return result;
        }
        if let Some(Ok(parsed)) = mine {
            return Ok(parsed);
        }
        // Ours was given up or failed: the other parse decides.
        loop {
            if let Some(result) = take_filed(&mut filed) {
                return result;
            }
            filed = done.ready.wait(filed).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn recycle(&self, buf: Vec<u8>) {
        self.spare_reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(buf);
    }
}

/// Parses a whole stream file, cut into parts parsed by `options.threads`
/// threads (the calling one included) when it is large enough, into sinks
/// made by `new_part` (given the stream offset where the part starts),
/// and hands the sinks to `merge` in stream order on the calling thread.
/// A cut is a guess (v2: three CRC-valid packets in a row; v1: a `test: `
/// line) proved afterwards: the part before it, fed exactly up to it
/// without EOF, must have consumed everything and rest at a boundary
/// ([`Decoder::at_boundary`]); otherwise that part's sink goes on being fed
/// to the end of the stream on the calling thread and the later parts are
/// dropped unseen, so the events the merged sinks receive, in order, are a
/// single pass's. A sink that panics on another thread fails the parse
/// with an I/O error rather than hang it.
///
/// ```
/// use std::convert::Infallible;
/// use refstack_subunit::{Counts, Merge, Packet, PacketStatus, ParallelOptions, parse_file};
///
/// struct Sum(Counts);
/// impl Merge<Counts> for Sum {
///     type Error = Infallible;
///     fn part(&mut self, part: Counts) -> Result<(), Infallible> {
///         self.0.packets += part.packets;
///         Ok(())
///     }
/// }
///
/// let mut stream = Vec::new();
/// for _ in 0..1000 {
///     Packet::new(PacketStatus::Success).with_test_id("t").encode(&mut stream)?;
/// }
/// let path = std::env::temp_dir().join(format!("parallel-doc-{}", std::process::id()));
/// std::fs::write(&path, &stream)?;
/// let file = std::fs::File::open(&path)?;
/// let options = ParallelOptions { min_file_size: 0, part_size: 1024, ..Default::default() };
/// let mut sum = Sum(Counts::default());
/// let report = parse_file(&file, &options, |_| Counts::default(), &mut sum)?;
/// assert_eq!(sum.0.packets, 1000);
/// assert_eq!(report.bytes, stream.len() as u64);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_file<S, F, M>(
    file: &File,
    options: &ParallelOptions,
    new_part: F,
    merge: &mut M,
) -> Result<ParseReport, ParallelError<M::Error>>
where
    S: Sink<Error = Infallible> + Send,
    F: Fn(u64) -> S + Sync,
    M: Merge<S>,
{
    let cuts =
        Cuts::guess(file, options).map_err(|source| ParallelError::Io { offset: 0, source })?;
    parse_file_with(file, options, cuts, &new_part, merge)
}

/// [`parse_file`] with these cuts (`None`: one pass).
pub(crate) fn parse_file_with<S, F, M>(
    file: &File,
    options: &ParallelOptions,
    cuts: Option<Cuts>,
    new_part: &F,
    merge: &mut M,
) -> Result<ParseReport, ParallelError<M::Error>>
where
    S: Sink<Error = Infallible> + Send,
    F: Fn(u64) -> S + Sync,
    M: Merge<S>,
{
    let Some(cuts) = cuts else {
        return parse_reader(ReadAt { file, pos: 0 }, options, new_part, merge);
    };
    let format = cuts.format();
    let parts = Parts {
        file,
        cuts,
        new_part,
        read_size: options.read_size,
        starts: OnceLock::new(),
        next: AtomicUsize::new(1),
        stop: AtomicBool::new(false),
        spare_reads: Mutex::default(),
    };
    let done = Done {
        filed: Mutex::default(),
        ready: Condvar::new(),
    };
    let threads = options.threads.max(2);
    let mut merged = 0;
    // The last part's feeder and sink, and whether the cut after it was
    // wrong (then the parse goes on from there).
    let (mut feeder, mut sink, cut_failed) = std::thread::scope(|scope| {
        // The other threads start at once: the first of them works out the
        // cuts after the first while this one parses the first part.
        for _ in 1..threads {
            scope.spawn(|| parts.work(&done));
        }
        parts.parse(0, &done);
        let mut k = 0;
        loop {
            let parsed = match parts.wait_for(k, &done) {
                Ok(parsed) => parsed,
                Err(e) => {
                    parts.stop();
                    return Err(match e {
                        Stop::Io(offset, source) => ParallelError::Io { offset, source },
                        Stop::After(never) => match never {},
                    });
                }
            };
            k += 1;
            let Some(next) = parts.starts().get(k).copied() else {
                return Ok((parsed.feeder, parsed.sink, false));
            };
            if !parsed.feeder.ends_at_boundary(next, format) {
                // Not a boundary: the later parts are dropped.
                parts.stop();
                return Ok((parsed.feeder, parsed.sink, true));
            }
            merged += 1;
            parts.recycle(parsed.feeder.buf);
            if let Err(e) = merge.part(parsed.sink) {
                parts.stop();
                return Err(ParallelError::Merge(e));
            }
        }
    })?;
    if cut_failed {
        let mut input = ReadAt {
            file,
            pos: feeder.read_to,
        };
        merge.progress(&mut sink).map_err(ParallelError::Merge)?;
        feeder.feed(&mut input, None, true, &mut sink, |s| merge.progress(s))?;
    }
    merge.part(sink).map_err(ParallelError::Merge)?;
    Ok(ParseReport {
        bytes: feeder.read_to,
        format: feeder.decoder.format(),
        parts: merged + 1,
    })
}

/// Parses a whole stream from `reader` in one pass on the calling thread
/// into one sink made by `new_part(0)`, calling [`Merge::progress`] after
/// each read and [`Merge::part`] at the end: the same interface as
/// [`parse_file`], for pipes and standard input.
pub fn parse_reader<S, F, M>(
    mut reader: impl Read,
    options: &ParallelOptions,
    new_part: F,
    merge: &mut M,
) -> Result<ParseReport, ParallelError<M::Error>>
where
    S: Sink<Error = Infallible>,
    F: Fn(u64) -> S,
    M: Merge<S>,
{
    let mut feeder = Feeder::new(None, 0, options.read_size, Vec::new());
    let mut sink = new_part(0);
    feeder.feed(&mut reader, None, true, &mut sink, |s| merge.progress(s))?;
    merge.part(sink).map_err(ParallelError::Merge)?;
    Ok(ParseReport {
        bytes: feeder.read_to,
        format: feeder.decoder.format(),
        parts: 1,
    })
}

/// One part's sink of [`fold_file`]: the counts and the fold.
#[derive(Debug)]
pub struct FoldPart<R> {
    /// Packets, noise and rejected candidates.
    pub counts: Counts,
    /// The lifecycle fold.
    pub fold: Fold<R>,
}

impl<R: RecordSink> Sink for FoldPart<R> {
    type Error = Infallible;
    #[inline]
    fn packet(&mut self, offset: u64, packet: &Packet<'_>) -> Result<(), Infallible> {
        self.counts.packet(offset, packet)?;
        self.fold.push(packet);
        Ok(())
    }
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Infallible> {
        self.counts.noise(offset, bytes)
    }
    fn corrupt(&mut self, offset: u64, bytes: &[u8], error: &Corruption) -> Result<(), Infallible> {
        self.counts.corrupt(offset, bytes, error)
    }
}

/// The parts of a [`fold_file`] merged so far.
struct FoldMerge<R>(Option<FoldPart<R>>);

impl<R: MergeRecords> Merge<FoldPart<R>> for FoldMerge<R> {
    type Error = NotMergeable;
    fn part(&mut self, part: FoldPart<R>) -> Result<(), NotMergeable> {
        let Some(all) = &mut self.0 else {
            self.0 = Some(part);
            return Ok(());
        };
        all.fold.absorb(part.fold)?;
        let (c, p) = (&mut all.counts, part.counts);
        c.packets += p.packets;
        c.noise_runs += p.noise_runs;
        c.noise_bytes += p.noise_bytes;
        c.corrupt += p.corrupt;
        Ok(())
    }
}

/// What [`fold_file`] and [`fold_reader`] give.
#[derive(Debug)]
pub struct Folded<R> {
    /// The record sink, every record handed over (the ones still open at
    /// the end too, as [`Fold::finish`] does).
    pub records: R,
    /// Run-level figures.
    pub summary: RunSummary,
    /// Packets, noise and rejected candidates.
    pub counts: Counts,
    /// What was read.
    pub report: ParseReport,
}

/// Folds a whole stream file into the record sinks `new_sink` makes, a
/// large file in parallel parts ([`parse_file`]): each part folded on its
/// own ([`Fold::for_later_part`]) and merged in order ([`Fold::absorb`]),
/// so the records and the run summary are a single pass's (in the rare
/// case absorbing fails, the file is folded again in one pass). Records
/// reach each part's sink in that part's completion order; use a sink
/// that keeps first-seen order ([`crate::Records`]) or does not care
/// ([`crate::StatusCounts`]).
pub fn fold_file<R, F>(
    file: &File,
    options: &ParallelOptions,
    fold_options: FoldOptions,
    new_sink: F,
) -> Result<Folded<R>, ParallelError<Infallible>>
where
    R: MergeRecords + Send,
    F: Fn() -> R + Sync,
{
    let new_part = |offset: u64| FoldPart {
        counts: Counts::default(),
        fold: if offset == 0 {
            Fold::with_options(new_sink(), fold_options)
        } else {
            Fold::for_later_part(new_sink(), fold_options)
        },
    };
    let mut merge = FoldMerge(None);
    let report = match parse_file(file, options, new_part, &mut merge) {
        Ok(report) => report,
        Err(ParallelError::Io { offset, source }) => {
            return Err(ParallelError::Io { offset, source });
        }
        Err(ParallelError::Merge(NotMergeable)) => {
            merge = FoldMerge(None);
            let once = ParallelOptions::sequential();
            parse_file(file, &once, new_part, &mut merge).map_err(|e| match e {
                ParallelError::Io { offset, source } => ParallelError::Io { offset, source },
                // One part: nothing to absorb.
                ParallelError::Merge(NotMergeable) => ParallelError::Io {
                    offset: 0,
                    source: std::io::Error::other("fold: one part did not merge"),
                },
            })?
        }
    };
    // `parse_file` hands over at least one part.
    let part = merge.0.unwrap_or_else(|| FoldPart {
        counts: Counts::default(),
        fold: Fold::with_options(new_sink(), fold_options),
    });
    Ok(folded(part, report))
}

/// [`fold_file`] over any reader, in one pass on the calling thread.
pub fn fold_reader<R: RecordSink>(
    mut reader: impl Read,
    options: &ParallelOptions,
    fold_options: FoldOptions,
    sink: R,
) -> Result<Folded<R>, ParallelError<Infallible>> {
    let mut part = FoldPart {
        counts: Counts::default(),
        fold: Fold::with_options(sink, fold_options),
    };
    let mut feeder = Feeder::new(None, 0, options.read_size, Vec::new());
    feeder.feed(&mut reader, None, true, &mut part, |_| Ok(()))?;
    let report = ParseReport {
        bytes: feeder.read_to,
        format: feeder.decoder.format(),
        parts: 1,
    };
    Ok(folded(part, report))
}

fn folded<R: RecordSink>(part: FoldPart<R>, report: ParseReport) -> Folded<R> {
    let (records, summary) = part.fold.finish();
    Folded {
        records,
        summary,
        counts: part.counts,
        report,
    }
}

#[cfg(test)]
mod tests;
