//! `cargo run --release -p refstack-subunit --example stats -- FILE...`
//!
//! Parses each file (v1 or v2, auto-detected) and prints one JSON object per
//! file on its own line:
//! `{"file":…, "format":"v1"|"v2", "bytes":N, "packets":N, "noise_bytes":N,
//! "corrupt":N, "tests":N, "status":{…}, "parts":N, "seconds":F}`.
//! Exit code 0 unless a file cannot be read.
//!
//! A file of 2 MiB or more is read by several threads (`fold_file`):
//! each part of about 512 KiB counts and folds on its own, and the parts
//! are merged in order (`Fold::absorb`).

use std::fs::File;
use std::process::ExitCode;
use std::time::Instant;

use refstack_subunit::{FoldOptions, Format, ParallelOptions, StatusCounts, fold_file};

fn stats(path: &str, options: &ParallelOptions) -> std::io::Result<String> {
    let start = Instant::now();
    let file = File::open(path)?;
    let fold_options = FoldOptions {
        attachments: false,
        tags: false,
    };
    let folded = fold_file(&file, options, fold_options, StatusCounts::default)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let seconds = start.elapsed().as_secs_f64();
    let (c, status) = (folded.counts, folded.records);
    Ok(format!(
        "{{\"file\":{}, \"format\":\"{}\", \"bytes\":{}, \"packets\":{}, \"noise_bytes\":{}, \"corrupt\":{}, \"tests\":{}, \"status\":{{\"success\":{},\"fail\":{},\"skip\":{},\"xfail\":{},\"uxsuccess\":{},\"inprogress\":{}}}, \"parts\":{}, \"seconds\":{seconds:.6}}}",
        json_string(path),
        folded.report.format.unwrap_or(Format::V2).as_str(),
        folded.report.bytes,
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
        folded.report.parts,
    ))
}

/// `REFSTACK_SUBUNIT_THREADS`, `REFSTACK_SUBUNIT_PART_KIB` and
/// `REFSTACK_SUBUNIT_MIN_KIB` override the defaults (for measurements).
fn options() -> ParallelOptions {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let mut o = ParallelOptions {
        // Counts and statuses need neither `time:` nor `tags:`.
        cut_v1: true,
        // Files of a few MiB are worth two threads here; parts of 512 KiB
        // measured best on the 5.3 MB real stestr stream (BENCHMARKS.md).
        min_file_size: 2 << 20,
        part_size: 512 << 10,
        ..ParallelOptions::default()
    };
    if let Some(t) = var("REFSTACK_SUBUNIT_THREADS") {
        o.threads = usize::try_from(t).unwrap_or(1).max(1);
    }
    if let Some(k) = var("REFSTACK_SUBUNIT_PART_KIB") {
        o.part_size = k << 10;
    }
    if let Some(k) = var("REFSTACK_SUBUNIT_MIN_KIB") {
        o.min_file_size = k << 10;
    }
    o
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
    let options = options();
    for path in std::env::args().skip(1) {
        match stats(&path, &options) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("stats: {path}: {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}
