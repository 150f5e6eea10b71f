//! The v2 packet parser and scanner on arbitrary bytes: no panic, every
//! byte accounted for, accepted packets re-encode to an equal packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refstack_subunit::{Item, Packets, parse_packet};

fuzz_target!(|data: &[u8]| {
    if let Ok((p, n)) = parse_packet(data) {
        assert!(n <= data.len());
        // Readers accept non-canonical varints; the writer's shortest forms
        // never make a packet longer.
        let mut out = Vec::new();
        let m = p.encode(&mut out).expect("a parsed packet encodes");
        assert!(m <= n);
    }
    let mut covered = 0usize;
    for item in Packets::new(data) {
        match item {
            Item::Packet(o, p) => {
                let mut out = Vec::new();
                let n = p.encode(&mut out).expect("a parsed packet encodes");
                let (q, m) = parse_packet(&out).expect("re-encoded packet parses");
                assert_eq!(p, q);
                assert_eq!(n, m);
                let (_, len) = parse_packet(&data[o as usize..]).expect("parses again");
                covered += len;
            }
            Item::Noise(_, b) => covered += b.len(),
            Item::Corrupt(..) => {}
        }
    }
    assert_eq!(covered, data.len());
});
