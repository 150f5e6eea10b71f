//! Reading subunit stream files for the `subunit …` and `report`
//! subcommands, in bounded memory, through `refstack_subunit`'s
//! parallel API: a large regular file in parallel parts where the result
//! does not depend on how it is cut (counts, first-seen records, re-encoded
//! v2 packets), one pass otherwise (records rendered in completion order);
//! standard input (`-`) and other non-regular files in one pass.
//!
//! One rule for every command: an input without any test event (a packet
//! with a test id), empty or not, is an error ([`no_tests`]).

use std::convert::Infallible;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use refstack_subunit::{
    Corruption, Counts, Fold, FoldOptions, FoldPart, Folded, Merge, MergeRecords, Packet,
    ParallelError, ParallelOptions, ParseReport, RecordSink, Sink, TestRecord, parse_file,
    parse_reader,
};

use crate::error::Error;

/// Output pieces are written once they reach this size.
const PIECE: usize = 256 * 1024;

/// The error for an input without any test event: an empty input says so.
pub fn no_tests(path: &Path, bytes: u64) -> Error {
    Error::Input {
        origin: path.display().to_string(),
        message: if bytes == 0 {
            "no subunit test events found (the input is empty)".into()
        } else {
            "no subunit test events found (not a subunit v1/v2 stream, or corrupt)".into()
        },
    }
}

fn read_error(path: &Path, e: ParallelError<Infallible>) -> Error {
    match e {
        ParallelError::Io { offset, source } => io_read_error(path, offset, source),
        ParallelError::Merge(never) => match never {},
    }
}

fn io_read_error(path: &Path, offset: u64, source: std::io::Error) -> Error {
    Error::Io {
        action: "read the subunit stream",
        path: path.to_path_buf(),
        source: std::io::Error::new(source.kind(), format!("at byte {offset}: {source}")),
    }
}

fn write_error(out_name: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action: "write",
        path: out_name.to_path_buf(),
        source,
    }
}

/// An input: a regular file (cut into parts when large), or a pipe,
/// device or standard input (one pass).
enum Input {
    File(File),
    Stream(Box<dyn std::io::Read>),
}

fn open(path: &Path) -> Result<Input, Error> {
    if path.as_os_str() == "-" {
        return Ok(Input::Stream(Box::new(std::io::stdin().lock())));
    }
    let file = File::open(path).map_err(|source| Error::Io {
        action: "read the subunit stream",
        path: path.to_path_buf(),
        source,
    })?;
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    Ok(if regular {
        Input::File(file)
    } else {
        Input::Stream(Box::new(file))
    })
}

/// Options for results that do not depend on `time:`/`tags:` context.
fn context_free() -> ParallelOptions {
    ParallelOptions {
        cut_v1: true,
        ..ParallelOptions::default()
    }
}

/// Folds the stream at `path` into `new_sink`'s records (first-seen order
/// for [`refstack_subunit::Records`]), a large file in parallel parts.
/// `timed`: the caller looks at timestamps or tags, so a v1 file (whose
/// parts would start without the `time:`/`tags:` context) is read in one
/// pass. Errors on an input without any test event.
pub fn fold<R, F>(
    path: &Path,
    fold_options: FoldOptions,
    timed: bool,
    new_sink: F,
) -> Result<Folded<R>, Error>
where
    R: MergeRecords + Send,
    F: Fn() -> R + Sync,
{
    let options = if timed || fold_options.tags {
        ParallelOptions::default()
    } else {
        context_free()
    };
    let folded = match open(path)? {
        Input::File(file) => refstack_subunit::fold_file(&file, &options, fold_options, new_sink),
        Input::Stream(reader) => {
            refstack_subunit::fold_reader(reader, &options, fold_options, new_sink())
        }
    }
    .map_err(|e| read_error(path, e))?;
    if folded.summary.records == 0 {
        return Err(no_tests(path, folded.report.bytes));
    }
    Ok(folded)
}

/// Renders each record as it completes into a buffer that is written out
/// piece by piece.
struct Render<F> {
    buf: Vec<u8>,
    render: F,
}

impl<F: FnMut(&TestRecord, &mut Vec<u8>)> RecordSink for Render<F> {
    fn record(&mut self, record: TestRecord) {
        (self.render)(&record, &mut self.buf);
    }
}

/// Writes the rendered pieces out.
struct RenderOut<'w, W> {
    out: &'w mut W,
    records: u64,
}

impl<W: Write, F: FnMut(&TestRecord, &mut Vec<u8>)> Merge<FoldPart<Render<F>>>
    for RenderOut<'_, W>
{
    type Error = std::io::Error;
    fn progress(&mut self, part: &mut FoldPart<Render<F>>) -> std::io::Result<()> {
        let buf = &mut part.fold.sink_mut().buf;
        if buf.len() >= PIECE {
            self.out.write_all(buf)?;
            buf.clear();
        }
        Ok(())
    }
    fn part(&mut self, part: FoldPart<Render<F>>) -> std::io::Result<()> {
        let (render, summary) = part.fold.finish();
        self.records = summary.records;
        self.out.write_all(&render.buf)
    }
}

/// Folds the stream at `path` in one pass and renders each record with
/// `render` as it completes (completion order, still-open tests last),
/// writing the output to `out` in pieces. Returns the number of records.
/// Errors on an input without any test event (nothing is written then).
pub fn render_records<W: Write, F>(
    path: &Path,
    fold_options: FoldOptions,
    out: &mut W,
    out_name: &Path,
    render: F,
) -> Result<u64, Error>
where
    F: FnMut(&TestRecord, &mut Vec<u8>) + Clone,
{
    let options = ParallelOptions::sequential();
    let new_part = |_| FoldPart {
        counts: Counts::default(),
        fold: Fold::with_options(
            Render {
                buf: Vec::new(),
                render: render.clone(),
            },
            fold_options,
        ),
    };
    let mut merge = RenderOut { out, records: 0 };
    // One pass in completion order, whatever the input.
    let report = match open(path)? {
        Input::File(file) => parse_reader(file, &options, new_part, &mut merge),
        Input::Stream(reader) => parse_reader(reader, &options, new_part, &mut merge),
    };
    finish(path, out_name, report, merge.records)?;
    merge.out.flush().map_err(|e| write_error(out_name, e))?;
    Ok(merge.records)
}

/// Checks a parse's outcome and the empty-input rule.
fn finish(
    path: &Path,
    out_name: &Path,
    report: Result<ParseReport, ParallelError<std::io::Error>>,
    tests: u64,
) -> Result<ParseReport, Error> {
    let report = report.map_err(|e| match e {
        ParallelError::Io { offset, source } => io_read_error(path, offset, source),
        ParallelError::Merge(e) => write_error(out_name, e),
    })?;
    if tests == 0 {
        return Err(no_tests(path, report.bytes));
    }
    Ok(report)
}

/// Re-encodes every packet as v2, keeping those whose test id `keep`
/// accepts (packets without a test id when `keep_untested`).
struct V2Out<'k, K> {
    out: Vec<u8>,
    keep: &'k K,
    keep_untested: bool,
    corrupt: u64,
    tests: u64,
}

impl<K: Fn(&str) -> bool> Sink for V2Out<'_, K> {
    type Error = Infallible;
    fn packet(&mut self, _offset: u64, packet: &Packet<'_>) -> Result<(), Infallible> {
        let keep = match packet.test_id {
            Some(id) => {
                self.tests += 1;
                (self.keep)(id)
            }
            None => self.keep_untested,
        };
        if keep && packet.encode(&mut self.out).is_err() {
            self.corrupt += 1;
        }
        Ok(())
    }
    fn corrupt(&mut self, _: u64, _: &[u8], _: &Corruption) -> Result<(), Infallible> {
        self.corrupt += 1;
        Ok(())
    }
}

/// Writes the parts' packets out in order.
struct V2Merge<'w, W> {
    out: &'w mut W,
    corrupt: u64,
    tests: u64,
}

impl<W: Write, K: Fn(&str) -> bool> Merge<V2Out<'_, K>> for V2Merge<'_, W> {
    type Error = std::io::Error;
    fn progress(&mut self, part: &mut V2Out<'_, K>) -> std::io::Result<()> {
        if part.out.len() >= PIECE {
            self.out.write_all(&part.out)?;
            part.out.clear();
        }
        Ok(())
    }
    fn part(&mut self, part: V2Out<'_, K>) -> std::io::Result<()> {
        self.corrupt += part.corrupt;
        self.tests += part.tests;
        self.out.write_all(&part.out)
    }
}

/// Writes the stream at `path` to `out` as v2, keeping the packets of the
/// tests `keep` accepts (and those without a test id when
/// `keep_untested`); noise is dropped. A large v2 file is re-encoded in
/// parallel parts (the packets, and so the output, are a single pass's).
/// Returns the number of corrupt candidates skipped. Errors on an input
/// without any test event.
pub fn write_v2<W: Write, K: Fn(&str) -> bool + Sync>(
    path: &Path,
    keep: &K,
    keep_untested: bool,
    out: &mut W,
    out_name: &Path,
) -> Result<u64, Error> {
    // v1 input is converted with its time:/tags: context: not cut.
    let options = ParallelOptions::default();
    let new_part = |_| V2Out {
        out: Vec::new(),
        keep,
        keep_untested,
        corrupt: 0,
        tests: 0,
    };
    let mut merge = V2Merge {
        out,
        corrupt: 0,
        tests: 0,
    };
    let report = match open(path)? {
        Input::File(file) => parse_file(&file, &options, new_part, &mut merge),
        Input::Stream(reader) => parse_reader(reader, &options, new_part, &mut merge),
    };
    let tests = merge.tests;
    finish(path, out_name, report, tests)?;
    merge.out.flush().map_err(|e| write_error(out_name, e))?;
    Ok(merge.corrupt)
}

/// True if `path` is a regular file (one that can be read twice).
pub fn is_regular_file(path: &Path) -> bool {
    path.as_os_str() != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}
