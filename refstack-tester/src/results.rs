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
    Fold, FoldOptions, Merge, Packet, PacketStatus, ParallelError, ParallelOptions, ReadError,
    Reader, Sink, TestRecord, TestStatus, parse_slice,
};

use crate::error::Error;
use crate::stream::no_tests;

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

/// Read a subunit stream file (`-` for stdin) into test records, in the
/// order the tests finished. An input without any test is an error.
pub fn read_stream_file(path: &Path) -> Result<Vec<TestRecord>, Error> {
    let mut records = Vec::new();
    let bytes = fold_file(path, true, |r| records.push(r))?;
    if records.is_empty() {
        return Err(no_tests(path, bytes));
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
    if seen == 0 {
        return Err(no_tests(path, bytes));
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

/// Size of the output pieces written while parsing.
const READ_SIZE: usize = 256 * 1024;

fn read_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action: "read the subunit stream",
        path: path.to_path_buf(),
        source,
    }
}

/// How `to-json` reads a stream: in parallel parts when the file is large
/// enough; v1 files are cut too (the document uses neither `time:` nor
/// `tags:`).
fn json_options() -> ParallelOptions {
    ParallelOptions {
        cut_v1: true,
        ..ParallelOptions::default()
    }
}

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

/// Writes the parts' entries out in stream order, and hands their output
/// buffers back for reuse (fresh pages cost a fault each, and freeing them
/// a TLB flush on the other cores).
struct JsonMerge<'d, 'w, W: std::io::Write> {
    doc: &'d mut DocOut<'w, W>,
    test_packets: u64,
    spares: &'d std::sync::Mutex<Vec<Vec<u8>>>,
}

impl<W: std::io::Write> Merge<PassedToJson> for JsonMerge<'_, '_, W> {
    type Error = std::io::Error;
    fn progress(&mut self, part: &mut PassedToJson) -> std::io::Result<()> {
        if part.json.out.len() >= READ_SIZE {
            self.doc.emit(&mut part.json)?;
        }
        Ok(())
    }
    fn part(&mut self, mut part: PassedToJson) -> std::io::Result<()> {
        self.test_packets += part.test_packets;
        self.doc.emit(&mut part.json)?;
        self.spares
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(part.json.out);
        Ok(())
    }
}

/// Stream `path` (`-` for stdin) into a results JSON document written to
/// `out`, a large file parsed in parallel parts by
/// [`refstack_subunit::parse_file`] (every cut proved, so the document is
/// always a single pass's). Returns the number of parts.
fn convert_stream<W: std::io::Write>(
    path: &Path,
    cpid: &str,
    duration_seconds: i64,
    out: &mut W,
    out_name: &Path,
    options: &ParallelOptions,
) -> Result<usize, Error> {
    let mut doc = DocOut {
        out,
        header: ResultsJsonWriter::new(cpid, duration_seconds, 128).out,
        started: false,
        any: false,
    };
    let spares = std::sync::Mutex::new(Vec::new());
    let new_part = |_| {
        let mut sink = PassedToJson::new(0);
        if let Some(buf) = spares.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            sink.json.out = buf;
        }
        sink.json.out.clear();
        sink
    };
    let mut merge = JsonMerge {
        doc: &mut doc,
        test_packets: 0,
        spares: &spares,
    };
    let report = if path.as_os_str() == "-" {
        refstack_subunit::parse_reader(std::io::stdin().lock(), options, new_part, &mut merge)
    } else {
        let file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
        refstack_subunit::parse_file(&file, options, new_part, &mut merge)
    };
    let write_error = |source| Error::Io {
        action: "write the results",
        path: out_name.to_path_buf(),
        source,
    };
    let report = report.map_err(|e| match e {
        ParallelError::Io { offset, source } => read_error(
            path,
            std::io::Error::new(source.kind(), format!("at byte {offset}: {source}")),
        ),
        ParallelError::Merge(e) => write_error(e),
    })?;
    if merge.test_packets == 0 {
        return Err(no_tests(path, report.bytes));
    }
    doc.finish().map_err(write_error)?;
    Ok(report.parts)
}

/// The fast path of `subunit to-json`: stream `path` (`-` for stdin) into
/// a results JSON document, identical to [`results_json_bytes`] of
/// [`payload`] of the records. A large file is cut into parts parsed in
/// parallel (see `convert_stream`). Errors on unreadable input (with the
/// byte offset), and on a non-empty input without any test packet.
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
        &json_options(),
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
    convert_stream(path, cpid, duration_seconds, out, out_name, &json_options()).map(|_| ())
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
        // One rule for empty and non-empty input without a test: an error.
        let empty = dir.path().join("e");
        for bytes in [&b""[..], b"x", b"not a stream"] {
            std::fs::write(&empty, bytes).unwrap();
            let e = results_json_from_stream_file(&empty, "", 0).unwrap_err();
            assert!(
                e.to_string().contains("no subunit test events found"),
                "{e}"
            );
            assert!(payload_from_stream_file(&empty, "", 0).is_err());
            assert!(read_stream_file(&empty).is_err());
        }
    }

    #[test]
    fn parallel_parts_equal_single_pass() {
        // Many tests with a large attachment each.
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
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.v2");
        std::fs::write(&f, &s).unwrap();
        let slow = results_json_bytes(&payload(&records_from_bytes(&s, false), "cp", 1));
        let fast = results_json_from_stream_file(&f, "cp", 1).unwrap();
        assert!(fast == slow, "parallel output differs");
        // Parts of about 1 MiB, more parts than threads, all kept; and
        // the v1 form of the same stream.
        let v1 = crate::convert::records_to_v1(&records_from_bytes(&s, true));
        let f1 = dir.path().join("big.v1");
        std::fs::write(&f1, &v1).unwrap();
        for (f, len) in [(&f, s.len()), (&f1, v1.len())] {
            let options = ParallelOptions {
                threads: 2,
                min_file_size: 0,
                part_size: 1 << 20,
                ..json_options()
            };
            let mut doc = Vec::new();
            let parts = convert_stream(f, "cp", 1, &mut doc, Path::new("-"), &options).unwrap();
            assert!(doc == slow);
            assert_eq!(parts as u64, len as u64 >> 20, "{}", f.display());
        }
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
