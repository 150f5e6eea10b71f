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
    DEFAULT_READ_SIZE, DecoderOptions, Fold, FoldOptions, Format, Packet, PacketStatus, ReadError,
    Reader, Sink, TestRecord, TestStatus, detect, parse_packet, parse_slice,
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
}

/// Append `s` as a JSON string literal, Python `ensure_ascii` style.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_json_str_body(out, s);
    out.push(b'"');
}

/// Append the escaped contents of `s` (without the quotes); escaping
/// character by character, so pieces may be appended one after the other.
fn push_json_str_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // No early exit: this reduction vectorises.
    let escape = bytes.iter().fold(false, |acc, &b| {
        acc | !(0x20..=0x7e).contains(&b) | (b == b'"') | (b == b'\\')
    });
    if !escape {
        out.extend_from_slice(bytes);
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
        Self { out, entries: 0 }
    }

    /// A writer of entries only (no header), to be appended to a document
    /// with [`ResultsJsonWriter::append_fragment`].
    pub fn fragment(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
            entries: 0,
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
        if self.entries > 0 {
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
        // Multi-line ids (never seen from Tempest) take refstack-core's
        // general path; the single-line rules are restated on bytes below
        // so that no `String` is built per test.
        if memchr::memchr(b'\n', b).is_some() {
            let parsed = TestId::parse(id);
            self.push(&parsed.upload_name(), parsed.uuid());
            return;
        }
        let Some(open) = memchr::memchr(b'[', b) else {
            self.push(id, None);
            return;
        };
        // The first bracket block's attributes: up to the next `]` or `[`.
        let start = open + 1;
        let end = memchr::memchr2(b']', b'[', &b[start..]).map_or(b.len(), |i| start + i);
        let uuid = id[start..end]
            .split(',')
            .find_map(|a| a.strip_prefix("id-"));
        // `re.sub(r'\[.*\]', '', id)`: from the first `[` to the last `]`.
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
/// without building them, and without state across packets (so a v2
/// stream can be cut at any packet boundary).
struct PassedToJson {
    json: ResultsJsonWriter,
    test_packets: u64,
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

/// One part of a stream file turned into results entries.
struct Part {
    entries: Vec<u8>,
    count: u64,
    test_packets: u64,
    bytes: u64,
}

fn read_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action: "read the subunit stream",
        path: path.to_path_buf(),
        source,
    }
}

/// Parse `input` into results entries.
fn json_part(path: &Path, input: impl Read, format: Option<Format>) -> Result<Part, Error> {
    let mut sink = PassedToJson {
        json: ResultsJsonWriter::fragment(1 << 20),
        test_packets: 0,
    };
    let mut reader = Reader::with_options(input, DecoderOptions { format }, DEFAULT_READ_SIZE);
    match reader.run(&mut sink) {
        Ok(()) => {}
        Err(ReadError::Io(source)) => return Err(read_error(path, source)),
        Err(ReadError::Sink(never)) => match never {},
    }
    let count = sink.json.len();
    Ok(Part {
        entries: sink.json.into_fragment(),
        count,
        test_packets: sink.test_packets,
        bytes: reader.offset(),
    })
}

/// A packet boundary of a v2 file at or after `start`: the first signature
/// byte from there on (within 1 MiB) that starts three consecutive
/// CRC-valid packets.
fn packet_boundary_after(file: &mut std::fs::File, start: u64, len: u64) -> Option<u64> {
    use std::io::{Seek, SeekFrom};
    let window = (1u64 << 20).min(len - start);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::with_capacity(usize::try_from(window).ok()?);
    file.by_ref().take(window).read_to_end(&mut buf).ok()?;
    let mut pos = 0;
    while let Some(k) = memchr_b3(&buf[pos..]) {
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
            return Some(start + at as u64);
        }
        pos = at + 1;
    }
    None
}

fn memchr_b3(buf: &[u8]) -> Option<usize> {
    buf.iter()
        .position(|&b| b == refstack_subunit::v2::SIGNATURE)
}

/// A file opened at `offset`.
fn file_from(path: &Path, offset: u64) -> Result<std::fs::File, Error> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
    if offset > 0 {
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| read_error(path, e))?;
    }
    Ok(f)
}

/// Streams at least this large are parsed by several threads when they are v2.
const PARALLEL_THRESHOLD: u64 = 8 << 20;

/// Parse `path` (`-` for stdin) into results entries, in parts. A large
/// v2 file is cut at packet boundaries into one share per core, parsed in
/// parallel. Errors on unreadable input, and on a non-empty input without
/// any test packet.
fn stream_parts(path: &Path) -> Result<Vec<Part>, Error> {
    let parts = if path.as_os_str() == "-" {
        vec![json_part(path, std::io::stdin().lock(), None)?]
    } else {
        let mut file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
        let len = file.metadata().map_err(|e| read_error(path, e))?.len();
        let mut head = [0u8; 4096];
        let n = file.read(&mut head).map_err(|e| read_error(path, e))?;
        let is_v2 = len >= PARALLEL_THRESHOLD && detect(&head[..n], false) == Some(Format::V2);
        // Cut points at packet boundaries near k equal shares, one share per core.
        let mut cuts: Vec<u64> = Vec::new();
        if is_v2 {
            let k = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8) as u64;
            for i in 1..k {
                let Some(at) = packet_boundary_after(&mut file, len * i / k, len) else {
                    break;
                };
                if cuts.last().is_none_or(|&last| at > last) {
                    cuts.push(at);
                }
            }
        }
        if cuts.is_empty() {
            vec![json_part(path, file_from(path, 0)?, None)?]
        } else {
            let mut bounds = vec![0];
            bounds.extend(&cuts);
            bounds.push(len);
            std::thread::scope(|scope| {
                let handles: Vec<_> = bounds
                    .windows(2)
                    .enumerate()
                    .map(|(n, w)| {
                        let (from, to) = (w[0], w[1]);
                        scope.spawn(move || -> Result<Part, Error> {
                            let format = if n == 0 { None } else { Some(Format::V2) };
                            json_part(path, file_from(path, from)?.take(to - from), format)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::Input {
                                origin: path.display().to_string(),
                                message: "parser thread failed".into(),
                            })
                        })
                    })
                    .collect::<Result<Vec<Part>, Error>>()
            })?
        }
    };
    let tests: u64 = parts.iter().map(|p| p.test_packets).sum();
    let bytes: u64 = parts.iter().map(|p| p.bytes).sum();
    if tests == 0 && bytes > 0 {
        return Err(no_tests(path));
    }
    Ok(parts)
}

/// Write the document made of `parts` to `out`.
fn write_document(
    out: &mut impl std::io::Write,
    cpid: &str,
    duration_seconds: i64,
    parts: &[Part],
) -> std::io::Result<()> {
    out.write_all(&ResultsJsonWriter::new(cpid, duration_seconds, 128).out)?;
    let mut any = false;
    for p in parts.iter().filter(|p| p.count > 0) {
        if any {
            out.write_all(b",")?;
        }
        out.write_all(&p.entries)?;
        any = true;
    }
    out.write_all(if any { b"\n    ]\n}" } else { b"]\n}" })
}

/// The fast path of `subunit to-json`: stream `path` (`-` for stdin) into
/// a results JSON document, identical to [`results_json_bytes`] of
/// [`payload`] of the records. A large v2 file is cut at packet
/// boundaries into one share per core, parsed in parallel. Errors on
/// unreadable input, and on a non-empty input without any test packet.
pub fn results_json_from_stream_file(
    path: &Path,
    cpid: &str,
    duration_seconds: i64,
) -> Result<Vec<u8>, Error> {
    let parts = stream_parts(path)?;
    let mut doc =
        Vec::with_capacity(160 + parts.iter().map(|p| p.entries.len() + 1).sum::<usize>());
    match write_document(&mut doc, cpid, duration_seconds, &parts) {
        Ok(()) => Ok(doc),
        Err(source) => Err(Error::Io {
            action: "write the results",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// [`results_json_from_stream_file`] written straight to `out` (no copy
/// of the document is assembled in memory). `out_name` names the output
/// in write errors.
pub fn write_results_json_from_stream_file(
    path: &Path,
    cpid: &str,
    duration_seconds: i64,
    out: &mut impl std::io::Write,
    out_name: &Path,
) -> Result<(), Error> {
    let parts = stream_parts(path)?;
    write_document(out, cpid, duration_seconds, &parts)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            action: "write the results",
            path: out_name.to_path_buf(),
            source,
        })
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
    serde_json::from_slice(&bytes).map_err(|e| Error::Input {
        origin: path.display().to_string(),
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
        let mut file = std::fs::File::open(&f).unwrap();
        let len = s.len() as u64;
        let cut = packet_boundary_after(&mut file, len / 2, len).unwrap();
        assert!(cut >= len / 2 && s[usize::try_from(cut).unwrap()] == 0xB3);
        let fast = results_json_from_stream_file(&f, "cp", 1).unwrap();
        let slow = results_json_bytes(&payload(&records_from_bytes(&s, false), "cp", 1));
        assert!(fast == slow, "parallel output differs");
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
