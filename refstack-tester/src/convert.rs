//! Stream conversions for `subunit …`: v1↔v2, filtering, JUnit XML.

use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt::Write as _;

use refstack_subunit::{
    Corruption, Detail, Format, Outcome, Packet, Sink, TestRecord, TestStatus, V1Writer,
    parse_slice,
};

/// Re-encodes every packet of a stream (v1 input is converted) as v2,
/// keeping those whose test id passes `keep` (packets without a test id
/// are kept when `keep_untested`). Non-subunit bytes are dropped.
struct V2Out<'k, F: Fn(&str) -> bool> {
    out: Vec<u8>,
    keep: &'k F,
    keep_untested: bool,
    corrupt: u64,
}

impl<F: Fn(&str) -> bool> Sink for V2Out<'_, F> {
    type Error = Infallible;
    fn packet(&mut self, _offset: u64, packet: &Packet<'_>) -> Result<(), Infallible> {
        let keep = match packet.test_id {
            Some(id) => (self.keep)(id),
            None => self.keep_untested,
        };
        if keep && packet.encode(&mut self.out).is_err() {
            self.corrupt += 1;
        }
        Ok(())
    }
    fn corrupt(&mut self, _: u64, _: &[u8], _: &Corruption) -> Result<(), Infallible> {
        self.corrupt += 1;
        Ok(())
    }
    fn format(&mut self, _: Format) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The stream as v2, with only the packets of tests `keep` accepts.
/// Returns the bytes and the number of corrupt candidates skipped.
pub fn to_v2_filtered(
    input: &[u8],
    keep: &impl Fn(&str) -> bool,
    keep_untested: bool,
) -> (Vec<u8>, u64) {
    let mut sink = V2Out {
        out: Vec::with_capacity(input.len()),
        keep,
        keep_untested,
        corrupt: 0,
    };
    match parse_slice(input, &mut sink) {
        Ok(()) => {}
        Err(never) => match never {},
    }
    (sink.out, sink.corrupt)
}

/// The stream as v2.
pub fn to_v2(input: &[u8]) -> (Vec<u8>, u64) {
    to_v2_filtered(input, &|_| true, true)
}

fn v1_outcome(status: TestStatus) -> Option<Outcome> {
    Some(match status {
        TestStatus::Success => Outcome::Success,
        TestStatus::Fail => Outcome::Failure,
        TestStatus::Skip => Outcome::Skip,
        TestStatus::ExpectedFail => Outcome::ExpectedFail,
        TestStatus::UnexpectedSuccess => Outcome::UnexpectedSuccess,
        TestStatus::Exists | TestStatus::InProgress => return None,
    })
}

/// Render records as a v1 text stream (python-subunit's `TestProtocolClient`
/// layout): `time:`, `tags:`, `test:`, `time:`, the outcome with its
/// attachments as multipart details. Tests still in progress get only
/// their `test:` line; `exists` records are not written (v1 has no such thing).
pub fn records_to_v1(records: &[TestRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 128);
    for r in records {
        record_to_v1(r, &mut out);
    }
    out
}

/// Appends one record to a v1 text stream (see [`records_to_v1`]).
pub fn record_to_v1(r: &TestRecord, out: &mut Vec<u8>) {
    if r.status == TestStatus::Exists {
        return;
    }
    // Writing into a Vec cannot fail.
    let _ = write_v1_record(&mut V1Writer::new(out), r);
}

fn write_v1_record<W: std::io::Write>(w: &mut V1Writer<W>, r: &TestRecord) -> std::io::Result<()> {
    if let Some(t) = r.first_timestamp {
        w.time(t)?;
    }
    if !r.tags.is_empty() {
        let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
        w.tags(&tags, &[])?;
    }
    w.test(&r.id)?;
    let Some(outcome) = v1_outcome(r.status) else {
        return Ok(());
    };
    if let Some(t) = r.last_timestamp {
        w.time(t)?;
    }
    if r.attachments.is_empty() {
        return w.outcome(outcome, &r.id, None);
    }
    let details: Vec<Detail<'_>> = r
        .attachments
        .iter()
        .map(|a| Detail {
            name: &a.name,
            mime_type: &a.mime_type,
            content: &a.content,
        })
        .collect();
    w.outcome(outcome, &r.id, Some(&details))
}

/// The ids of records whose id one of the regular expressions `matches`
/// finds (anywhere in the id, as Python's `re.search`; all when empty) and
/// whose status name is one of `statuses` (all when empty).
pub fn select_ids(
    records: &[TestRecord],
    matches: &[regex::Regex],
    statuses: &[String],
) -> HashSet<String> {
    records
        .iter()
        .filter(|r| matches.is_empty() || matches.iter().any(|m| m.is_match(&r.id)))
        .filter(|r| statuses.is_empty() || statuses.iter().any(|s| s == r.status.as_str()))
        .map(|r| r.id.clone())
        .collect()
}

/// Escape text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML document of the records: one `<testcase>` per test
/// (`classname` = the id up to the method, `name` = the method with its
/// attributes), `<failure>` with the traceback for failures, `<skipped>`
/// with the reason for skips.
pub fn records_to_junit(records: &[TestRecord], suite: &str) -> String {
    let mut counts = JunitCounts::default();
    let mut body = String::with_capacity(records.len() * 200);
    for r in records {
        counts.add(r);
        junit_testcase(r, &mut body);
    }
    let mut x = junit_head(suite, &counts);
    x.push_str(&body);
    x.push_str(JUNIT_TAIL);
    x
}

/// The figures of a JUnit `<testsuite>` element.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JunitCounts {
    /// Tests (`exists` records are not tests).
    pub tests: u64,
    /// Failed and unexpectedly successful.
    pub failures: u64,
    /// No final status.
    pub errors: u64,
    /// Skipped.
    pub skipped: u64,
    /// Sum of the tests' durations.
    pub time: std::time::Duration,
}

impl JunitCounts {
    /// Counts one record.
    pub fn add(&mut self, r: &TestRecord) {
        if r.status == TestStatus::Exists {
            return;
        }
        self.tests += 1;
        match r.status {
            TestStatus::Fail | TestStatus::UnexpectedSuccess => self.failures += 1,
            TestStatus::Skip => self.skipped += 1,
            TestStatus::InProgress => self.errors += 1,
            _ => {}
        }
        if let Some(d) = r.duration() {
            self.time += d;
        }
    }
}

/// Seconds with three decimals. From a `Duration`, never `-0.000` (the
/// sum of no `f64` is `-0.0`).
fn secs(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The XML declaration and the `<testsuite>` start tag.
pub fn junit_head(suite: &str, c: &JunitCounts) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">\n",
        xml_escape(suite),
        c.tests,
        c.failures,
        c.errors,
        c.skipped,
        secs(c.time)
    )
}

/// The end of a JUnit document.
pub const JUNIT_TAIL: &str = "</testsuite>\n";

/// Appends one `<testcase>` (nothing for an `exists` record):
/// `classname` = the id up to the method, `name` = the method with its
/// attributes, `<failure>` with the traceback for failures, `<skipped>`
/// with the reason for skips.
pub fn junit_testcase(r: &TestRecord, x: &mut String) {
    if r.status == TestStatus::Exists {
        return;
    }
    let base_end = r.id.find(['[', '(']).unwrap_or(r.id.len());
    let split = r.id[..base_end].rfind('.').unwrap_or(0);
    let (class, name) = if split > 0 {
        (&r.id[..split], &r.id[split + 1..])
    } else {
        ("", r.id.as_str())
    };
    let time = r.duration().map(secs).unwrap_or_else(|| "0.000".into());
    let _ = write!(
        x,
        "  <testcase classname=\"{}\" name=\"{}\" time=\"{time}\"",
        xml_escape(class),
        xml_escape(name)
    );
    let text = |n: &str| {
        r.attachment(n)
            .map(|a| xml_escape(&a.text()))
            .unwrap_or_default()
    };
    match r.status {
        TestStatus::Fail => {
            let _ = write!(
                x,
                ">\n    <failure message=\"test failed\">{}</failure>\n  </testcase>\n",
                text("traceback")
            );
        }
        TestStatus::UnexpectedSuccess => {
            x.push_str(
                ">\n    <failure message=\"unexpected success\"></failure>\n  </testcase>\n",
            );
        }
        TestStatus::Skip => {
            let _ = write!(
                x,
                ">\n    <skipped message=\"{}\"/>\n  </testcase>\n",
                text("reason")
            );
        }
        TestStatus::InProgress => {
            x.push_str(
                ">\n    <error message=\"no final status (test did not finish)\"/>\n  </testcase>\n",
            );
        }
        _ => x.push_str("/>\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use refstack_subunit::PacketStatus;

    fn stream() -> Vec<u8> {
        let mut s = Vec::new();
        for (id, st) in [
            ("a.B.ok[id-1]", PacketStatus::Success),
            ("a.B.bad", PacketStatus::Fail),
            ("a.C.sk", PacketStatus::Skip),
        ] {
            Packet::new(PacketStatus::InProgress)
                .with_test_id(id)
                .encode(&mut s)
                .unwrap();
            if st == PacketStatus::Fail {
                Packet::new(PacketStatus::Undefined)
                    .with_test_id(id)
                    .with_file("traceback", b"boom <x>")
                    .with_mime_type("text/plain")
                    .encode(&mut s)
                    .unwrap();
            }
            Packet::new(st).with_test_id(id).encode(&mut s).unwrap();
        }
        s
    }

    #[test]
    fn round_trip_v2_v1_v2() {
        let s = stream();
        let recs = crate::results::records_from_bytes(&s, true);
        let v1 = records_to_v1(&recs);
        let text = String::from_utf8_lossy(&v1);
        assert!(
            text.contains("test: a.B.bad\nfailure: a.B.bad [ multipart"),
            "{text}"
        );
        let back = crate::results::records_from_bytes(&v1, true);
        let st: Vec<(String, TestStatus)> = back.iter().map(|r| (r.id.clone(), r.status)).collect();
        assert_eq!(
            st,
            vec![
                ("a.B.ok[id-1]".to_string(), TestStatus::Success),
                ("a.B.bad".to_string(), TestStatus::Fail),
                ("a.C.sk".to_string(), TestStatus::Skip)
            ]
        );
        assert_eq!(
            back[1].attachment("traceback").map(|a| a.content.clone()),
            Some(b"boom <x>".to_vec())
        );
        let (v2, bad) = to_v2(&v1);
        assert_eq!(bad, 0);
        assert_eq!(crate::results::records_from_bytes(&v2, false).len(), 3);
    }

    #[test]
    fn filter_and_junit() {
        let s = stream();
        let recs = crate::results::records_from_bytes(&s, true);
        let ids = select_ids(&recs, &[], &["fail".to_string()]);
        let (out, _) = to_v2_filtered(&s, &|id| ids.contains(id), false);
        let kept = crate::results::records_from_bytes(&out, false);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, "a.B.bad");
        let x = records_to_junit(&recs, "s");
        assert!(
            x.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("<testcase classname=\"a.B\" name=\"ok[id-1]\""),
            "{x}"
        );
        assert!(x.contains("boom &lt;x&gt;"), "{x}");
        // No timestamps: zero, never `-0.000` (an empty f64 sum is -0.0).
        assert!(x.contains("skipped=\"1\" time=\"0.000\">"), "{x}");
        assert!(!x.contains("-0.000"), "{x}");
        let empty = records_to_junit(&[], "s");
        assert!(empty.contains("time=\"0.000\""), "{empty}");
    }
}
