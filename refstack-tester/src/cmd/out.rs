//! Standard output of every subcommand. A closed standard output (the
//! reader went away, as `| head -1` does) is not an error: once a write
//! fails with a broken pipe, nothing more is written and the command goes
//! on to its own exit status; a command whose only product is its output
//! may stop early instead, and `main` exits quietly (status 0) for it.
//! Any other write error is one `error:` line.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

/// Set once a write to standard output found it closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// True if `e` says the reader of standard output went away.
pub(crate) fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Writes `bytes` to standard output and flushes. A closed standard
/// output is remembered and ignored (later calls write nothing).
pub(crate) fn print(bytes: impl AsRef<[u8]>) -> Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes.as_ref()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if is_broken_pipe(&e) => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

/// True if the error (or one of its causes) is a closed standard output
/// or another broken pipe: `main` then exits quietly.
pub(crate) fn is_closed_output(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(is_broken_pipe)
    })
}
