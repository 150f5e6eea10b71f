//! Architecture invariants checked with `cargo tree` and a source scan.

use std::path::{Path, PathBuf};

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

/// Crates that must have no dependencies at all (data only).
const LEAF: &[&str] = &["refstack-guidelines"];

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
    for package in LEAF {
        let tree = cargo_stdout(
            root,
            &[
                "tree", "--locked", "-p", package, "-e", "normal", "--prefix", "none", "--format",
                "{p}",
            ],
        )?;
        for line in tree.lines().skip(1) {
            let name = line.split_whitespace().next().unwrap_or_default();
            problems.push(format!(
                "{package} depends on {name} (it must stay data only)"
            ));
        }
    }
    scan_stubs(root, &mut problems)?;
    scan_unsafe(root, &mut problems)?;
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

/// Every `.rs` file of the workspace (not under `target` or hidden
/// folders), with its path relative to `root`.
fn rust_files(root: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
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
                let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                files.push((rel, text));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Landed code has no `todo!`, `unimplemented!` or `dbg!`.
fn scan_stubs(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let markers = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("dbg", "!("),
    ];
    for (rel, text) in rust_files(root)? {
        for (n, line) in text.lines().enumerate() {
            if markers.iter().any(|m| line.contains(m)) {
                problems.push(format!("{}:{}: stub marker", rel.display(), n + 1));
            }
        }
    }
    Ok(())
}

/// No `unsafe` code anywhere (the keyword, or an `allow`/`expect` of the
/// `unsafe_code` lint), including in crates that might not take the
/// workspace's `unsafe_code = "forbid"` lint. Comments are not code: text
/// after `//` is not looked at.
fn scan_unsafe(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let keyword = concat!("uns", "afe");
    let lints = [
        concat!("allow(uns", "afe_code"),
        concat!("expect(uns", "afe_code"),
    ];
    for (rel, text) in rust_files(root)? {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if has_word(code, keyword) || lints.iter().any(|l| code.contains(l)) {
                problems.push(format!("{}:{}: `{keyword}` code", rel.display(), n + 1));
            }
        }
    }
    Ok(())
}

/// True if `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(word).any(|(at, _)| {
        !ident(text[..at].chars().next_back()) && !ident(text[at + word.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_whole_identifiers() {
        let keyword = concat!("uns", "afe");
        assert!(has_word(&format!("let m = {keyword} {{ x }};"), keyword));
        assert!(has_word(&format!("pub {keyword} fn f()"), keyword));
        assert!(!has_word(&format!("{keyword}_code = 1"), keyword));
        assert!(!has_word(&format!("not_{keyword}"), keyword));
        assert!(!has_word("safe", keyword));
    }
}
