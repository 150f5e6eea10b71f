//! The v1 text parser on arbitrary bytes, whole and split at every read
//! size from the first byte: no panic, same events (a noise run may arrive
//! in adjacent pieces at buffer boundaries, so adjacent pieces are joined
//! before comparing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use refstack_subunit::{Collect, DecoderOptions, Event, Format, Reader};

fuzz_target!(|data: &[u8]| {
    let run = |read_size: usize| {
        let mut sink = Collect::default();
        Reader::with_options(
            data,
            DecoderOptions {
                format: Some(Format::V1),
            },
            read_size,
        )
        .run(&mut sink)
        .expect("slices do not fail");
        join_noise(sink.events)
    };
    let whole = run(1 << 20);
    let split = run(usize::from(data.first().copied().unwrap_or(1)).max(1));
    assert_eq!(whole, split);
});

/// Joins noise pieces that continue one another (offset = previous end).
fn join_noise(events: impl IntoIterator<Item = Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for e in events {
        if let (Some(Event::Noise(o, prev)), Event::Noise(n, bytes)) = (out.last_mut(), &e) {
            if *o + prev.len() as u64 == *n {
                prev.extend_from_slice(bytes);
                continue;
            }
        }
        out.push(e);
    }
    out
}
