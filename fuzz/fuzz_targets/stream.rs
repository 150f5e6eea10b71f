//! Format detection, both parsers and the lifecycle fold on arbitrary
//! bytes through the `Read` driver with a tiny buffer: no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refstack_subunit::{DecoderOptions, Fold, Reader, Records};

fuzz_target!(|data: &[u8]| {
    let mut fold = Fold::new(Records::default());
    Reader::with_options(data, DecoderOptions::default(), 7)
        .run(&mut fold)
        .expect("slices do not fail");
    let (records, _) = fold.finish();
    let records = records.into_vec();
    for (i, r) in records.iter().enumerate() {
        assert!(i == 0 || records[i - 1].order < r.order);
    }
});
