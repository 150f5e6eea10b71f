//! Cut correctness: whatever the cuts, the merged parts' events are a
//! single pass's (moved here from the tester's `to-json` fast path).

use super::*;
use crate::{Collect, Detail, Event, Outcome, Packet, PacketStatus, Timestamp, V1Writer};

/// Concatenates the parts' events.
#[derive(Default)]
struct Concat {
    events: Vec<Event>,
    parts: usize,
}

impl Merge<Collect> for Concat {
    type Error = Infallible;
    fn progress(&mut self, part: &mut Collect) -> Result<(), Infallible> {
        self.events.extend(part.events.drain(..));
        Ok(())
    }
    fn part(&mut self, part: Collect) -> Result<(), Infallible> {
        self.events.extend(part.events);
        self.parts += 1;
        Ok(())
    }
}

/// Events compared as [`Decoder::at_boundary`] promises: adjacent noise
/// pieces joined; for v1, packets without the `time:`/`tags:` context.
fn normal(events: Vec<Event>, format: Format) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for e in events {
        match (out.last_mut(), e) {
            (Some(Event::Noise(at, bytes)), Event::Noise(next, more))
                if *at + bytes.len() as u64 == next =>
            {
                bytes.extend_from_slice(&more);
            }
            (_, Event::Packet(at, mut p)) if format == Format::V1 => {
                p.timestamp = None;
                p.tags = None;
                out.push(Event::Packet(at, p));
            }
            (_, e) => out.push(e),
        }
    }
    out
}

/// The events of `path` cut at `cuts` (none: one pass), and the parts kept.
fn with_cuts(path: &std::path::Path, format: Format, cuts: Vec<u64>) -> (Vec<Event>, usize) {
    let file = File::open(path).unwrap();
    let options = ParallelOptions {
        threads: 2,
        read_size: 4096,
        ..ParallelOptions::default()
    };
    let cuts = (!cuts.is_empty()).then_some(Cuts::Given(format, cuts));
    let mut merge = Concat::default();
    let report = parse_file_with(&file, &options, cuts, &|_| Collect::default(), &mut merge)
        .unwrap_or_else(|e| match e {
            ParallelError::Io { source, .. } => panic!("{source}"),
            ParallelError::Merge(never) => match never {},
        });
    assert_eq!(report.parts, merge.parts);
    assert_eq!(report.bytes, std::fs::metadata(path).unwrap().len());
    (normal(merge.events, format), report.parts)
}

/// A v1 stream whose details hold fake directive lines, `test: `
/// included, in a multipart chunk and in a bracketed block.
pub(crate) fn tricky_v1() -> Vec<u8> {
    let mut w = V1Writer::new(Vec::new());
    let fake = "log line\ntest: fake.test\nsuccessful: fake.test\ntime: 2024-01-01 00:00:00Z\n";
    for i in 0..6 {
        let id = format!("t.A.test_{i}[id-{i}]");
        w.time(Timestamp::new(1_700_000_000 + i, 0)).unwrap();
        w.tags(&["worker-0"], &[]).unwrap();
        w.test(&id).unwrap();
        match i % 3 {
            0 => w
                .outcome(
                    Outcome::Success,
                    &id,
                    Some(&[Detail {
                        name: "pythonlogging:''",
                        mime_type: "text/plain",
                        content: fake.as_bytes(),
                    }]),
                )
                .unwrap(),
            1 => w.outcome_simple(Outcome::Failure, &id, fake).unwrap(),
            _ => w.outcome(Outcome::Success, &id, None).unwrap(),
        }
        w.tags(&[], &["worker-0"]).unwrap();
    }
    // Noise, and a test left open at the end.
    let mut s = w.into_inner();
    s.extend_from_slice(b"stdout noise\ntest: t.A.open\n");
    s
}

/// A v2 stream whose attachment holds whole valid packets, with noise.
pub(crate) fn tricky_v2() -> Vec<u8> {
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
            // Noise with a signature byte inside a UTF-8 character, and a
            // lead byte right before the next packet's signature (a packet
            // the decoder keeps, whatever the cut).
            s.extend_from_slice(b"noise \xb3 \xc2\xb3 more noise \xc2");
        }
        Packet::new(PacketStatus::Success)
            .with_test_id(&id)
            .encode(&mut s)
            .unwrap();
    }
    s
}

/// Was `cut` taken? (The part before it fed up to it without EOF, at rest.)
fn proves(stream: &[u8], cut: u64, format: Format) -> bool {
    let mut feeder = Feeder::new(None, 0, 4096, Vec::new());
    let mut sink = Collect::default();
    let ok: Result<(), Stop<Infallible>> =
        feeder.feed(&mut &stream[..], Some(cut), false, &mut sink, |_| Ok(()));
    assert!(ok.is_ok());
    feeder.ends_at_boundary(cut, format)
}

#[test]
fn every_cut_gives_the_single_pass_events() {
    let dir = tempfile_dir();
    for (name, format, stream) in [
        ("v1", Format::V1, tricky_v1()),
        ("v2", Format::V2, tricky_v2()),
    ] {
        let f = dir.join(name);
        std::fs::write(&f, &stream).unwrap();
        let (single, parts) = with_cuts(&f, format, Vec::new());
        assert_eq!(parts, 1);
        let mut collect = Collect::default();
        crate::parse_slice(&stream, &mut collect).unwrap_or_else(|e| match e {});
        assert_eq!(single, normal(collect.events.into(), format), "{name}");
        let len = stream.len() as u64;
        let mut accepted = 0;
        for cut in 1..len {
            let (events, parts) = with_cuts(&f, format, vec![cut]);
            assert_eq!(events, single, "{name} cut at {cut}");
            let taken = proves(&stream, cut, format);
            assert_eq!(parts, 1 + usize::from(taken), "{name} cut at {cut}");
            accepted += u64::from(taken);
        }
        // Some cuts are true boundaries (and kept), most are not.
        assert!(accepted >= 4 && accepted < len / 4, "{name}: {accepted}");
        // Three parts, every pair of cuts on a sparse grid.
        for a in (1..len).step_by(37) {
            for b in (a + 1..len).step_by(53) {
                assert_eq!(
                    with_cuts(&f, format, vec![a, b]).0,
                    single,
                    "{name} {a} {b}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "refstack-subunit-parallel-{}-{}",
        std::process::id(),
        N.fetch_add(1, Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn more_parts_than_threads_are_all_kept() {
    let mut w = V1Writer::new(Vec::new());
    for i in 0..20_000 {
        let id = format!("tempest.api.compute.test_{i}.T.test_x[id-{i:08}-aaaa-bbbb,smoke]");
        w.test(&id).unwrap();
        w.outcome(Outcome::Success, &id, None).unwrap();
    }
    let v1 = w.into_inner();
    let mut v2 = Vec::new();
    let mut collect = Collect::default();
    crate::parse_slice(&v1, &mut collect).unwrap_or_else(|e| match e {});
    for e in &collect.events {
        if let Event::Packet(_, p) = e {
            p.as_packet().encode(&mut v2).unwrap();
        }
    }
    let dir = tempfile_dir();
    for (name, format, stream) in [("v1", Format::V1, v1), ("v2", Format::V2, v2)] {
        let f = dir.join(name);
        std::fs::write(&f, &stream).unwrap();
        let (single, _) = with_cuts(&f, format, Vec::new());
        let len = stream.len() as u64;
        let file = File::open(&f).unwrap();
        let cuts: Vec<u64> = (1..4)
            .filter_map(|i| boundary_after(&file, len * i / 4, len, format))
            .collect();
        assert_eq!(cuts.len(), 3, "{name}");
        // Every cut is a true boundary here: four parts on two threads,
        // all kept.
        let (events, parts) = with_cuts(&f, format, cuts);
        assert!(events == single, "{name}");
        assert_eq!(parts, 4, "{name}");
        // Guessed cuts: as many parts as the options allow.
        let options = ParallelOptions {
            threads: 2,
            min_file_size: 0,
            part_size: len / 6,
            cut_v1: true,
            ..ParallelOptions::default()
        };
        let mut merge = Concat::default();
        let report = parse_file(&file, &options, |_| Collect::default(), &mut merge)
            .unwrap_or_else(|e| match e {
                ParallelError::Io { source, .. } => panic!("{source}"),
                ParallelError::Merge(never) => match never {},
            });
        assert_eq!(report.parts, 6, "{name}");
        assert!(normal(merge.events, format) == single, "{name}");
        // v1 is not cut unless asked.
        let mut merge = Concat::default();
        let report = parse_file(
            &file,
            &ParallelOptions {
                cut_v1: false,
                ..options
            },
            |_| Collect::default(),
            &mut merge,
        )
        .unwrap_or_else(|e| match e {
            ParallelError::Io { source, .. } => panic!("{source}"),
            ParallelError::Merge(never) => match never {},
        });
        assert_eq!(report.parts, if format == Format::V1 { 1 } else { 6 });
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fake_test_lines_at_the_guessed_cut_are_not_taken() {
    let stream = tricky_v1();
    let dir = tempfile_dir();
    let f = dir.join("v1");
    std::fs::write(&f, &stream).unwrap();
    let (single, _) = with_cuts(&f, Format::V1, Vec::new());
    let text = String::from_utf8_lossy(&stream);
    let fakes: Vec<u64> = text
        .match_indices("\ntest: fake.test")
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert!(fakes.len() >= 4);
    let file = File::open(&f).unwrap();
    for &fake in &fakes {
        // The guess lands on the fake line...
        let guess = boundary_after(&file, fake, stream.len() as u64, Format::V1);
        assert_eq!(guess, Some(fake));
        // ...which the first part's parser rejects, inside a detail.
        assert!(!proves(&stream, fake, Format::V1));
        assert_eq!(with_cuts(&f, Format::V1, vec![fake]), (single.clone(), 1));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Interleaved tests over two workers (route codes), attachments in
/// several chunks, tags, a test without `inprogress`, a rerun, an
/// `exists` enumeration, noise, and a test left open at the end.
fn interleaved_v2() -> Vec<u8> {
    let mut s = Vec::new();
    let t = |n: u32| Timestamp::new(1_700_000_000 + n, 0);
    let mut clock = 0;
    let mut tick = || {
        clock += 1;
        t(clock)
    };
    let enc = |s: &mut Vec<u8>, p: Packet<'_>| p.encode(s).unwrap();
    enc(
        &mut s,
        Packet::new(PacketStatus::Exists).with_test_id("t.E.listed"),
    );
    for i in 0..12 {
        let a = format!("t.A.test_{i}");
        let b = format!("t.B.test_{i}");
        enc(
            &mut s,
            Packet::new(PacketStatus::InProgress)
                .with_test_id(&a)
                .with_route_code("0")
                .with_timestamp(tick()),
        );
        enc(
            &mut s,
            Packet::new(PacketStatus::InProgress)
                .with_test_id(&b)
                .with_route_code("1")
                .with_timestamp(tick()),
        );
        for chunk in ["Traceback: ", "line 1\n", "boom\n"] {
            enc(
                &mut s,
                Packet::new(PacketStatus::Undefined)
                    .with_test_id(&a)
                    .with_route_code("0")
                    .with_file("traceback", chunk.as_bytes())
                    .with_mime_type("text/x-traceback")
                    .with_timestamp(tick()),
            );
        }
        if i == 4 {
            s.extend_from_slice(b"some stdout noise\n");
        }
        enc(
            &mut s,
            Packet::new(PacketStatus::Undefined)
                .with_test_id(&b)
                .with_route_code("1")
                .with_tags(&["worker-1"])
                .with_timestamp(tick()),
        );
        let st = [
            PacketStatus::Success,
            PacketStatus::Fail,
            PacketStatus::Skip,
        ][i % 3];
        enc(
            &mut s,
            Packet::new(st)
                .with_test_id(&a)
                .with_route_code("0")
                .with_timestamp(tick()),
        );
        enc(
            &mut s,
            Packet::new(PacketStatus::ExpectedFail)
                .with_test_id(&b)
                .with_route_code("1")
                .with_timestamp(tick()),
        );
        // A test reported by its final status alone.
        enc(
            &mut s,
            Packet::new(PacketStatus::Success)
                .with_test_id(&format!("t.C.bare_{}", i % 5))
                .with_timestamp(tick()),
        );
    }
    enc(
        &mut s,
        Packet::new(PacketStatus::InProgress)
            .with_test_id("t.A.open")
            .with_timestamp(tick()),
    );
    s
}

/// The stream folded with `cuts` into first-seen records and counts.
fn fold_with_cuts(
    path: &std::path::Path,
    cuts: Vec<u64>,
) -> Result<
    (
        Vec<crate::TestRecord>,
        crate::StatusCounts,
        RunSummary,
        Counts,
    ),
    NotMergeable,
> {
    let file = File::open(path).unwrap();
    let options = ParallelOptions {
        threads: 2,
        read_size: 4096,
        ..ParallelOptions::default()
    };
    let fold_options = FoldOptions::default();
    let new_part = |offset: u64| FoldPart {
        counts: Counts::default(),
        fold: if offset == 0 {
            Fold::with_options(crate::Records::default(), fold_options)
        } else {
            Fold::for_later_part(crate::Records::default(), fold_options)
        },
    };
    let cuts = (!cuts.is_empty()).then_some(Cuts::Given(Format::V2, cuts));
    let mut merge = FoldMerge(None);
    match parse_file_with(&file, &options, cuts, &new_part, &mut merge) {
        Ok(_) => {}
        Err(ParallelError::Merge(e)) => return Err(e),
        Err(ParallelError::Io { source, .. }) => panic!("{source}"),
    }
    let part = merge.0.unwrap();
    let counts = part.counts;
    let (records, summary) = part.fold.finish();
    let records = records.into_vec();
    let mut status = crate::StatusCounts::default();
    for r in &records {
        status.record(r.clone());
    }
    Ok((records, status, summary, counts))
}

#[test]
fn folding_parts_gives_the_single_pass_records() {
    let stream = interleaved_v2();
    let dir = tempfile_dir();
    let f = dir.join("v2");
    std::fs::write(&f, &stream).unwrap();
    let single = fold_with_cuts(&f, Vec::new()).unwrap();
    assert_eq!(single.1.tests, 12 * 2 + 5 + 7 + 1, "{:?}", single.1);
    assert_eq!(single.1.exists, 1);
    assert_eq!(single.1.inprogress, 1);
    let orders = |recs: &[crate::TestRecord]| -> Vec<crate::TestRecord> {
        // Order numbers may have gaps; only their order matters.
        recs.iter()
            .cloned()
            .map(|mut r| {
                r.order = 0;
                r
            })
            .collect()
    };
    let len = stream.len() as u64;
    let mut merged = 0;
    for cut in 1..len {
        match fold_with_cuts(&f, vec![cut]) {
            Ok(parts) => {
                assert_eq!(orders(&parts.0), orders(&single.0), "cut at {cut}");
                assert_eq!(parts.1, single.1, "cut at {cut}");
                assert_eq!(parts.2, single.2, "cut at {cut}");
                assert_eq!(parts.3, single.3, "cut at {cut}");
                merged += 1;
            }
            Err(NotMergeable) => panic!("cut at {cut}: no test starts twice here"),
        }
    }
    assert!(merged > 0);
    for a in (1..len).step_by(29) {
        for b in (a + 1..len).step_by(41) {
            let parts = fold_with_cuts(&f, vec![a, b]).unwrap();
            assert_eq!(orders(&parts.0), orders(&single.0), "cuts {a} {b}");
            assert_eq!((parts.1, parts.2), (single.1, single.2), "cuts {a} {b}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_test_started_twice_across_a_cut_is_refused_then_folded_once() {
    let mut s = Vec::new();
    for st in [
        PacketStatus::InProgress,
        PacketStatus::InProgress,
        PacketStatus::Success,
    ] {
        Packet::new(st)
            .with_test_id("t.twice")
            .encode(&mut s)
            .unwrap();
    }
    let dir = tempfile_dir();
    let f = dir.join("v2");
    std::fs::write(&f, &s).unwrap();
    let one = Packet::new(PacketStatus::InProgress)
        .with_test_id("t.twice")
        .encode(&mut Vec::new())
        .unwrap() as u64;
    assert_eq!(fold_with_cuts(&f, vec![one]).err(), Some(NotMergeable));
    // fold_file falls back to one pass.
    let file = File::open(&f).unwrap();
    let options = ParallelOptions {
        threads: 2,
        min_file_size: 0,
        part_size: one,
        ..ParallelOptions::default()
    };
    let folded = fold_file(
        &file,
        &options,
        FoldOptions::default(),
        crate::StatusCounts::default,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((folded.records.tests, folded.records.success), (1, 1));
    let _ = std::fs::remove_dir_all(&dir);
}
