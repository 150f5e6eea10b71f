//! Embeds `migrations/<dialect>/NNNN_description.sql` into the binary: writes
//! `$OUT_DIR/migrations.rs` with one `&[(version, description, sql)]` per dialect.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo::rerun-if-changed=migrations");
    // The directory of this run's package, read at run time: a build script
    // compiled in another checkout of the workspace can be reused from a
    // shared target directory, and `env!` would point it at that checkout.
    let manifest_dir =
        env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|e| panic!("CARGO_MANIFEST_DIR: {e}"));
    let root = Path::new(&manifest_dir).join("migrations");
    let mut out = String::new();
    for (constant, dir) in [
        ("SQLITE", "sqlite"),
        ("POSTGRES", "postgres"),
        ("MYSQL", "mysql"),
    ] {
        let dir = root.join(dir);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut files: Vec<(i64, String, String)> = Vec::new();
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = name.strip_suffix(".sql") else {
                continue;
            };
            let (version, description) = stem
                .split_once('_')
                .unwrap_or_else(|| panic!("{name}: expected NNNN_description.sql"));
            let version: i64 = version
                .parse()
                .unwrap_or_else(|e| panic!("{name}: bad version: {e}"));
            files.push((
                version,
                description.replace('_', " "),
                path.display().to_string(),
            ));
        }
        files.sort();
        for pair in files.windows(2) {
            assert!(
                pair[0].0 != pair[1].0,
                "duplicate migration version {} in {}",
                pair[0].0,
                dir.display()
            );
        }
        writeln!(
            out,
            "pub(super) const {constant}: &[(i64, &str, &str)] = &["
        )
        .unwrap_or_default();
        for (version, description, path) in &files {
            writeln!(
                out,
                "    ({version}, {description:?}, include_str!({path:?})),"
            )
            .unwrap_or_default();
        }
        writeln!(out, "];").unwrap_or_default();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}")))
        .join("migrations.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}
