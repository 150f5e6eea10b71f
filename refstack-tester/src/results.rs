//! Results on disk: reading subunit streams (v1 or v2, detected) into test
//! records, building the upload payload from them, and reading and writing
//! refstack-client's results JSON (`{"cpid", "duration_seconds", "results"}`,
//! 4-space indent, no trailing newline).

use std::path::Path;

use refstack_api_types::results::UploadRequest;
use std::io::Read;

use refstack_core::payload::{PassedTest, UploadPayload};
use refstack_core::testid::TestId;
use refstack_subunit::{
    Decoder, DecoderOptions, Fold, FoldOptions, Format, Packet, PacketStatus, ReadError, Reader,
    Sink, TestRecord, TestStatus, detect, parse_packet, parse_slice,
};

use crate::error::Error;

fn read_file(path: &Path, action: &'static str) -> Result<Vec<u8>, Error> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf).map_err(|source| {
            Error::Io {
                action,
                path: path.to_path_buf(),
                source,
            }
        })?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    })
}

fn fold_options(keep_details: bool) -> FoldOptions {
    FoldOptions {
        attachments: keep_details,
        tags: keep_details,
    }
}

/// Fold a whole stream held in memory into test records, in the order
/// the tests finished (refstack-client's order), tests still running at
/// the end last. With `keep_details` false, attachments and tags are not
/// kept (faster, enough for results and scoring).
pub fn records_from_bytes(bytes: &[u8], keep_details: bool) -> Vec<TestRecord> {
    let mut out = Vec::new();
    let mut fold = Fold::with_options(|r: TestRecord| out.push(r), fold_options(keep_details));
    match parse_slice(bytes, &mut fold) {
        Ok(()) => {}
        Err(never) => match never {},
    }
    let _ = fold.finish();
    out
}

/// Open a stream file (`-` for stdin) for reading.
fn open_input(path: &Path) -> Result<Box<dyn Read>, Error> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        action: "read the subunit stream",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Box::new(file))
}

/// Stream `path` through a fold, handing each finished record to `each`.
/// Returns the number of bytes read.
fn fold_file(path: &Path, keep_details: bool, each: impl FnMut(TestRecord)) -> Result<u64, Error> {
    let mut fold = Fold::with_options(each, fold_options(keep_details));
    let mut reader = Reader::new(open_input(path)?);
    let read = reader.run(&mut fold);
    let _ = fold.finish();
    match read {
        Ok(()) => Ok(reader.offset()),
        Err(ReadError::Io(source)) => Err(Error::Io {
            action: "read the subunit stream",
            path: path.to_path_buf(),
            source,
        }),
        Err(ReadError::Sink(never)) => match never {},
    }
}

fn no_tests(path: &Path) -> Error {
    Error::Input {
        origin: path.display().to_string(),
        message: "no subunit test events found (not a subunit v1/v2 stream, or corrupt)".into(),
    }
}

/// Read a subunit stream file (`-` for stdin) into test records, in the
/// order the tests finished. A non-empty input without any test is an error.
pub fn read_stream_file(path: &Path) -> Result<Vec<TestRecord>, Error> {
    let mut records = Vec::new();
    let bytes = fold_file(path, true, |r| records.push(r))?;
    if records.is_empty() && bytes > 0 {
        return Err(no_tests(path));
    }
    Ok(records)
}

/// Read a subunit stream file straight into the upload payload, without
/// keeping the records: the fast path of `subunit to-json` and
/// `upload-subunit`.
pub fn payload_from_stream_file(
    path: &Path,
    cpid: impl Into<String>,
    duration_seconds: i64,
) -> Result<UploadRequest, Error> {
    let mut passed: Vec<PassedTest> = Vec::new();
    let mut seen = 0u64;
    let bytes = fold_file(path, false, |r| {
        seen += 1;
        if r.status == TestStatus::Success {
            passed.push(PassedTest::from_test_id(&r.id));
        }
    })?;
    if seen == 0 && bytes > 0 {
        return Err(no_tests(path));
    }
    Ok(UploadPayload {
        cpid: cpid.into(),
        duration_seconds,
        results: passed,
    }
    .into_wire())
}

/// The upload payload of a run: only passed tests, `{name, uuid?}`, in
/// the order of `records`.
pub fn payload(
    records: &[TestRecord],
    cpid: impl Into<String>,
    duration_seconds: i64,
) -> UploadRequest {
    UploadPayload::from_records(cpid, duration_seconds, records).into_wire()
}

/// Writes refstack-client's results JSON incrementally, exactly as
/// `json.dumps(content, indent=4, separators=(',', ': '))` does
/// (`ensure_ascii`: non-ASCII as `\uXXXX`), without a trailing newline.
#[derive(Debug)]
pub struct ResultsJsonWriter {
    out: Vec<u8>,
    entries: u64,
    /// Write the `,` separator before the first entry too.
    lead_comma: bool,
}

/// Append `s` as a JSON string literal, Python `ensure_ascii` style.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_json_str_body(out, s);
    out.push(b'"');
}

/// True if `b` holds a byte JSON (`ensure_ascii`) must escape: a control
/// character, `"`, `\\`, or anything outside ASCII.
fn needs_escape(b: &[u8]) -> bool {
    // Printable ASCII is 0x20..=0x7e.
    let ok = |x: u8| x.wrapping_sub(0x20) < 0x5f && x != b'"' && x != b'\\';
    // Whole 16-byte blocks, checked without an early exit, vectorise; the
    // last block overlaps the one before instead of a byte-wise tail.
    let block = |c: &[u8; 16]| c.iter().fold(true, |acc, &x| acc & ok(x));
    if b.len() < 16 {
        return !b.iter().all(|&x| ok(x));
    }
    let mut blocks = b.chunks_exact(16);
    for c in &mut blocks {
        if let Ok(c) = <&[u8; 16]>::try_from(c)
            && !block(c)
        {
            return true;
        }
    }
    !blocks.remainder().is_empty()
        && <&[u8; 16]>::try_from(&b[b.len() - 16..]).is_ok_and(|c| !block(c))
}

/// Append the escaped contents of `s` (without the quotes); escaping
/// character by character, so pieces may be appended one after the other.
fn push_json_str_body(out: &mut Vec<u8>, s: &str) {
    if !needs_escape(s.as_bytes()) {
        out.extend_from_slice(s.as_bytes());
    } else {
        for c in s.chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                c if (' '..='~').contains(&c) => out.push(c as u8),
                c => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
                    }
                }
            }
        }
    }
}

impl ResultsJsonWriter {
    /// Start a document with `cpid` and `duration_seconds`.
    pub fn new(cpid: &str, duration_seconds: i64, capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(b"{\n    \"cpid\": ");
        push_json_str(&mut out, cpid);
        out.extend_from_slice(
            format!(",\n    \"duration_seconds\": {duration_seconds},\n    \"results\": [")
                .as_bytes(),
        );
        Self {
            out,
            entries: 0,
            lead_comma: false,
        }
    }

    /// A writer of entries only (no header), to be appended to a document
    /// with [`ResultsJsonWriter::append_fragment`].
    pub fn fragment(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
            entries: 0,
            lead_comma: false,
        }
    }

    /// The entries written to a [`ResultsJsonWriter::fragment`], each
    /// preceded by its separator; the first one's leading `,` is removed.
    pub fn into_fragment(self) -> Vec<u8> {
        let mut out = self.out;
        if out.first() == Some(&b',') {
            out.remove(0);
        }
        out
    }

    /// Append `count` entries produced by [`ResultsJsonWriter::into_fragment`].
    pub fn append_fragment(&mut self, entries: &[u8], count: u64) {
        if count == 0 {
            return;
        }
        if self.entries > 0 {
            self.out.push(b',');
        }
        self.out.extend_from_slice(entries);
        self.entries += count;
    }

    /// Append one passed test.
    pub fn push(&mut self, name: &str, uuid: Option<&str>) {
        self.push_parts(name, "", uuid);
    }

    /// Append one passed test named `head` followed by `tail`.
    fn push_parts(&mut self, head: &str, tail: &str, uuid: Option<&str>) {
        self.out
            .reserve(96 + head.len() + tail.len() + uuid.map_or(0, str::len));
        if self.entries > 0 || self.lead_comma {
            self.out.push(b',');
        }
        self.entries += 1;
        self.out
            .extend_from_slice(b"\n        {\n            \"name\": \"");
        push_json_str_body(&mut self.out, head);
        push_json_str_body(&mut self.out, tail);
        self.out.push(b'"');
        if let Some(u) = uuid {
            self.out.extend_from_slice(b",\n            \"uuid\": ");
            push_json_str(&mut self.out, u);
        }
        self.out.extend_from_slice(b"\n        }");
    }

    /// Append the passed test with this full test id (brackets stripped
    /// from the name, the `id-` attribute as uuid: `refstack-core`'s rules).
    pub fn push_test_id(&mut self, id: &str) {
        let b = id.as_bytes();
        // An id that needs no JSON escaping (every Tempest id) is cut and
        // copied as bytes; the rules are restated below so that no
        // `String` is built per test. Others (escapes, and multi-line ids,
        // which take refstack-core's general path) go the long way.
        if needs_escape(b) {
            self.push_test_id_escaped(id);
            return;
        }
        let (head, tail, uuid) = match memchr::memchr(b'[', b) {
            None => (b, &b[..0], None),
            Some(open) => {
                // The first bracket block's attributes: up to the next `]` or `[`.
                let start = open + 1;
                let end = memchr::memchr2(b']', b'[', &b[start..]).map_or(b.len(), |i| start + i);
                let uuid = b[start..end]
                    .split(|&c| c == b',')
                    .find_map(|a| a.strip_prefix(b"id-"));
                // `re.sub(r'\[.*\]', '', id)`: from the first `[` to the last `]`.
                match memchr::memrchr(b']', b) {
                    Some(close) if close > open => (&b[..open], &b[close + 1..], uuid),
                    _ => (b, &b[..0], uuid),
                }
            }
        };
        let out = &mut self.out;
        out.reserve(96 + b.len());
        if self.entries > 0 || self.lead_comma {
            out.push(b',');
        }
        self.entries += 1;
        out.extend_from_slice(b"\n        {\n            \"name\": \"");
        out.extend_from_slice(head);
        out.extend_from_slice(tail);
        if let Some(u) = uuid {
            out.extend_from_slice(b"\",\n            \"uuid\": \"");
            out.extend_from_slice(u);
        }
        out.extend_from_slice(b"\"\n        }");
    }

    /// [`ResultsJsonWriter::push_test_id`] for ids with characters to escape.
    fn push_test_id_escaped(&mut self, id: &str) {
        let b = id.as_bytes();
        if memchr::memchr(b'\n', b).is_some() {
            let parsed = TestId::parse(id);
            self.push(&parsed.upload_name(), parsed.uuid());
            return;
        }
        let Some(open) = memchr::memchr(b'[', b) else {
            self.push(id, None);
            return;
        };
        let start = open + 1;
        let end = memchr::memchr2(b']', b'[', &b[start..]).map_or(b.len(), |i| start + i);
        let uuid = id[start..end]
            .split(',')
            .find_map(|a| a.strip_prefix("id-"));
        let (head, tail) = match memchr::memrchr(b']', b) {
            Some(close) if close > open => (&id[..open], &id[close + 1..]),
            _ => (id, ""),
        };
        self.push_parts(head, tail, uuid);
    }

    /// Number of tests written.
    pub fn len(&self) -> u64 {
        self.entries
    }

    /// True when no test was written.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Close the document and return its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.entries > 0 {
            self.out.extend_from_slice(b"\n    ]\n}");
        } else {
            self.out.extend_from_slice(b"]\n}");
        }
        self.out
    }
}

/// Render a results JSON exactly as refstack-client writes it (see
/// [`ResultsJsonWriter`]).
pub fn results_json_bytes(content: &UploadRequest) -> Vec<u8> {
    let mut w = ResultsJsonWriter::new(
        &content.cpid,
        content.duration_seconds,
        96 + content.results.len() * 180,
    );
    for t in &content.results {
        w.push(&t.name, t.uuid.as_deref());
    }
    w.finish()
}

/// [`results_json_bytes`] as a string.
pub fn results_json_text(content: &UploadRequest) -> String {
    String::from_utf8_lossy(&results_json_bytes(content)).into_owned()
}

/// Counts test packets and writes every `success` one straight into a
/// results JSON fragment. A `success` status always completes a test
/// (subunit's lifecycle), so each such packet is exactly one passed test,
/// in the order tests finished: the same list as folding records first,
/// without building them. Every entry is written with its leading `,`
/// (the document's first one is dropped when it is emitted), so fragments
/// and pieces of fragments concatenate.
struct PassedToJson {
    json: ResultsJsonWriter,
    test_packets: u64,
}

impl PassedToJson {
    fn new(capacity: usize) -> Self {
        let mut json = ResultsJsonWriter::fragment(capacity);
        json.lead_comma = true;
        Self {
            json,
            test_packets: 0,
        }
    }
}

impl Sink for PassedToJson {
    type Error = std::convert::Infallible;
    fn packet(&mut self, _offset: u64, p: &Packet<'_>) -> Result<(), Self::Error> {
        if let Some(id) = p.test_id {
            self.test_packets += 1;
            if p.status == PacketStatus::Success {
                self.json.push_test_id(id);
            }
        }
        Ok(())
    }
}

/// Size of a read, and of the output pieces written while parsing.
const READ_SIZE: usize = 256 * 1024;

/// A [`Decoder`] fed from a reader through one reusable buffer (bounded by
/// the largest packet the decoder waits for, plus one read).
struct Feeder {
    decoder: Decoder,
    buf: Vec<u8>,
    /// Unconsumed bytes: `buf[..len]`.
    len: usize,
    /// Stream offset of the next byte to read.
    read_to: u64,
    /// Stream offset of the decoder's first byte.
    start: u64,
}

impl Feeder {
    /// A feeder whose first byte is at stream offset `start`.
    fn new(format: Option<Format>, start: u64) -> Self {
        Self::with_buffer(format, start, Vec::new())
    }

    /// [`Feeder::new`] reading into `buf` (its contents do not matter): a
    /// buffer another feeder used, whose pages are already in place.
    fn with_buffer(format: Option<Format>, start: u64, mut buf: Vec<u8>) -> Self {
        buf.resize(READ_SIZE.max(buf.len()), 0);
        Self {
            decoder: Decoder::with_options(DecoderOptions { format }),
            buf,
            len: 0,
            read_to: start,
            start,
        }
    }

    /// Reads `limit` bytes of `input` (all of it when `None`) and feeds
    /// them to the decoder, calling `after` after each feed. With `eof`,
    /// the end of those bytes is the end of the stream; without, bytes the
    /// decoder cannot decide on yet stay buffered for a later call.
    fn feed<S: Sink<Error = std::convert::Infallible>>(
        &mut self,
        input: &mut impl Read,
        limit: Option<u64>,
        eof: bool,
        sink: &mut S,
        mut after: impl FnMut(&mut S) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut left = limit;
        loop {
            let need = self.decoder.wants().max(self.len + 1).max(READ_SIZE);
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
                        Err(e) => {
                            return Err(std::io::Error::new(
                                e.kind(),
                                format!("at byte {}: {e}", self.read_to),
                            ));
                        }
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
            after(sink)?;
            if done {
                return Ok(());
            }
        }
    }

    /// True if this feeder, fed up to `cut` without EOF, proves `cut` a
    /// boundary where a decoder of `format` started afresh gives the same
    /// test packets (see [`Decoder::at_boundary`]).
    fn ends_at_boundary(&self, cut: u64, format: Format) -> bool {
        self.len == 0
            && self.start + self.decoder.offset() == cut
            && self.decoder.format() == Some(format)
            && self.decoder.at_boundary()
    }
}

fn read_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action: "read the subunit stream",
        path: path.to_path_buf(),
        source,
    }
}

/// A guess at a boundary of a `format` stream at or after `start` (within
/// 1 MiB): v2, the first signature byte that starts three consecutive
/// CRC-valid packets; v1, the start of the first `test: ` line. Only a
/// guess: attachment content can look like either; the parse checks it.
fn boundary_after(file: &std::fs::File, start: u64, len: u64, format: Format) -> Option<u64> {
    // v1: look from the byte before, so a line starting at `start` counts.
    let from = match format {
        Format::V1 => start.checked_sub(1)?,
        Format::V2 => start,
    };
    // Windows of 64 KiB, 256 KiB, 1 MiB: the first is enough for v1 and
    // for v2 packets of ordinary size.
    for window in [64u64 << 10, 256 << 10, 1 << 20] {
        let window = window.min(len - from);
        let buf = bytes_at(file, from, window)?;
        if let Some(at) = boundary_in(&buf, format) {
            return Some(from + at as u64);
        }
        if window == len - from {
            break;
        }
    }
    None
}

/// `len` bytes of a stream file from `from` (fewer at its end).
fn bytes_at(file: &std::fs::File, from: u64, len: u64) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(usize::try_from(len).ok()?);
    ReadAt { file, pos: from }
        .take(len)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

/// Reads a file from its own position with positioned reads (`pread`),
/// so that several threads read their parts of one open file.
struct ReadAt<'f> {
    file: &'f std::fs::File,
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

/// [`boundary_after`] in a buffer.
fn boundary_in(buf: &[u8], format: Format) -> Option<usize> {
    if format == Format::V1 {
        return memchr::memmem::find(buf, b"\ntest: ").map(|at| at + 1);
    }
    let mut pos = 0;
    while let Some(k) = memchr::memchr(refstack_subunit::v2::SIGNATURE, &buf[pos..]) {
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

/// The stream file the parts are read from: each part reads its own range
/// with positioned reads, through its own buffer. (Reading measured faster
/// than memory-mapping the file here: the map's page-table set-up and
/// tear-down cost more than the copy, see BENCHMARKS.md.)
#[derive(Debug, Clone, Copy)]
struct Input<'a>(&'a std::fs::File);

impl Input<'_> {
    /// Feeds `feeder` from where it stands to stream offset `to` (the end
    /// of the file when `None`); see [`Feeder::feed`].
    fn feed<S: Sink<Error = std::convert::Infallible>>(
        self,
        feeder: &mut Feeder,
        to: Option<u64>,
        eof: bool,
        sink: &mut S,
        after: impl FnMut(&mut S) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut file = ReadAt {
            file: self.0,
            pos: feeder.read_to,
        };
        let limit = to.map(|t| t.saturating_sub(feeder.read_to));
        feeder.feed(&mut file, limit, eof, sink, after)
    }
}

/// Streams at least this large are parsed by several threads.
const PARALLEL_THRESHOLD: u64 = 8 << 20;

/// The results document as it is written: the header goes out with the
/// first entries (or at the end), so nothing is written for an input that
/// turns out to hold no test.
struct DocOut<'w, W: std::io::Write> {
    out: &'w mut W,
    header: Vec<u8>,
    started: bool,
    any: bool,
}

impl<W: std::io::Write> DocOut<'_, W> {
    /// Writes `json`'s entries out and empties it.
    fn emit(&mut self, json: &mut ResultsJsonWriter) -> std::io::Result<()> {
        self.emit_bytes(&json.out)?;
        json.out.clear();
        Ok(())
    }

    /// Writes entries (each with its leading `,`) out.
    fn emit_bytes(&mut self, mut entries: &[u8]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        if !self.started {
            self.out.write_all(&self.header)?;
            self.started = true;
        }
        if !self.any {
            // The document's first entry has no separator.
            entries = entries.strip_prefix(b",").unwrap_or(entries);
            self.any = true;
        }
        self.out.write_all(entries)
    }

    fn finish(self) -> std::io::Result<()> {
        if !self.started {
            self.out.write_all(&self.header)?;
        }
        self.out
            .write_all(if self.any { b"\n    ]\n}" } else { b"]\n}" })?;
        self.out.flush()
    }
}

/// Writes the entries out once a piece of [`READ_SIZE`] is ready.
fn flush_full<W: std::io::Write>(
    doc: &mut DocOut<'_, W>,
    sink: &mut PassedToJson,
) -> std::io::Result<()> {
    if sink.json.out.len() >= READ_SIZE {
        doc.emit(&mut sink.json)?;
    }
    Ok(())
}

/// How a stream file is cut for parallel parsing.
#[derive(Debug, Clone, Copy)]
struct Split {
    /// Number of threads, at most.
    threads: usize,
    /// Files smaller than this are parsed in one pass.
    threshold: u64,
}

impl Split {
    fn for_this_machine() -> Self {
        Self {
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8),
            threshold: PARALLEL_THRESHOLD,
        }
    }
}

/// Target size of a part: small enough that the threads finish close
/// together whatever share of the CPU each gets (parts are handed out as
/// threads become free), large enough that guessing the cuts costs
/// nothing next to parsing.
const PART_SIZE: u64 = 4 << 20;

/// Where to cut a stream file.
#[derive(Debug)]
enum Plan {
    /// Guess cuts ([`Cuts::guess`]).
    Split(Split),
    /// These cuts (ascending, inside the file) for a stream of this format,
    /// parsed by two threads.
    #[cfg(test)]
    Cuts(Format, Vec<u64>),
}

/// The cuts of a stream file into parts: the first one known at once, so
/// that the first part can start, the others worked out on demand (by the
/// first thread to need them, while the first part is being parsed).
#[derive(Debug)]
enum Cuts {
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
    /// Cuts of a `split` file, or `None` to parse it in one pass (too
    /// small, one core, format not recognised, no boundary found).
    fn guess(path: &Path, file: &std::fs::File, split: Split) -> Result<Option<Self>, Error> {
        let len = file.metadata().map_err(|e| read_error(path, e))?.len();
        if len < split.threshold || split.threads < 2 {
            return Ok(None);
        }
        let Some(head) = bytes_at(file, 0, 64 * 1024) else {
            return Ok(None);
        };
        let Some(format) = detect(&head, head.len() as u64 == len) else {
            return Ok(None);
        };
        let parts = (len / PART_SIZE).clamp(split.threads as u64, 16 * split.threads as u64);
        Ok(boundary_after(file, len / parts, len, format)
            .filter(|&first| first < len)
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
    fn starts(&self, file: &std::fs::File) -> Vec<u64> {
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

/// A part parsed on its own: its entries, and its feeder stopped at the
/// part's end (to prove the next cut, or to go on from).
struct Parsed {
    feeder: Feeder,
    sink: PassedToJson,
}

/// A pool of buffers.
type Spares = std::sync::Mutex<Vec<Vec<u8>>>;

/// The parsed parts, by index, as they are filed.
type Filed = Vec<Option<std::io::Result<Parsed>>>;

/// The parts of a cut stream file, handed out to threads as they become
/// free, and their parses, collected by index for the writing thread.
struct Parts<'a> {
    input: Input<'a>,
    cuts: Cuts,
    /// Stream offset where each part starts (`starts[0] == 0`), from
    /// [`Cuts::starts`] once a thread needs it.
    starts: std::sync::OnceLock<Vec<u64>>,
    /// Index of the next part nobody has taken (part 0 belongs to the
    /// writing thread).
    next: std::sync::atomic::AtomicUsize,
    /// Set when a cut turned out wrong, or the writing thread gave up:
    /// parsers stop early.
    stop: std::sync::atomic::AtomicBool,
    done: std::sync::Mutex<Filed>,
    ready: std::sync::Condvar,
    /// Read and output buffers of parts already written, for reuse: fresh
    /// memory costs a page fault per page, and freeing it costs the other
    /// threads a TLB flush.
    spare_reads: Spares,
    spare_outputs: Spares,
}

impl<'a> Parts<'a> {
    fn new(input: Input<'a>, cuts: Cuts) -> Self {
        Self {
            input,
            cuts,
            starts: std::sync::OnceLock::new(),
            next: std::sync::atomic::AtomicUsize::new(1),
            stop: std::sync::atomic::AtomicBool::new(false),
            done: std::sync::Mutex::default(),
            ready: std::sync::Condvar::new(),
            spare_reads: Spares::default(),
            spare_outputs: Spares::default(),
        }
    }

    fn starts(&self) -> &[u64] {
        self.starts.get_or_init(|| self.cuts.starts(self.input.0))
    }

    fn count(&self) -> usize {
        self.starts().len()
    }

    /// Stops the parsers (at their next read).
    fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes the next part, if any is left and the parse goes on.
    fn take(&self) -> Option<usize> {
        use std::sync::atomic::Ordering::Relaxed;
        if self.stop.load(Relaxed) {
            return None;
        }
        let k = self.next.fetch_add(1, Relaxed);
        (k < self.count()).then_some(k)
    }

    /// Parses part `k` and files the result: an error if the parse panics,
    /// so that the writing thread never waits for a part that cannot come.
    fn parse(&self, k: usize) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.parse_part(k)))
            .unwrap_or_else(|_| Err(std::io::Error::other("a parser thread failed")));
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        if done.len() <= k {
            done.resize_with(k + 1, || None);
        }
        done[k] = Some(result);
        self.ready.notify_all();
    }

    fn parse_part(&self, k: usize) -> std::io::Result<Parsed> {
        let (from, to) = if k == 0 {
            (0, Some(self.cuts.first()))
        } else {
            let starts = self.starts();
            (starts[k], starts.get(k + 1).copied())
        };
        let spare = |pool: &Spares| {
            pool.lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .unwrap_or_default()
        };
        // The first part detects the format, as a single pass would.
        let format = (k > 0).then(|| self.cuts.format());
        let mut feeder = Feeder::with_buffer(format, from, spare(&self.spare_reads));
        let mut sink = PassedToJson::new(0);
        sink.json.out = spare(&self.spare_outputs);
        sink.json.out.clear();
        self.input
            .feed(&mut feeder, to, to.is_none(), &mut sink, |_| {
                if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
                    Err(std::io::Error::other("stopped"))
                } else {
                    Ok(())
                }
            })
            .map(|()| Parsed { feeder, sink })
    }

    /// Parses parts until none is left.
    fn work(&self) {
        while let Some(k) = self.take() {
            self.parse(k);
        }
    }

    /// Part `k`'s parse once it is filed; meanwhile this thread parses
    /// parts nobody has taken yet rather than wait idle.
    fn wait_for(&self, k: usize) -> std::io::Result<Parsed> {
        let filed = |done: &mut Filed| done.get_mut(k).and_then(Option::take);
        let count = self.count();
        loop {
            {
                let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(result) = filed(&mut done) {
                    return result;
                }
                if self.next.load(std::sync::atomic::Ordering::Relaxed) >= count {
                    loop {
                        if let Some(result) = filed(&mut done) {
                            return result;
                        }
                        done = self.ready.wait(done).unwrap_or_else(|e| e.into_inner());
                    }
                }
            }
            if let Some(j) = self.take() {
                self.parse(j);
            }
        }
    }

    /// Gives a written part's buffers back for reuse.
    fn recycle(&self, parsed: Parsed) {
        let give = |pool: &Spares, buf| pool.lock().unwrap_or_else(|e| e.into_inner()).push(buf);
        give(&self.spare_reads, parsed.feeder.buf);
        give(&self.spare_outputs, parsed.sink.json.out);
    }
}

/// Stream `path` (`-` for stdin) into a results JSON document written to
/// `out`, parsing a large file in parallel parts.
///
/// The file is cut at guessed boundaries ([`boundary_after`]) into parts
/// of about [`PART_SIZE`], which the threads (this one included) take in
/// turn as they become free. Each part is fed exactly up to the next cut
/// without EOF; the next part is kept only if that part's decoder then
/// rests at a boundary ([`Feeder::ends_at_boundary`]). Otherwise the parse
/// goes on from there sequentially to the end of the stream and the later
/// parts are dropped, so the document is always the one a single pass
/// gives. This thread parses the first part while the others start (and
/// work out the later cuts, [`Cuts`]), then writes the parts out in order
/// as they are ready, parsing untaken parts while it waits.
///
/// Returns the number of parts that were parsed on their own and kept (1
/// when every cut was dropped).
fn convert_stream<W: std::io::Write>(
    path: &Path,
    cpid: &str,
    duration_seconds: i64,
    out: &mut W,
    out_name: &Path,
    plan: Plan,
) -> Result<usize, Error> {
    let write_error = |source| Error::Io {
        action: "write the results",
        path: out_name.to_path_buf(),
        source,
    };
    let mut doc = DocOut {
        out,
        header: ResultsJsonWriter::new(cpid, duration_seconds, 128).out,
        started: false,
        any: false,
    };
    let mut failed_write: Option<std::io::Error> = None;
    let mut parts_used = 1;
    // Feeds `feeder` on to `to` (EOF with `eof`), writing entries out as
    // they come.
    let mut run = |feeder: &mut Feeder,
                   sink: &mut PassedToJson,
                   doc: &mut DocOut<'_, W>,
                   input: Option<Input<'_>>,
                   to: Option<u64>,
                   eof: bool|
     -> Result<(), Error> {
        let after = |s: &mut PassedToJson| {
            flush_full(doc, s).map_err(|e| {
                failed_write = Some(e);
                std::io::Error::other("write failed")
            })
        };
        let r = match input {
            Some(input) => input.feed(feeder, to, eof, sink, after),
            None => feeder.feed(&mut std::io::stdin().lock(), to, eof, sink, after),
        };
        match (r, failed_write.take()) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(e)) => Err(write_error(e)),
            (Err(e), None) => Err(read_error(path, e)),
        }
    };
    let (test_packets, bytes) = if path.as_os_str() == "-" {
        let mut sink = PassedToJson::new(READ_SIZE * 2);
        let mut feeder = Feeder::new(None, 0);
        run(&mut feeder, &mut sink, &mut doc, None, None, true)?;
        doc.emit(&mut sink.json).map_err(write_error)?;
        (sink.test_packets, feeder.read_to)
    } else {
        let file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
        let input = Input(&file);
        let cuts = match plan {
            Plan::Split(split) => {
                Cuts::guess(path, &file, split)?.map(|cuts| (cuts, split.threads))
            }
            #[cfg(test)]
            Plan::Cuts(format, cuts) => {
                (!cuts.is_empty()).then_some((Cuts::Given(format, cuts), 2))
            }
        };
        match cuts {
            None => {
                // One part: written out as it is parsed.
                let mut feeder = Feeder::new(None, 0);
                let mut sink = PassedToJson::new(READ_SIZE * 2);
                run(&mut feeder, &mut sink, &mut doc, Some(input), None, true)?;
                doc.emit(&mut sink.json).map_err(write_error)?;
                (sink.test_packets, feeder.read_to)
            }
            Some((cuts, threads)) => {
                let parts = Parts::new(input, cuts);
                let mut test_packets = 0u64;
                // The last kept part's feeder and sink, and whether the cut
                // after it was wrong (then the parse goes on from there).
                let (mut feeder, mut sink, cut_failed) = std::thread::scope(|scope| {
                    // The other threads start at once: the first of them
                    // works out the cuts after the first while this one
                    // parses the first part.
                    for _ in 1..threads {
                        scope.spawn(|| parts.work());
                    }
                    parts.parse(0);
                    let mut k = 0;
                    loop {
                        let mut parsed = match parts.wait_for(k) {
                            Ok(parsed) => parsed,
                            Err(e) => {
                                parts.stop();
                                return Err(read_error(path, e));
                            }
                        };
                        test_packets += std::mem::take(&mut parsed.sink.test_packets);
                        if let Err(e) = doc.emit(&mut parsed.sink.json) {
                            parts.stop();
                            return Err(write_error(e));
                        }
                        k += 1;
                        let next = parts.starts().get(k).copied();
                        let Some(next) = next else {
                            return Ok((parsed.feeder, parsed.sink, false));
                        };
                        if !parsed.feeder.ends_at_boundary(next, parts.cuts.format()) {
                            // Not a boundary: the later parts are dropped.
                            parts.stop();
                            return Ok((parsed.feeder, parsed.sink, true));
                        }
                        parts_used += 1;
                        parts.recycle(parsed);
                    }
                })?;
                if cut_failed {
                    run(&mut feeder, &mut sink, &mut doc, Some(input), None, true)?;
                    doc.emit(&mut sink.json).map_err(write_error)?;
                    test_packets += sink.test_packets;
                }
                (test_packets, feeder.read_to)
            }
        }
    };
    if test_packets == 0 && bytes > 0 {
        return Err(no_tests(path));
    }
    doc.finish().map_err(write_error)?;
    Ok(parts_used)
}

/// The fast path of `subunit to-json`: stream `path` (`-` for stdin) into
/// a results JSON document, identical to [`results_json_bytes`] of
/// [`payload`] of the records. A large file is cut into one share per
/// core, parsed in parallel (see `convert_stream`). Errors on unreadable
/// input (with the byte offset), and on a non-empty input without any
/// test packet.
pub fn results_json_from_stream_file(
    path: &Path,
    cpid: &str,
    duration_seconds: i64,
) -> Result<Vec<u8>, Error> {
    let mut doc = Vec::new();
    convert_stream(
        path,
        cpid,
        duration_seconds,
        &mut doc,
        Path::new("-"),
        Plan::Split(Split::for_this_machine()),
    )?;
    Ok(doc)
}

/// [`results_json_from_stream_file`] written straight to `out` while the
/// stream is parsed (no copy of the document is assembled in memory; on a
/// read error midway, what was written stays written). `out_name` names
/// the output in write errors.
pub fn write_results_json_from_stream_file(
    path: &Path,
    cpid: &str,
    duration_seconds: i64,
    out: &mut impl std::io::Write,
    out_name: &Path,
) -> Result<(), Error> {
    convert_stream(
        path,
        cpid,
        duration_seconds,
        out,
        out_name,
        Plan::Split(Split::for_this_machine()),
    )
    .map(|_| ())
}

/// Write a results JSON file.
pub fn write_results_json(path: &Path, content: &UploadRequest) -> Result<(), Error> {
    std::fs::write(path, results_json_bytes(content)).map_err(|source| Error::Io {
        action: "write the results",
        path: path.to_path_buf(),
        source,
    })
}

/// Read a results JSON file, checking it against the upload schema.
pub fn read_results_json(path: &Path) -> Result<UploadRequest, Error> {
    if path.as_os_str() != "-" && !path.is_file() {
        return Err(Error::Input {
            origin: path.display().to_string(),
            message: "File not valid: not a file".into(),
        });
    }
    let bytes = read_file(path, "read the results file")?;
    parse_results_json(&bytes, &path.display().to_string())
}

/// Parse the bytes of a results JSON (what `upload` sends and `report`
/// scores), checking them against the upload schema; `origin` names the
/// input in the error.
pub fn parse_results_json(bytes: &[u8], origin: &str) -> Result<UploadRequest, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Input {
        origin: origin.to_owned(),
        message: format!("not a RefStack results JSON: {e}"),
    })
}

/// Whether a file looks like JSON (first non-blank byte `{`) rather than a
/// subunit stream.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;
    use refstack_api_types::results::UploadedTest;
    use refstack_subunit::{Packet, PacketStatus};

    #[test]
    fn json_text_is_python_shaped() {
        let c = UploadRequest {
            cpid: "c".into(),
            duration_seconds: 3,
            results: vec![
                UploadedTest::with_uuid("a.b(x)", "u-1"),
                UploadedTest::new("é"),
            ],
        };
        assert_eq!(
            results_json_text(&c),
            "{\n    \"cpid\": \"c\",\n    \"duration_seconds\": 3,\n    \"results\": [\n        {\n            \"name\": \"a.b(x)\",\n            \"uuid\": \"u-1\"\n        },\n        {\n            \"name\": \"\\u00e9\"\n        }\n    ]\n}"
        );
    }

    #[test]
    fn fast_path_equals_payload_path() {
        let mut s = Vec::new();
        for (i, st) in [
            PacketStatus::Success,
            PacketStatus::Fail,
            PacketStatus::Success,
            PacketStatus::Skip,
        ]
        .into_iter()
        .enumerate()
        {
            let id =
                format!("t.A.test_{i}[id-{i}1111111-1111-4111-8111-111111111111,smoke](sc\"n)");
            Packet::new(PacketStatus::InProgress)
                .with_test_id(&id)
                .encode(&mut s)
                .unwrap();
            Packet::new(st)
                .with_test_id(&id)
                .with_route_code("0")
                .encode(&mut s)
                .unwrap();
        }
        Packet::new(PacketStatus::Success)
            .with_test_id("plain.é")
            .encode(&mut s)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.v2");
        std::fs::write(&f, &s).unwrap();
        let fast = results_json_from_stream_file(&f, "cp", 4).unwrap();
        let slow = results_json_bytes(&payload(&records_from_bytes(&s, false), "cp", 4));
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&slow)
        );
        assert!(String::from_utf8_lossy(&fast).contains("\"name\": \"plain.\\u00e9\""));
        let empty = dir.path().join("e");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(
            results_json_from_stream_file(&empty, "", 0).unwrap(),
            b"{\n    \"cpid\": \"\",\n    \"duration_seconds\": 0,\n    \"results\": []\n}"
        );
        std::fs::write(&empty, b"not a stream").unwrap();
        assert!(results_json_from_stream_file(&empty, "", 0).is_err());
    }

    #[test]
    fn parallel_split_equals_single_pass() {
        // > PARALLEL_THRESHOLD bytes: many tests with a large attachment each.
        let mut s = Vec::new();
        let blob = vec![b'x'; 60_000];
        for i in 0..300 {
            let id = format!("t.A.test_{i}[id-{i:08}-1111-4111-8111-111111111111]");
            Packet::new(PacketStatus::InProgress)
                .with_test_id(&id)
                .encode(&mut s)
                .unwrap();
            Packet::new(PacketStatus::Undefined)
                .with_test_id(&id)
                .with_file("pythonlogging:''", &blob)
                .encode(&mut s)
                .unwrap();
            let st = if i % 7 == 0 {
                PacketStatus::Fail
            } else {
                PacketStatus::Success
            };
            Packet::new(st).with_test_id(&id).encode(&mut s).unwrap();
        }
        assert!(s.len() as u64 > PARALLEL_THRESHOLD);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.v2");
        std::fs::write(&f, &s).unwrap();
        let file = std::fs::File::open(&f).unwrap();
        let len = s.len() as u64;
        let cut = boundary_after(&file, len / 2, len, Format::V2).unwrap();
        assert!(cut >= len / 2 && s[usize::try_from(cut).unwrap()] == 0xB3);
        let fast = results_json_from_stream_file(&f, "cp", 1).unwrap();
        let slow = results_json_bytes(&payload(&records_from_bytes(&s, false), "cp", 1));
        assert!(fast == slow, "parallel output differs");
        // Cut into parts of about PART_SIZE, more parts than threads, all kept.
        let split = Split {
            threads: 2,
            threshold: PARALLEL_THRESHOLD,
        };
        let mut doc = Vec::new();
        let parts =
            convert_stream(&f, "cp", 1, &mut doc, Path::new("-"), Plan::Split(split)).unwrap();
        assert!(doc == slow);
        assert_eq!(parts as u64, len / PART_SIZE);
    }

    /// The document of `path` cut at `cuts` (a `format` stream), and the
    /// number of parts parsed on their own and kept.
    fn with_cuts_parts(path: &Path, format: Format, cuts: Vec<u64>) -> (Vec<u8>, usize) {
        let mut doc = Vec::new();
        let parts = convert_stream(
            path,
            "cp",
            2,
            &mut doc,
            Path::new("-"),
            Plan::Cuts(format, cuts),
        )
        .unwrap();
        (doc, parts)
    }

    /// [`with_cuts_parts`]'s document.
    fn with_cuts(path: &Path, format: Format, cuts: Vec<u64>) -> Vec<u8> {
        with_cuts_parts(path, format, cuts).0
    }

    /// A v1 stream whose details hold fake directive lines, `test: `
    /// included, in a multipart chunk and in a bracketed block.
    fn tricky_v1() -> Vec<u8> {
        let mut w = refstack_subunit::V1Writer::new(Vec::new());
        let fake = "log line\ntest: fake.test\nsuccessful: fake.test\ntime: 2024-01-01 00:00:00Z\n";
        for i in 0..6 {
            let id = format!("t.A.test_{i}[id-{i}]");
            w.time(refstack_subunit::Timestamp::new(1_700_000_000 + i, 0))
                .unwrap();
            w.tags(&["worker-0"], &[]).unwrap();
            w.test(&id).unwrap();
            match i % 3 {
                0 => w
                    .outcome(
                        refstack_subunit::Outcome::Success,
                        &id,
                        Some(&[refstack_subunit::Detail {
                            name: "pythonlogging:''",
                            mime_type: "text/plain",
                            content: fake.as_bytes(),
                        }]),
                    )
                    .unwrap(),
                1 => w
                    .outcome_simple(refstack_subunit::Outcome::Failure, &id, fake)
                    .unwrap(),
                _ => w
                    .outcome(refstack_subunit::Outcome::Success, &id, None)
                    .unwrap(),
            }
            w.tags(&[], &["worker-0"]).unwrap();
        }
        // Noise, and a test left open at the end.
        let mut s = w.into_inner();
        s.extend_from_slice(b"stdout noise\ntest: t.A.open\n");
        s
    }

    /// A v2 stream whose attachment holds whole valid packets.
    fn tricky_v2() -> Vec<u8> {
        let mut inner = Vec::new();
        for st in [PacketStatus::InProgress, PacketStatus::Success] {
            Packet::new(st)
                .with_test_id("fake.test")
                .encode(&mut inner)
                .unwrap();
        }
        let mut s = Vec::new();
        for i in 0..5 {
            let id = format!("t.A.test_{i}[id-{i}]");
            Packet::new(PacketStatus::InProgress)
                .with_test_id(&id)
                .encode(&mut s)
                .unwrap();
            Packet::new(PacketStatus::Undefined)
                .with_test_id(&id)
                .with_file("log", &inner)
                .encode(&mut s)
                .unwrap();
            if i == 2 {
                // Noise with a signature byte inside a UTF-8 character, and
                // a lead byte right before the next packet's signature (a
                // packet the decoder keeps, whatever the cut).
                s.extend_from_slice(b"noise \xb3 \xc2\xb3 more noise \xc2");
            }
            Packet::new(PacketStatus::Success)
                .with_test_id(&id)
                .encode(&mut s)
                .unwrap();
        }
        s
    }

    #[test]
    fn every_cut_gives_the_single_pass_document() {
        let dir = tempfile::tempdir().unwrap();
        for (name, format, stream) in [
            ("v1", Format::V1, tricky_v1()),
            ("v2", Format::V2, tricky_v2()),
        ] {
            let f = dir.path().join(name);
            std::fs::write(&f, &stream).unwrap();
            let single = with_cuts(&f, format, Vec::new());
            let slow = results_json_bytes(&payload(&records_from_bytes(&stream, false), "cp", 2));
            assert_eq!(single, slow, "{name}");
            let len = stream.len() as u64;
            let mut accepted = 0;
            for cut in 1..len {
                assert_eq!(
                    with_cuts(&f, format, vec![cut]),
                    single,
                    "{name} cut at {cut}"
                );
                // Was it taken? (Fed up to the cut without EOF, at rest.)
                let mut feeder = Feeder::new(None, 0);
                let mut sink = PassedToJson::new(64);
                feeder
                    .feed(&mut &stream[..], Some(cut), false, &mut sink, |_| Ok(()))
                    .unwrap();
                accepted += u64::from(feeder.ends_at_boundary(cut, format));
            }
            // Some cuts are true boundaries (and kept), most are not.
            assert!(accepted >= 4 && accepted < len / 4, "{name}: {accepted}");
            // Three parts, every pair of cuts on a sparse grid.
            for a in (1..len).step_by(37) {
                for b in (a + 1..len).step_by(53) {
                    assert_eq!(with_cuts(&f, format, vec![a, b]), single, "{name} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn more_parts_than_threads_are_all_kept() {
        // Enough passed tests for several output pieces per part.
        let mut w = refstack_subunit::V1Writer::new(Vec::new());
        for i in 0..20_000 {
            let id = format!("tempest.api.compute.test_{i}.T.test_x[id-{i:08}-aaaa-bbbb,smoke]");
            w.test(&id).unwrap();
            w.outcome(refstack_subunit::Outcome::Success, &id, None)
                .unwrap();
        }
        let v1 = w.into_inner();
        let (v2, _) = crate::convert::to_v2(&v1);
        let dir = tempfile::tempdir().unwrap();
        for (name, format, stream) in [("v1", Format::V1, v1), ("v2", Format::V2, v2)] {
            let f = dir.path().join(name);
            std::fs::write(&f, &stream).unwrap();
            let slow = results_json_bytes(&payload(&records_from_bytes(&stream, false), "cp", 2));
            assert!(slow.len() > 8 * READ_SIZE);
            let len = stream.len() as u64;
            let file = std::fs::File::open(&f).unwrap();
            let cuts: Vec<u64> = (1..4)
                .filter_map(|i| boundary_after(&file, len * i / 4, len, format))
                .collect();
            assert_eq!(cuts.len(), 3, "{name}");
            // Every cut is a true boundary here: four parts on two
            // threads, all kept.
            let (doc, parts) = with_cuts_parts(&f, format, cuts);
            assert!(doc == slow, "{name}");
            assert_eq!(parts, 4, "{name}");
        }
    }

    #[test]
    fn fake_test_lines_at_the_guessed_cut_are_not_taken() {
        let stream = tricky_v1();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v1");
        std::fs::write(&f, &stream).unwrap();
        let single = with_cuts(&f, Format::V1, Vec::new());
        let text = String::from_utf8_lossy(&stream);
        let fakes: Vec<u64> = text
            .match_indices("\ntest: fake.test")
            .map(|(i, _)| i as u64 + 1)
            .collect();
        assert!(fakes.len() >= 4);
        let file = std::fs::File::open(&f).unwrap();
        for &fake in &fakes {
            // The guess lands on the fake line...
            let guess = boundary_after(&file, fake, stream.len() as u64, Format::V1);
            assert_eq!(guess, Some(fake));
            // ...which the first part's parser rejects, inside a detail.
            let mut feeder = Feeder::new(None, 0);
            let mut sink = PassedToJson::new(64);
            feeder
                .feed(&mut &stream[..], Some(fake), false, &mut sink, |_| Ok(()))
                .unwrap();
            assert!(!feeder.ends_at_boundary(fake, Format::V1));
            assert_eq!(with_cuts(&f, Format::V1, vec![fake]), single);
        }
        assert!(!String::from_utf8_lossy(&single).contains("fake"));
    }

    #[test]
    fn escapes_are_found_at_every_position() {
        for len in 0..70 {
            let clean = vec![b'a'; len];
            assert!(!needs_escape(&clean));
            for at in 0..len {
                for bad in [0u8, 0x1f, b'"', b'\\', 0x7f, 0x80, 0xff] {
                    let mut s = clean.clone();
                    s[at] = bad;
                    assert!(needs_escape(&s), "{len} {at} {bad}");
                }
                let mut s = clean.clone();
                s[at] = b'~';
                assert!(!needs_escape(&s));
            }
        }
    }

    #[test]
    fn push_test_id_follows_core_rules_on_generated_ids() {
        // Ids over an alphabet rich in the characters the rules look at.
        let alphabet = [
            "a", "id-", "[", "]", ",", "(", ")", ".", "-", "\"", "é", "\t", "xyz",
        ];
        let mut state = 0x2545_f491_u64;
        for _ in 0..5000 {
            let mut id = String::new();
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let len = (state >> 60) as usize + 2;
            for _ in 0..len {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                let pick = ((state >> 33) % alphabet.len() as u64) as usize;
                id.push_str(alphabet[pick]);
            }
            let parsed = TestId::parse(&id);
            let mut fast = ResultsJsonWriter::fragment(64);
            fast.push_test_id(&id);
            let mut slow = ResultsJsonWriter::fragment(64);
            slow.push(&parsed.upload_name(), parsed.uuid());
            assert_eq!(fast.into_fragment(), slow.into_fragment(), "{id}");
        }
    }

    #[test]
    fn push_test_id_follows_core_rules() {
        for id in [
            "t.A.test",
            "t.A.test[id-1,smoke]",
            "t.A.test[smoke,id-2,id-3](scn)",
            "t.A.test[",
            "t.A.test]x[",
            "t.A.test[a]b]c",
            "t.A.test[a[id-4]b",
            "t.A.test[,id-]",
            "t.A.test[id-5](x[y])z",
            "t.A.é[id-6]\"q\\",
            "l1[id-7]\nl2[x]",
            "t.A.test[id-8,x]tail\"",
            "t.A.test[x,id-9]\u{7f}",
            "t.A.long_name_over_thirty_two_bytes_of_text_here[id-10,smoke](\u{1}x)",
            "t.A.long_name_over_thirty_two_bytes_of_text_here[id-11,smoke](scenario)",
            "t.A.long_name_over_thirty_two_bytes[id-13]\"",
            "t.A.long_name_over_thirty_two_bytes[id-14]\"xxxxxxx",
            "t.A.name_sixteen_\"",
            "",
            "[]",
            "[id-12]",
        ] {
            let parsed = TestId::parse(id);
            let mut fast = ResultsJsonWriter::fragment(64);
            fast.push_test_id(id);
            let mut slow = ResultsJsonWriter::fragment(64);
            slow.push(&parsed.upload_name(), parsed.uuid());
            assert_eq!(fast.into_fragment(), slow.into_fragment(), "{id}");
        }
    }

    #[test]
    fn records_and_payload() {
        let mut s = Vec::new();
        for (id, st) in [
            (
                "t.A.ok[id-11111111-1111-4111-8111-111111111111,smoke]",
                PacketStatus::Success,
            ),
            ("t.A.bad[id-2]", PacketStatus::Fail),
            ("t.A.plain", PacketStatus::Success),
            ("t.A.sk", PacketStatus::Skip),
        ] {
            Packet::new(PacketStatus::InProgress)
                .with_test_id(id)
                .encode(&mut s)
                .unwrap();
            Packet::new(st).with_test_id(id).encode(&mut s).unwrap();
        }
        let recs = records_from_bytes(&s, false);
        assert_eq!(recs.len(), 4);
        let p = payload(&recs, "cp", 7);
        assert_eq!(
            p.results,
            vec![
                UploadedTest::with_uuid("t.A.ok", "11111111-1111-4111-8111-111111111111"),
                UploadedTest::new("t.A.plain")
            ]
        );
        assert!(looks_like_json(b"  {\"a\":1}"));
        assert!(!looks_like_json(&s));
    }
}
