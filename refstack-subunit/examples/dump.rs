//! `cargo run --release -p refstack-subunit --example dump -- FILE`
//!
//! One tab-separated line per packet: offset, status, test id, file name,
//! content length, timestamp (RFC 3339, microseconds); `noise` and
//! `corrupt` lines for the rest. Used by `benches/compare/subunit_kept.py`
//! to check that we keep every packet python-subunit keeps.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use refstack_subunit::{Corruption, Packet, ReadError, Reader, Sink};

struct Dump<W: Write>(W);

impl<W: Write> Sink for Dump<W> {
    type Error = std::io::Error;
    fn packet(&mut self, offset: u64, p: &Packet<'_>) -> std::io::Result<()> {
        let (name, len) = p.file.map_or(("", 0), |f| (f.name, f.content.len()));
        let ts = p.timestamp.map(|t| t.to_string()).unwrap_or_default();
        writeln!(
            self.0,
            "packet\t{offset}\t{}\t{}\t{name}\t{len}\t{ts}",
            p.status.as_str(),
            p.test_id.unwrap_or("")
        )
    }
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        writeln!(self.0, "noise\t{offset}\t{}", bytes.len())
    }
    fn corrupt(&mut self, offset: u64, bytes: &[u8], e: &Corruption) -> std::io::Result<()> {
        writeln!(self.0, "corrupt\t{offset}\t{}\t{e}", bytes.len())
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump FILE");
        return ExitCode::FAILURE;
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("dump: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut sink = Dump(BufWriter::new(std::io::stdout().lock()));
    let r = Reader::new(file).run(&mut sink);
    let flushed = sink.0.flush();
    match (r, flushed) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(ReadError::Io(e) | ReadError::Sink(e)), _) | (_, Err(e)) => {
            eprintln!("dump: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
