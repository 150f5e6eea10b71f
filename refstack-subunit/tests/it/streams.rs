//! v2 streams: noise, UTF-8 boundaries, corruption and resynchronisation,
//! read-size independence, bounded memory.

use refstack_subunit::{
    Corruption, Counts, DecoderOptions, Event, Item, MAX_PACKET_LEN, Packet, PacketError,
    PacketStatus, Packets, Reader, noise_packet, parse_packet, parse_slice,
};

use crate::util::{encode, events, packets, test_packets};

fn three_tests() -> Vec<u8> {
    let mut all = Vec::new();
    all.extend(test_packets(
        "t.a",
        PacketStatus::Success,
        100,
        &["worker-0"],
        None,
    ));
    all.extend(test_packets(
        "t.b",
        PacketStatus::Fail,
        200,
        &["worker-1"],
        Some(b"Traceback\n  boom\n"),
    ));
    all.extend(test_packets("t.c", PacketStatus::Skip, 300, &[], None));
    encode(&all)
}

/// (offset, length) of every packet of a clean stream.
fn packet_spans(stream: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut pos = 0;
    while pos < stream.len() {
        let (_, n) = parse_packet(&stream[pos..]).expect("clean stream");
        spans.push((pos, n));
        pos += n;
    }
    spans
}

#[test]
fn noise_between_packets_is_reported_in_runs() {
    let clean = three_tests();
    let spans = packet_spans(&clean);
    let mut noisy = b"starting up\n".to_vec();
    noisy.extend_from_slice(&clean[..spans[2].0]);
    noisy.extend_from_slice("WARNING caf\u{e9} 12³-45 ½ ó\n".as_bytes());
    noisy.extend_from_slice(&clean[spans[2].0..]);
    noisy.extend_from_slice(b"bye");
    let ev = events(&noisy, 4096);
    assert_eq!(packets(&ev), packets(&events(&clean, 4096)));
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
            &b"starting up\n"[..],
            "WARNING caf\u{e9} 12³-45 ½ ó\n".as_bytes(),
            b"bye"
        ]
    );
    // "³-" (C2 B3 2D) looks like a v2 header but is inside a character.
    assert!(!ev.iter().any(|e| matches!(e, Event::Corrupt(..))));
    let p = noise_packet(b"x");
    assert_eq!(p.file.map(|f| f.name), Some("stdout"));
    assert_eq!(p.test_id, None);
}

#[test]
fn signature_at_a_character_boundary_is_a_candidate() {
    // A lone 0xB3 after ASCII is a candidate; it is rejected (bad header)
    // and becomes noise without hiding the packet after it.
    let clean = three_tests();
    let mut s = b"abc\xb3\x00def".to_vec();
    s.extend_from_slice(&clean);
    let ev = events(&s, 4096);
    assert!(matches!(
        &ev[0],
        Event::Corrupt(
            3,
            _,
            Corruption::Packet(PacketError::Version { version: 0 })
        )
    ));
    assert!(matches!(&ev[1], Event::Noise(0, b) if b == b"abc\xb3\x00def"));
    assert_eq!(packets(&ev), packets(&events(&clean, 4096)));
}

#[test]
fn every_single_bit_flip_loses_at_most_the_packet_it_hits() {
    let clean = three_tests();
    let spans = packet_spans(&clean);
    let all = packets(&events(&clean, 4096));
    for byte in 0..clean.len() {
        for bit in 0..8 {
            let mut s = clean.clone();
            s[byte] ^= 1 << bit;
            let ev = events(&s, 4096);
            let got = packets(&ev);
            let hit = spans
                .iter()
                .position(|&(o, n)| (o..o + n).contains(&byte))
                .expect("every byte is in a packet");
            let expected: Vec<_> = all
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != hit)
                .map(|(_, p)| p.clone())
                .collect();
            assert_eq!(got, expected, "flip of bit {bit} in byte {byte}");
            // The damaged packet's bytes come out as noise.
            let noise: usize = ev
                .iter()
                .map(|e| match e {
                    Event::Noise(_, b) => b.len(),
                    _ => 0,
                })
                .sum();
            assert_eq!(noise, spans[hit].1, "flip of bit {bit} in byte {byte}");
        }
    }
}

#[test]
fn corrupt_length_does_not_swallow_following_packets() {
    let clean = three_tests();
    let spans = packet_spans(&clean);
    let mut s = clean.clone();
    // First packet's length byte claims far more than it has.
    s[3] = 0x7F;
    let ev = events(&s, 4096);
    assert_eq!(packets(&ev).len(), spans.len() - 1);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Corrupt(0, _, Corruption::Packet(_))))
    );
}

#[test]
fn truncated_tail_is_reported_and_consumed() {
    let clean = three_tests();
    let cut = &clean[..clean.len() - 3];
    let mut counts = Counts::default();
    parse_slice(cut, &mut counts).unwrap_or_else(|e| match e {});
    let spans = packet_spans(&clean);
    let last = spans[spans.len() - 1];
    assert_eq!(counts.packets, spans.len() as u64 - 1);
    assert_eq!(counts.noise_bytes, (last.1 - 3) as u64);
    let ev = events(cut, 4096);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Corrupt(o, _, Corruption::Packet(PacketError::Truncated { needed: 3 }))
            if *o == last.0 as u64
    )));
}

#[test]
fn packets_after_a_lead_byte_do_not_depend_on_read_size() {
    let clean = three_tests();
    let mut big = Vec::new();
    Packet::new(PacketStatus::Undefined)
        .with_test_id("big")
        .with_file("log", &vec![b'x'; 100_000])
        .encode(&mut big)
        .expect("encodes");
    // A lead byte right before a packet: the packet is kept, and waited
    // for when it is not all read yet.
    let mut s = b"log \xc2".to_vec();
    s.extend_from_slice(&clean);
    // Two bytes of a three-byte character, then a packet too long to
    // start inside a character: text, however it is read.
    s.extend_from_slice(b"more \xe2\x82");
    s.extend_from_slice(&big);
    s.extend_from_slice(b"\n");
    s.extend_from_slice(&clean);
    // Packets with their offsets, and the noise byte count (long noise
    // runs are reported in pieces that do depend on the reads).
    let summary = |ev: &[Event]| {
        let noise: usize = ev
            .iter()
            .map(|e| match e {
                Event::Noise(_, b) => b.len(),
                _ => 0,
            })
            .sum();
        let packets: Vec<(u64, refstack_subunit::OwnedPacket)> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Packet(o, p) => Some((*o, p.clone())),
                _ => None,
            })
            .collect();
        (noise, packets)
    };
    let reference = events(&s, 1 << 20);
    for read_size in [1, 2, 5, 64, 4096, 65_536] {
        assert!(
            summary(&events(&s, read_size)) == summary(&reference),
            "read size {read_size}"
        );
    }
    let kept = packets(&reference);
    assert_eq!(kept.len(), 2 * packets(&events(&clean, 4096)).len());
    assert!(kept.iter().all(|p| p.test_id.as_deref() != Some("big")));
}

#[test]
fn events_do_not_depend_on_read_size() {
    let clean = three_tests();
    let mut s = "noise ³ ó\n".as_bytes().to_vec();
    s.extend_from_slice(&clean);
    s.extend_from_slice(b"\xb3\x29\x01\x7f junk");
    s.extend_from_slice(&clean);
    s[40] ^= 0x10;
    let reference = events(&s, 1 << 20);
    for read_size in [1, 2, 3, 7, 64, 4096] {
        assert_eq!(events(&s, read_size), reference, "read size {read_size}");
    }
    // The zero-copy iterator sees the same.
    let items: Vec<_> = Packets::new(&s).collect();
    assert_eq!(items.len(), reference.len());
    for (item, ev) in items.iter().zip(&reference) {
        match (item, ev) {
            (Item::Packet(a, p), Event::Packet(b, q)) => {
                assert_eq!(a, b);
                assert_eq!(&refstack_subunit::OwnedPacket::from(p), q);
            }
            (Item::Noise(a, x), Event::Noise(b, y)) => assert_eq!((a, *x), (b, &y[..])),
            (Item::Corrupt(a, x, e), Event::Corrupt(b, y, f)) => {
                assert_eq!((a, *x), (b, &y[..]));
                assert_eq!(&Corruption::Packet(e.clone()), f);
            }
            other => panic!("iterator and reader disagree: {other:?}"),
        }
    }
    // Every byte is in a packet or in noise.
    let covered: usize = reference
        .iter()
        .map(|e| match e {
            Event::Packet(o, p) => {
                let mut v = Vec::new();
                p.as_packet().encode(&mut v).expect("re-encodes");
                assert_eq!(&s[*o as usize..*o as usize + v.len()], &v[..]);
                v.len()
            }
            Event::Noise(_, b) => b.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(covered, s.len());
}

/// A reader that produces `len` bytes of a repeating pattern.
struct Pattern {
    pattern: Vec<u8>,
    left: usize,
    pos: usize,
}

impl std::io::Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left);
        for b in &mut buf[..n] {
            *b = self.pattern[self.pos % self.pattern.len()];
            self.pos += 1;
        }
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn memory_stays_bounded_by_the_packet_limit() {
    // 4 MiB of text noise.
    let mut r = Reader::with_options(
        Pattern {
            pattern: "log line ³ ó\n".as_bytes().to_vec(),
            left: 4 << 20,
            pos: 0,
        },
        DecoderOptions::default(),
        64 * 1024,
    );
    let mut counts = Counts::default();
    r.run(&mut counts).expect("runs");
    assert_eq!(counts.noise_bytes, 4 << 20);
    assert!(r.buffer_capacity() <= 256 * 1024, "{}", r.buffer_capacity());
    // Headers claiming the maximum length, over and over.
    let mut r = Reader::with_options(
        Pattern {
            pattern: b"\xb3\x20\x00\xbf\xff\xff".to_vec(),
            left: 1 << 20,
            pos: 0,
        },
        DecoderOptions::default(),
        64 * 1024,
    );
    let mut counts = Counts::default();
    r.run(&mut counts).expect("runs");
    assert_eq!(counts.packets, 0);
    assert!(counts.corrupt > 0);
    assert!(
        r.buffer_capacity() <= MAX_PACKET_LEN + 2 * 64 * 1024,
        "{}",
        r.buffer_capacity()
    );
}
