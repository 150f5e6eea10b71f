//! StreamToDict semantics of the fold.

use refstack_subunit::{
    Fold, FoldOptions, Packet, PacketStatus, Records, StatusCounts, TestRecord, TestStatus,
    Timestamp, parse_slice,
};

use crate::util::encode;

fn fold(bytes: &[u8]) -> (Vec<TestRecord>, refstack_subunit::RunSummary) {
    let mut f = Fold::new(Records::default());
    parse_slice(bytes, &mut f).unwrap_or_else(|e| match e {});
    let (r, s) = f.finish();
    (r.into_vec(), s)
}

fn ts(s: u32) -> Timestamp {
    Timestamp::new(s, 0)
}

#[test]
fn stream_to_dict_semantics() {
    let s = encode(&[
        Packet::new(PacketStatus::Exists).with_test_id("a"),
        Packet::new(PacketStatus::InProgress)
            .with_test_id("a")
            .with_route_code("0")
            .with_timestamp(ts(10)),
        Packet::new(PacketStatus::InProgress)
            .with_test_id("b")
            .with_timestamp(ts(11))
            .with_tags(&["first"]),
        // Same id, other worker: another record.
        Packet::new(PacketStatus::InProgress)
            .with_test_id("a")
            .with_route_code("1")
            .with_timestamp(ts(12)),
        Packet::new(PacketStatus::Undefined)
            .with_test_id("b")
            .with_mime_type("text/plain")
            .with_file("log", b"one ")
            .with_timestamp(ts(13)),
        Packet::new(PacketStatus::Undefined)
            .with_test_id("b")
            .with_mime_type("ignored/second")
            .with_file("log", b"two")
            .with_eof(true),
        Packet::new(PacketStatus::Undefined).with_file("stdout", b"no test id: ignored"),
        Packet::new(PacketStatus::Fail)
            .with_test_id("b")
            .with_timestamp(ts(15))
            .with_tags(&["worker-1"]),
        Packet::new(PacketStatus::Success)
            .with_test_id("a")
            .with_route_code("1")
            .with_timestamp(ts(20)),
        // A rerun of b after it completed: a new record.
        Packet::new(PacketStatus::Success).with_test_id("b"),
        // Never finished.
        Packet::new(PacketStatus::InProgress)
            .with_test_id("c")
            .with_timestamp(ts(30)),
    ]);
    let (recs, summary) = fold(&s);
    let got: Vec<(&str, Option<&str>, TestStatus, u64)> = recs
        .iter()
        .map(|r| (r.id.as_str(), r.route_code.as_deref(), r.status, r.order))
        .collect();
    assert_eq!(
        got,
        [
            ("a", None, TestStatus::Exists, 0),
            ("a", Some("0"), TestStatus::InProgress, 1),
            ("b", None, TestStatus::Fail, 2),
            ("a", Some("1"), TestStatus::Success, 3),
            ("b", None, TestStatus::Success, 4),
            ("c", None, TestStatus::InProgress, 5),
        ]
    );
    let b = &recs[2];
    assert_eq!(b.tags, ["worker-1"]);
    assert_eq!(b.first_timestamp, Some(ts(11)));
    assert_eq!(b.last_timestamp, Some(ts(15)));
    assert_eq!(b.duration().map(|d| d.as_secs()), Some(4));
    let log = b.attachment("log").expect("log");
    assert_eq!(log.content, b"one two");
    assert_eq!(log.mime_type, "text/plain");
    // The rerun's final packet has no timestamp: last timestamp is None.
    assert_eq!(recs[4].first_timestamp, None);
    assert_eq!(recs[4].duration(), None);
    // Incomplete records lose their last timestamp, like StreamToDict.
    assert_eq!(recs[1].last_timestamp, None);
    assert_eq!(recs[1].first_timestamp, Some(ts(10)));
    assert_eq!(summary.records, 6);
    assert_eq!(summary.start, Some(ts(10)));
    assert_eq!(summary.stop, Some(ts(20)));
    assert_eq!(summary.wall_time().map(|d| d.as_secs()), Some(10));
    // b: 4 s, a/1: 8 s.
    assert_eq!(summary.total_test_time.as_secs(), 12);
}

#[test]
fn records_arrive_as_tests_complete() {
    let s = encode(&[
        Packet::new(PacketStatus::InProgress).with_test_id("slow"),
        Packet::new(PacketStatus::InProgress).with_test_id("fast"),
        Packet::new(PacketStatus::Success).with_test_id("fast"),
        Packet::new(PacketStatus::Skip).with_test_id("slow"),
    ]);
    let mut seen = Vec::new();
    let mut f = Fold::new(|r: TestRecord| seen.push((r.id, r.order)));
    parse_slice(&s, &mut f).unwrap_or_else(|e| match e {});
    let _ = f.finish();
    // Completion order, with the first-seen position to restore stream order.
    assert_eq!(seen, [("fast".to_string(), 1), ("slow".to_string(), 0)]);
}

#[test]
fn options_and_counts() {
    let s = encode(&[
        Packet::new(PacketStatus::Exists).with_test_id("x"),
        Packet::new(PacketStatus::Undefined)
            .with_test_id("y")
            .with_file("f", b"data"),
        Packet::new(PacketStatus::ExpectedFail)
            .with_test_id("y")
            .with_tags(&["t"]),
        Packet::new(PacketStatus::UnexpectedSuccess).with_test_id("z"),
    ]);
    let mut f = Fold::with_options(
        Records::default(),
        FoldOptions {
            attachments: false,
            tags: false,
        },
    );
    parse_slice(&s, &mut f).unwrap_or_else(|e| match e {});
    let recs = f.finish().0.into_vec();
    assert!(
        recs.iter()
            .all(|r| r.attachments.is_empty() && r.tags.is_empty())
    );
    let mut c = Fold::new(StatusCounts::default());
    parse_slice(&s, &mut c).unwrap_or_else(|e| match e {});
    let (counts, _) = c.finish();
    assert_eq!(counts.tests, 2);
    assert_eq!(counts.exists, 1);
    assert_eq!(counts.xfail, 1);
    assert_eq!(counts.uxsuccess, 1);
}
