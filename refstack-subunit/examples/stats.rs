//! `cargo run --release -p refstack-subunit --example stats -- FILE...`
//!
//! Parses each file (v1 or v2, auto-detected) and prints one JSON object per
//! file on its own line:
//! `{"file":…, "format":"v1"|"v2", "bytes":N, "packets":N, "noise_bytes":N,
//! "corrupt":N, "tests":N, "status":{…}, "seconds":F}`.
//! Exit code 0 unless a file cannot be read.

use std::fs::File;
use std::process::ExitCode;
use std::time::Instant;

use refstack_subunit::{
    Corruption, Counts, Fold, FoldOptions, Format, Packet, ReadError, Reader, Sink, StatusCounts,
};

/// Counts packets, noise and corruption, and folds the lifecycle.
struct Stats {
    counts: Counts,
    fold: Fold<StatusCounts>,
    format: Option<Format>,
}

impl Sink for Stats {
    type Error = std::convert::Infallible;
    fn packet(&mut self, offset: u64, packet: &Packet<'_>) -> Result<(), Self::Error> {
        self.counts.packet(offset, packet)?;
        self.fold.push(packet);
        Ok(())
    }
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        self.counts.noise(offset, bytes)
    }
    fn corrupt(
        &mut self,
        offset: u64,
        bytes: &[u8],
        error: &Corruption,
    ) -> Result<(), Self::Error> {
        self.counts.corrupt(offset, bytes, error)
    }
    fn format(&mut self, format: Format) -> Result<(), Self::Error> {
        self.format = Some(format);
        Ok(())
    }
}

fn stats(path: &str) -> std::io::Result<String> {
    let start = Instant::now();
    let file = File::open(path)?;
    let mut sink = Stats {
        counts: Counts::default(),
        fold: Fold::with_options(
            StatusCounts::default(),
            FoldOptions {
                attachments: false,
                tags: false,
            },
        ),
        format: None,
    };
    let mut reader = Reader::new(file);
    match reader.run(&mut sink) {
        Ok(()) => {}
        Err(ReadError::Io(e)) => return Err(e),
        Err(ReadError::Sink(never)) => match never {},
    }
    let bytes = reader.offset();
    let (status, _) = sink.fold.finish();
    let seconds = start.elapsed().as_secs_f64();
    let c = sink.counts;
    Ok(format!(
        "{{\"file\":{}, \"format\":\"{}\", \"bytes\":{bytes}, \"packets\":{}, \"noise_bytes\":{}, \"corrupt\":{}, \"tests\":{}, \"status\":{{\"success\":{},\"fail\":{},\"skip\":{},\"xfail\":{},\"uxsuccess\":{},\"inprogress\":{}}}, \"seconds\":{seconds:.6}}}",
        json_string(path),
        sink.format.unwrap_or(Format::V2).as_str(),
        c.packets,
        c.noise_bytes,
        c.corrupt,
        status.tests,
        status.success,
        status.fail,
        status.skip,
        status.xfail,
        status.uxsuccess,
        status.inprogress,
    ))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for path in std::env::args().skip(1) {
        match stats(&path) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("stats: {path}: {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}
