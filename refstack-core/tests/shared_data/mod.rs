//! Helpers for tests over the real shared data set (`REFSTACK_SHARED_DATA`).
// Each test binary uses a different subset of the helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared data directory, or `None` (after a message) when the variable
/// is unset outside CI. Under `REFSTACK_CI=1` a missing variable panics.
pub(crate) fn dir() -> Option<PathBuf> {
    match std::env::var_os("REFSTACK_SHARED_DATA") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            if std::env::var("REFSTACK_CI").as_deref() == Ok("1") {
                panic!("REFSTACK_SHARED_DATA is unset; it is required when REFSTACK_CI=1");
            }
            {
                // Straight to stderr, past the test harness's capture: a
                // skipped test must not pass silently as `ok`.
                use std::io::Write as _;
                let test = std::thread::current().name().unwrap_or("test").to_owned();
                let _ = std::io::stderr().write_all(format!("SKIPPED {test}: REFSTACK_SHARED_DATA is unset (the shared reference data)\n").as_bytes());
            }
            None
        }
    }
}

/// The Python oracles: `$REFSTACK_SHARED_DATA/../tools`.
pub(crate) fn tools(data: &Path) -> PathBuf {
    data.join("..").join("tools")
}

/// Whether `python3` runs; under CI its absence is a failure.
pub(crate) fn python_available() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("REFSTACK_CI").as_deref() == Ok("1") {
            panic!("python3 is needed for the oracle comparison under REFSTACK_CI=1");
        }
        {
            // Straight to stderr, past the test harness's capture: a
            // skipped test must not pass silently as `ok`.
            use std::io::Write as _;
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let _ = std::io::stderr().write_all(
                format!("SKIPPED {test}: python3 not found (the oracle comparison)\n").as_bytes(),
            );
        }
    }
    ok
}

/// Every guideline document under `guidelines/` (recursively), skipping the
/// JSON Schema files (they carry a `$schema` key), sorted.
pub(crate) fn guideline_files(data: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![data.join("guidelines")];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => panic!("cannot read {}: {e}", dir.display()),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = read(&path);
                let is_schema = serde_json::from_slice::<serde_json::Value>(&text)
                    .ok()
                    .is_some_and(|v| v.get("$schema").is_some());
                if !is_schema {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// Reads a file or panics with its path.
pub(crate) fn read(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// Runs `python3 <args>` and returns (success, stdout).
pub(crate) fn python(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = match Command::new("python3").args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run python3: {e}"),
    };
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
