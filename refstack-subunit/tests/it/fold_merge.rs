//! Property test of `Fold::absorb`: folding a packet sequence in two parts
//! (the second with `Fold::for_later_part`) and absorbing the second into
//! the first gives the single fold's records (first-seen order, every
//! field), status counts and run summary, at any cut; or refuses
//! (`NotMergeable`) only when a test open at the cut is started again by
//! an `inprogress` packet after it.

use proptest::prelude::*;
use refstack_subunit::{
    Fold, FoldOptions, NotMergeable, OwnedPacket, PacketStatus, Records, RunSummary, TestRecord,
    Timestamp,
};

prop_compose! {
    /// Packets over few tests and routes, so lifecycles interleave, repeat
    /// and cross the cut.
    fn packet()(
        status in prop_oneof![
            3 => Just(PacketStatus::InProgress),
            3 => Just(PacketStatus::Undefined),
            2 => Just(PacketStatus::Success),
            1 => Just(PacketStatus::Fail),
            1 => Just(PacketStatus::Skip),
            1 => Just(PacketStatus::Exists),
            1 => Just(PacketStatus::ExpectedFail),
        ],
        id in proptest::option::weighted(0.95, 0u8..4),
        route in proptest::option::of(0u8..2),
        time in proptest::option::of(0u32..50),
        tags in proptest::option::of(proptest::collection::vec(0u8..3, 0..3)),
        file in proptest::option::of((0u8..2, proptest::collection::vec(any::<u8>(), 0..4))),
    ) -> OwnedPacket {
        OwnedPacket {
            status,
            runnable: true,
            eof: false,
            timestamp: time.map(|t| Timestamp::new(1_700_000_000 + t, 0)),
            test_id: id.map(|i| format!("t.C.test_{i}")),
            tags: tags.map(|t| t.iter().map(|x| format!("tag-{x}")).collect()),
            mime_type: file.as_ref().map(|_| "text/plain".to_string()),
            file: file.map(|(n, c)| (format!("file-{n}"), c)),
            route_code: route.map(|r| r.to_string()),
        }
    }
}

type Folded = (Vec<TestRecord>, RunSummary);

fn finish(fold: Fold<Records>) -> Folded {
    let (records, summary) = fold.finish();
    let records = records
        .into_vec()
        .into_iter()
        .map(|mut r| {
            // Only the order of the numbers matters (gaps are allowed).
            r.order = 0;
            r
        })
        .collect();
    (records, summary)
}

fn single(packets: &[OwnedPacket]) -> Folded {
    let mut fold = Fold::new(Records::default());
    for p in packets {
        fold.push(&p.as_packet());
    }
    finish(fold)
}

fn in_parts(packets: &[OwnedPacket], cuts: &[usize]) -> Result<Folded, NotMergeable> {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied());
    bounds.push(packets.len());
    let mut all: Option<Fold<Records>> = None;
    for w in bounds.windows(2) {
        let mut fold = if all.is_none() {
            Fold::new(Records::default())
        } else {
            Fold::for_later_part(Records::default(), FoldOptions::default())
        };
        for p in &packets[w[0]..w[1]] {
            fold.push(&p.as_packet());
        }
        match &mut all {
            None => all = Some(fold),
            Some(a) => a.absorb(fold)?,
        }
    }
    Ok(finish(all.unwrap_or_else(|| Fold::new(Records::default()))))
}

/// True if a test open at `cut` is started again by `inprogress` after it
/// (before it completes): the one case `absorb` may refuse.
fn restarted_across(packets: &[OwnedPacket], cut: usize) -> bool {
    let key = |p: &OwnedPacket| Some((p.test_id.clone()?, p.route_code.clone()));
    let mut open = std::collections::HashSet::new();
    for p in &packets[..cut] {
        if let Some(k) = key(p) {
            if matches!(p.status, PacketStatus::InProgress | PacketStatus::Undefined) {
                open.insert(k);
            } else {
                open.remove(&k);
            }
        }
    }
    // Any later inprogress packet of a key open at the cut may be refused
    // (the check is by key, and conservative).
    packets[cut..]
        .iter()
        .any(|p| p.status == PacketStatus::InProgress && key(p).is_some_and(|k| open.contains(&k)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn absorbing_parts_gives_the_single_fold(
        packets in proptest::collection::vec(packet(), 0..40),
        cut in 0usize..41,
        cut2 in 0usize..41,
    ) {
        let n = packets.len();
        let expected = single(&packets);
        let a = cut.min(n);
        match in_parts(&packets, &[a]) {
            Ok(got) => prop_assert_eq!(&got, &expected, "cut at {}", a),
            Err(NotMergeable) => prop_assert!(restarted_across(&packets, a), "refused at {}", a),
        }
        let (x, y) = (cut.min(cut2).min(n), cut.max(cut2).min(n));
        if let Ok(got) = in_parts(&packets, &[x, y]) {
            prop_assert_eq!(&got, &expected, "cuts at {} {}", x, y);
        }
    }
}
