//! The v1 text parser on arbitrary bytes, whole and split at every read
//! size from the first byte: no panic, same events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refstack_subunit::{Collect, DecoderOptions, Format, Reader};

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
        sink.events
    };
    let whole = run(1 << 20);
    let split = run(usize::from(data.first().copied().unwrap_or(1)).max(1));
    assert_eq!(whole, split);
});
