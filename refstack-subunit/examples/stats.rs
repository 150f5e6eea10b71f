//! `cargo run --release -p refstack-subunit --example stats -- FILE...`
//!
//! Parses each file (v1 or v2, auto-detected) and prints one JSON object per
//! file on its own line:
//! `{"file":…, "format":"v1"|"v2", "bytes":N, "packets":N, "noise_bytes":N,
//! "corrupt":N, "tests":N, "status":{…}, "seconds":F}`.
//! Exit code 0 unless a file cannot be read.
//!
//! A large file is read by several threads ([`parse_file`]); each part
//! counts and folds on its own, and the parts are merged in order
//! ([`Fold::absorb`]).

use std::fs::File;
use std::process::ExitCode;
use std::time::Instant;

use refstack_subunit::{
    Corruption, Counts, Fold, FoldOptions, Format, Merge, NotMergeable, Packet, ParallelError,
    ParallelOptions, Sink, StatusCounts, parse_file,
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

const OPTIONS: FoldOptions = FoldOptions {
    attachments: false,
    tags: false,
};

impl Stats {
    /// The sink of the part of a stream starting at `offset`.
    fn part(offset: u64) -> Self {
        Self {
            counts: Counts::default(),
            fold: if offset == 0 {
                Fold::with_options(StatusCounts::default(), OPTIONS)
            } else {
                Fold::for_later_part(StatusCounts::default(), OPTIONS)
            },
            format: None,
        }
    }
}

/// The parts merged so far.
#[derive(Default)]
struct Merged(Option<Stats>);

impl Merge<Stats> for Merged {
    type Error = NotMergeable;
    fn part(&mut self, part: Stats) -> Result<(), NotMergeable> {
        let Some(all) = &mut self.0 else {
            self.0 = Some(part);
            return Ok(());
        };
        all.fold.absorb(part.fold)?;
        let (c, p) = (&mut all.counts, part.counts);
        c.packets += p.packets;
        c.noise_runs += p.noise_runs;
        c.noise_bytes += p.noise_bytes;
        c.corrupt += p.corrupt;
        all.format = all.format.or(part.format);
        Ok(())
    }
}

fn stats(path: &str) -> std::io::Result<String> {
    let start = Instant::now();
    let file = File::open(path)?;
    let mut merged = Merged::default();
    // v1 parts lack the `time:`/`tags:` context, which counts ignore.
    let options = ParallelOptions {
        cut_v1: true,
        ..ParallelOptions::default()
    };
    let report = match parse_file(&file, &options, Stats::part, &mut merged) {
        Ok(report) => report,
        // A test left open by one part was started again in the next:
        // fold the file in one pass.
        Err(ParallelError::Merge(NotMergeable)) => {
            merged = Merged::default();
            parse_file(
                &file,
                &ParallelOptions::sequential(),
                Stats::part,
                &mut merged,
            )
            .map_err(|e| std::io::Error::other(e.to_string()))?
        }
        Err(ParallelError::Io { offset, source }) => {
            return Err(std::io::Error::new(
                source.kind(),
                format!("at byte {offset}: {source}"),
            ));
        }
    };
    let bytes = report.bytes;
    let Some(sink) = merged.0 else {
        return Err(std::io::Error::other("no part parsed"));
    };
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
