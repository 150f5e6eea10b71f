//! `cargo xtask <task>`: project automation.
//!
//! Tasks:
//! - `tidy`: checks the architecture invariants that the compiler cannot:
//!   crate dependency directions and stray stubs in landed code.
//! - `loadbench`: our server and upstream RefStack 2.1.0 side by side under
//!   the same HTTP load (see `loadbench/mod.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod loadbench;
mod tidy;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    match task.as_deref() {
        Some("tidy") => tidy::run(&workspace_root()),
        Some("loadbench") => loadbench::run(&workspace_root(), args),
        Some("help") | Some("--help") | Some("-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => {
            print_help();
            bail!("unknown task `{other}`")
        }
    }
}

fn print_help() {
    eprintln!(
        "cargo xtask <task>\n\n\
         Tasks:\n  \
         tidy       check crate boundaries (cargo tree), stray todo!/unimplemented!/dbg!,\n             \
         and that nothing opts out of the unsafe_code ban\n  \
         loadbench  load-test refstack-server and upstream RefStack 2.1.0 side by side\n\n\
         {}\n",
        loadbench::USAGE
    );
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs `cargo` with `args` in `root` and returns its stdout.
fn cargo_stdout(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(&cargo)
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("running {cargo} {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "{cargo} {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}
