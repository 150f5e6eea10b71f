//! Timing probe for `benches/compare/subunit_peers.sh`: runs one mode of
//! refstack-subunit over a file several times and prints one JSON line with
//! the best and median wall time.
//!
//! `subunit_probe MODE FILE REPS` with MODE one of `decode` (file in
//! memory, count packets, CRC checked), `fold` (decode + lifecycle into
//! records, i.e. StreamToDict), `reader` (decode from the open file
//! through `Reader`, file read included).

use std::time::Instant;

use refstack_subunit::{Counts, Fold, Reader, Records, parse_slice};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, file, reps] = &args[..] else {
        return Err("usage: subunit_probe decode|fold|reader FILE REPS".into());
    };
    let reps: usize = reps.parse()?;
    let data = std::fs::read(file)?;
    let mut times = Vec::with_capacity(reps);
    let mut items = 0u64;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        items = match mode.as_str() {
            "decode" => {
                let mut c = Counts::default();
                parse_slice(&data, &mut c).unwrap_or_else(|e| match e {});
                c.packets
            }
            "fold" => {
                let mut f = Fold::new(Records::default());
                parse_slice(&data, &mut f).unwrap_or_else(|e| match e {});
                f.finish().0.into_vec().len() as u64
            }
            "reader" => {
                let mut c = Counts::default();
                Reader::new(std::fs::File::open(file)?).run(&mut c)?;
                c.packets
            }
            other => return Err(format!("unknown mode {other}").into()),
        };
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"impl\":\"refstack-subunit\",\"mode\":\"{mode}\",\"file\":\"{file}\",\"bytes\":{},\"items\":{items},\"best\":{:.6},\"median\":{:.6}}}",
        data.len(),
        times[0],
        times[times.len() / 2]
    );
    Ok(())
}
