//! The v1 text protocol: grammar, details, tags, time, lost connection,
//! and the writer.

use refstack_subunit::{
    Counts, Detail, Event, Fold, Format, Outcome, PacketStatus, Progress, Records, TestStatus,
    Timestamp, V1Writer, detect, parse_slice,
};

use crate::util::{events, packets};

fn records(bytes: &[u8]) -> Vec<refstack_subunit::TestRecord> {
    let mut fold = Fold::new(Records::default());
    parse_slice(bytes, &mut fold).unwrap_or_else(|e| match e {});
    fold.finish().0.into_vec()
}

const STREAM: &str = "\
time: 2024-01-01 00:00:00.000000Z
tags: worker-0
test: a.test_one
time: 2024-01-01 00:00:01.500000Z
successful: a.test_one [ multipart
Content-Type: text/plain;charset=utf8
pythonlogging:''
A\r
0123456789B\r
hello world0\r
]
tags: -worker-0
progress: 3
some stdout line
testing a.test_two
tags: local
failure: a.test_two [
Traceback (most recent call last):
 ] escaped bracket line
AssertionError
]
test: a.test_three
error: a.test_three
test: a.test_four
skip a.test_four [
no network
]
test: a.test_five
xfail: a.test_five
test: a.test_six
uxsuccess: a.test_six
test: a.test_seven
success: not.the.current.test
time: 2024-01-01 00:00:09Z
";

#[test]
fn grammar_and_lifecycle() {
    assert_eq!(detect(STREAM.as_bytes(), true), Some(Format::V1));
    let recs = records(STREAM.as_bytes());
    let status: Vec<(&str, TestStatus)> = recs.iter().map(|r| (r.id.as_str(), r.status)).collect();
    assert_eq!(
        status,
        [
            ("a.test_one", TestStatus::Success),
            ("a.test_two", TestStatus::Fail),
            ("a.test_three", TestStatus::Fail),
            ("a.test_four", TestStatus::Skip),
            ("a.test_five", TestStatus::ExpectedFail),
            ("a.test_six", TestStatus::UnexpectedSuccess),
            // Never finished: python-subunit reports a lost connection.
            ("a.test_seven", TestStatus::Fail),
        ]
    );
    let one = &recs[0];
    assert_eq!(one.tags, ["worker-0"]);
    assert_eq!(one.duration().map(|d| d.as_millis()), Some(1500));
    let log = one.attachment("pythonlogging:''").expect("attachment");
    // Hex chunk lengths: A = 10, B = 11.
    assert_eq!(log.content, b"0123456789hello world");
    assert_eq!(log.mime_type, "text/plain;charset=utf8");
    let two = &recs[1];
    // Test-local tags add to the (now empty) global set.
    assert_eq!(two.tags, ["local"]);
    let tb = two.attachment("traceback").expect("traceback");
    assert_eq!(
        tb.text(),
        "Traceback (most recent call last):\n] escaped bracket line\nAssertionError\n"
    );
    assert_eq!(
        recs[3].attachment("reason").map(|a| a.text().into_owned()),
        Some("no network\n".to_string())
    );
    let seven = &recs[6];
    assert!(seven.attachment("traceback").is_some_and(|a| {
        a.text()
            .contains("lost connection during test 'a.test_seven'")
    }));
    assert_eq!(
        seven.first_timestamp,
        Some(Timestamp::new(1_704_067_201, 500_000_000))
    );
}

#[test]
fn noise_progress_and_offsets() {
    let ev = events(STREAM.as_bytes(), 4096);
    let noise: Vec<&[u8]> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Noise(_, b) => Some(&b[..]),
            _ => None,
        })
        .collect();
    assert_eq!(
        noise,
        [
            &b"some stdout line\n"[..],
            b"success: not.the.current.test\n"
        ]
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Progress(_, Progress::Set(3))))
    );
    // The inprogress packet of test_one sits at the offset of its `test:` line.
    let off = STREAM.find("test: a.test_one").expect("present") as u64;
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Packet(o, p) if *o == off && p.status == PacketStatus::InProgress
    )));
}

#[test]
fn split_anywhere_gives_the_same_events() {
    let reference = events(STREAM.as_bytes(), 1 << 20);
    for read_size in [1, 2, 5, 13, 64] {
        assert_eq!(
            events(STREAM.as_bytes(), read_size),
            reference,
            "{read_size}"
        );
    }
}

#[test]
fn bad_values_are_reported_not_fatal() {
    let s = "test: x\ntime: yesterday\nprogress: lots\nsuccess: x [ multipart\nbogus\nContent-Type: text/plain\nn\nZZ\r\n]\n";
    let mut counts = Counts::default();
    parse_slice(s.as_bytes(), &mut counts).unwrap_or_else(|e| match e {});
    assert_eq!(counts.corrupt, 4);
    let recs = records(s.as_bytes());
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].status, TestStatus::Success);
}

#[test]
fn writer_round_trips() {
    let mut w = V1Writer::new(Vec::new());
    let t0 = Timestamp::new(1_700_000_000, 123_456_000);
    w.time(t0).expect("write");
    w.tags(&["worker-3"], &[]).expect("write");
    w.test("pkg.T.test_x[id-1,smoke]").expect("write");
    let big = vec![b'z'; 70_000];
    w.outcome(
        Outcome::Failure,
        "pkg.T.test_x[id-1,smoke]",
        Some(&[
            Detail {
                name: "traceback",
                mime_type: "text/x-traceback;charset=utf8",
                content: b"boom\n]\n",
            },
            Detail {
                name: "log",
                mime_type: "text/plain",
                content: &big,
            },
        ]),
    )
    .expect("write");
    w.tags(&[], &["worker-3"]).expect("write");
    w.test("pkg.T.test_y").expect("write");
    w.outcome_simple(Outcome::Skip, "pkg.T.test_y", "]not supported")
        .expect("write");
    w.test("pkg.T.test_z").expect("write");
    w.outcome(Outcome::Success, "pkg.T.test_z", None)
        .expect("write");
    w.progress(Progress::Cur(-2)).expect("write");
    let bytes = w.into_inner();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("zz1170\r\n"),
        "hex chunk length of 70000 - 65536 = 0x1170"
    );
    assert!(text.contains("time: 2023-11-14 22:13:20.123456Z\n"));
    let recs = records(&bytes);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].status, TestStatus::Fail);
    assert_eq!(recs[0].tags, ["worker-3"]);
    assert_eq!(recs[0].first_timestamp, Some(t0));
    assert_eq!(
        recs[0].attachment("traceback").map(|a| &a.content[..]),
        Some(&b"boom\n]\n"[..])
    );
    assert_eq!(
        recs[0].attachment("log").map(|a| a.content.len()),
        Some(70_000)
    );
    assert_eq!(recs[1].status, TestStatus::Skip);
    assert_eq!(
        recs[1].attachment("reason").map(|a| a.text().into_owned()),
        Some("]not supported\n".into())
    );
    assert_eq!(recs[2].status, TestStatus::Success);
    assert!(recs[2].tags.is_empty());
    // Two details with the traceback in one chunk: one packet + EOF each.
    let pk = packets(&events(&bytes, 4096));
    let tb: Vec<_> = pk
        .iter()
        .filter(|p| p.file.as_ref().is_some_and(|f| f.0 == "traceback"))
        .collect();
    assert_eq!(tb.len(), 1);
    assert!(tb[0].eof);
}
