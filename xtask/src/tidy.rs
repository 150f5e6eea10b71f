//! Architecture invariants checked with `cargo tree` and a source scan.

use std::path::Path;

use anyhow::bail;

use crate::cargo_stdout;

/// Crates that `package` must never depend on (normal dependencies).
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The two applications never depend on each other.
    ("refstack-tester", &["refstack-server"]),
    ("refstack-server", &["refstack-tester"]),
    // The libraries do no network or database I/O.
    (
        "refstack-core",
        &["tokio", "sqlx", "axum", "reqwest", "hyper"],
    ),
    (
        "refstack-api-types",
        &["tokio", "sqlx", "axum", "reqwest", "hyper"],
    ),
    (
        "refstack-subunit",
        &["sqlx", "axum", "reqwest", "hyper", "serde"],
    ),
];

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for (package, banned) in FORBIDDEN {
        let tree = cargo_stdout(
            root,
            &[
                "tree", "--locked", "-p", package, "-e", "normal", "--prefix", "none", "--format",
                "{p}",
            ],
        )?;
        for line in tree.lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            if banned.contains(&name) {
                problems.push(format!("{package} depends on {name}"));
            }
        }
    }
    scan_stubs(root, &mut problems)?;
    if problems.is_empty() {
        println!("tidy: ok");
        Ok(())
    } else {
        for p in &problems {
            eprintln!("tidy: {p}");
        }
        bail!("{} tidy problem(s)", problems.len())
    }
}

/// Landed code has no `todo!`, `unimplemented!` or `dbg!`.
fn scan_stubs(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let markers = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("dbg", "!("),
    ];
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path)?;
                for (n, line) in text.lines().enumerate() {
                    if markers.iter().any(|m| line.contains(m)) {
                        let rel = path.strip_prefix(root).unwrap_or(&path);
                        problems.push(format!("{}:{}: stub marker", rel.display(), n + 1));
                    }
                }
            }
        }
    }
    Ok(())
}
