//! Results on disk: reading subunit streams (v1 or v2, detected) into test
//! records, building the upload payload from them, and reading and writing
//! refstack-client's results JSON (`{"cpid", "duration_seconds", "results"}`,
//! 4-space indent, no trailing newline).

use std::path::Path;

use refstack_api_types::results::UploadRequest;
use refstack_core::payload::UploadPayload;
use refstack_subunit::{Fold, FoldOptions, Records, TestRecord, parse_slice};
use serde::Serialize;

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

/// Fold a whole stream held in memory into test records, in first-seen
/// order. With `keep_details` false, attachments and tags are not kept
/// (faster, enough for results and scoring).
pub fn records_from_bytes(bytes: &[u8], keep_details: bool) -> Vec<TestRecord> {
    let options = FoldOptions {
        attachments: keep_details,
        tags: keep_details,
    };
    let mut fold = Fold::with_options(Records::default(), options);
    match parse_slice(bytes, &mut fold) {
        Ok(()) => {}
        Err(never) => match never {},
    }
    fold.finish().0.into_vec()
}

/// Whether `bytes` look like a subunit stream at all: at least one test
/// record, or an empty input.
fn check_stream(records: &[TestRecord], bytes: &[u8], origin: &Path) -> Result<(), Error> {
    if records.is_empty() && !bytes.is_empty() {
        return Err(Error::Input {
            origin: origin.display().to_string(),
            message: "no subunit test events found (not a subunit v1/v2 stream, or corrupt)".into(),
        });
    }
    Ok(())
}

/// Read a subunit stream file (`-` for stdin) into test records.
pub fn read_stream_file(path: &Path) -> Result<Vec<TestRecord>, Error> {
    let bytes = read_file(path, "read the subunit stream")?;
    let records = records_from_bytes(&bytes, true);
    check_stream(&records, &bytes, path)?;
    Ok(records)
}

/// The upload payload of a run: only passed tests, `{name, uuid?}`, stream order.
pub fn payload(
    records: &[TestRecord],
    cpid: impl Into<String>,
    duration_seconds: i64,
) -> UploadRequest {
    UploadPayload::from_records(cpid, duration_seconds, records).into_wire()
}

/// Render a results JSON exactly as refstack-client writes it:
/// `json.dumps(content, indent=4, separators=(',', ': '))`, non-ASCII
/// escaped, no trailing newline.
pub fn results_json_text(content: &UploadRequest) -> String {
    let mut out = Vec::with_capacity(64 + content.results.len() * 160);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serialising plain strings and integers into a Vec cannot fail.
    if content.serialize(&mut ser).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&out);
    ascii_escape(&text)
}

/// Python's `ensure_ascii=True`: every non-ASCII character as `\uXXXX`
/// (UTF-16 surrogate pairs above the BMP).
fn ascii_escape(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Write a results JSON file.
pub fn write_results_json(path: &Path, content: &UploadRequest) -> Result<(), Error> {
    std::fs::write(path, results_json_text(content)).map_err(|source| Error::Io {
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
        assert!(check_stream(&[], b"garbage", Path::new("x")).is_err());
        assert!(looks_like_json(b"  {\"a\":1}"));
        assert!(!looks_like_json(&s));
    }
}
