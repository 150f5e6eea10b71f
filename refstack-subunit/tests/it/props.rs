//! Property tests: encode → parse round trips, and arbitrary bytes never
//! panic, hang or lose bytes.

use proptest::prelude::*;
use refstack_subunit::{
    Counts, Decoder, DecoderOptions, Format, OwnedPacket, PacketStatus, Reader, Timestamp,
    parse_packet, parse_slice,
};

use crate::util::events;

fn no_nul() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,40}"
}

fn status() -> impl Strategy<Value = PacketStatus> {
    (0u16..8).prop_map(PacketStatus::from_bits)
}

prop_compose! {
    fn packet()(
        status in status(),
        runnable in any::<bool>(),
        eof in any::<bool>(),
        timestamp in proptest::option::of((any::<u32>(), 0u32..(1 << 30))),
        test_id in proptest::option::of(no_nul()),
        tags in proptest::option::of(proptest::collection::vec(no_nul(), 0..4)),
        mime_type in proptest::option::of(no_nul()),
        file in proptest::option::of((no_nul(), proptest::collection::vec(any::<u8>(), 0..300))),
        route_code in proptest::option::of(no_nul()),
    ) -> OwnedPacket {
        OwnedPacket {
            status,
            runnable,
            eof,
            timestamp: timestamp.map(|(s, n)| Timestamp::new(s, n)),
            test_id,
            tags,
            mime_type,
            file,
            route_code,
        }
    }
}

fn run_all(bytes: &[u8], format: Option<Format>) -> Counts {
    let mut counts = Counts::default();
    let mut d = Decoder::with_options(DecoderOptions { format });
    let used = d
        .feed(bytes, true, &mut counts)
        .unwrap_or_else(|e| match e {});
    assert_eq!(used, bytes.len(), "everything is consumed at EOF");
    counts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encoded_packets_parse_back(p in packet()) {
        let mut out = Vec::new();
        let n = p.as_packet().encode(&mut out).expect("encodes");
        prop_assert_eq!(n, out.len());
        let (q, m) = parse_packet(&out).expect("parses");
        prop_assert_eq!(m, n);
        prop_assert_eq!(OwnedPacket::from(&q), p.clone());
        // Shortest length form.
        let len_bytes = usize::from(out[3] >> 6) + 1;
        let shortest = if n <= 63 { 1 } else if n <= 16_383 { 2 } else { 3 };
        prop_assert_eq!(len_bytes, shortest);
        // Every proper prefix is incomplete, never an error.
        for cut in [1, 2, 3, n / 2, n - 1] {
            if cut < n {
                let r = parse_packet(&out[..cut]);
                prop_assert!(matches!(r, Err(refstack_subunit::PacketError::Incomplete { .. })), "{:?}", r);
            }
        }
    }

    #[test]
    fn streams_with_text_noise_round_trip(
        ps in proptest::collection::vec(packet(), 1..8),
        noise in proptest::collection::vec("[a-z ³óé½\n]{0,30}", 8),
        read_size in 1usize..300,
    ) {
        let mut bytes = Vec::new();
        for (p, n) in ps.iter().zip(&noise) {
            bytes.extend_from_slice(n.as_bytes());
            p.as_packet().encode(&mut bytes).expect("encodes");
        }
        let ev = events(&bytes, read_size);
        let got = crate::util::packets(&ev);
        prop_assert_eq!(&got, &ps);
        let noise_len: usize = noise.iter().take(ps.len()).map(String::len).sum();
        let mut counts = Counts::default();
        parse_slice(&bytes, &mut counts).unwrap_or_else(|e| match e {});
        // Text noise that happens to start like a v1 stream is parsed as v1.
        if counts.corrupt == 0 && refstack_subunit::detect(&bytes, true) == Some(Format::V2) {
            prop_assert_eq!(counts.noise_bytes, noise_len as u64);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        for format in [None, Some(Format::V1), Some(Format::V2)] {
            let c = run_all(&bytes, format);
            if format == Some(Format::V2) {
                prop_assert!(c.noise_bytes <= bytes.len() as u64);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_with_signatures_never_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(vec![0xB3u8]),
                Just(vec![0xB3, 0x29, 0x01]),
                Just(b"test: x\n".to_vec()),
                Just(b"success: x [ multipart\n".to_vec()),
                Just(b"Content-Type: a/b\nn\n".to_vec()),
                Just(b"5\r\n".to_vec()),
                Just(b"]\n".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..20),
            ],
            0..40,
        ),
        read_size in 1usize..64,
    ) {
        let bytes: Vec<u8> = parts.concat();
        for format in [None, Some(Format::V1), Some(Format::V2)] {
            run_all(&bytes, format);
            let mut counts = Counts::default();
            Reader::with_options(&bytes[..], DecoderOptions { format }, read_size)
                .run(&mut counts)
                .expect("reads");
        }
    }
}
