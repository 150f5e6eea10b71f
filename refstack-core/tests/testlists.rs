//! The test-list generator against RefStack's algorithm on the real data:
//! the golden files, the Python oracle's command line, and a sweep of every
//! guideline × target × status subset × alias × flag against the oracle.

mod shared_data;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;

use refstack_core::guideline::Guideline;
use refstack_core::target::Target;
use refstack_core::testlist::{StatusFilter, TestListQuery, test_list_text};
use sha2::{Digest, Sha256};

const STATUSES: [&str; 4] = ["required", "advisory", "deprecated", "removed"];

fn parse(path: &Path) -> Guideline {
    match Guideline::from_json(&shared_data::read(path)) {
        Ok(g) => g,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// `None` = no `type` parameter, otherwise the comma-joined statuses.
fn status_sets() -> Vec<Option<String>> {
    let mut out = vec![None];
    for mask in 0..16u32 {
        let set: Vec<&str> = STATUSES
            .iter()
            .enumerate()
            .filter(|(i, _)| mask >> i & 1 == 1)
            .map(|(_, s)| *s)
            .collect();
        out.push(Some(set.join(",")));
    }
    out
}

fn query(target: Target, types: Option<&str>, alias: bool, flagged: bool) -> TestListQuery {
    TestListQuery {
        target,
        statuses: types.map_or(StatusFilter::All, StatusFilter::from_query),
        alias,
        flagged,
    }
}

#[test]
fn golden_files_match_byte_for_byte() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    let dir = data.join("testlists");
    let mut checked = 0;
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(OsStr::to_str) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".txt") else {
            continue;
        };
        // <version>_<target>_<type>_alias-<bool>_flag-<bool>
        let parts: Vec<&str> = stem.split('_').collect();
        let [version, target, types, alias, flag] = parts[..] else {
            panic!("unexpected golden file name {name}");
        };
        let file = if version.starts_with(char::is_alphabetic) && version != "next" {
            data.join("guidelines")
                .join("add-ons")
                .join(format!("{version}.json"))
        } else {
            data.join("guidelines").join(format!("{version}.json"))
        };
        let target: Target = match target.parse() {
            Ok(t) => t,
            Err(e) => panic!("{name}: {e}"),
        };
        let q = query(
            target,
            Some(types),
            alias == "alias-true",
            flag == "flag-true",
        );
        let g = parse(&file);
        let golden = String::from_utf8_lossy(&shared_data::read(&path)).into_owned();
        let golden = golden.strip_suffix('\n').unwrap_or(&golden);
        let ours = match test_list_text(&g, &q) {
            Ok(t) => t,
            Err(e) => panic!("{name}: {e}"),
        };
        pretty_assertions::assert_eq!(ours, golden, "{name}");
        checked += 1;
    }
    assert!(
        checked >= 4,
        "expected the four golden files, found {checked}"
    );
}

#[test]
fn oracle_command_line_agrees() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    if !shared_data::python_available() {
        return;
    }
    let script = shared_data::tools(&data).join("refstack_testlist.py");
    let mut compared = 0;
    for file in shared_data::guideline_files(&data) {
        let g = parse(&file);
        // The oracle's own target list; the sweep below covers all eight.
        for target in &Target::ALL[..5] {
            let target = *target;
            {
                let (types, alias, flag) = ("required", "true", "false");
                let (ok, stdout) = shared_data::python(&[
                    script.as_os_str(),
                    file.as_os_str(),
                    OsStr::new(target.as_str()),
                    OsStr::new(types),
                    OsStr::new(alias),
                    OsStr::new(flag),
                ]);
                let q = query(
                    target,
                    (types != "-").then_some(types),
                    alias == "true",
                    flag == "true",
                );
                let ours = test_list_text(&g, &q);
                let what = format!("{} {target} {types} {alias} {flag}", file.display());
                match (ok, ours) {
                    (true, Ok(text)) => {
                        let expected = stdout.strip_suffix('\n').unwrap_or(&stdout);
                        pretty_assertions::assert_eq!(text, expected, "{what}");
                    }
                    (false, Err(_)) => {}
                    (true, Err(e)) => panic!("{what}: oracle succeeded, we failed: {e}"),
                    (false, Ok(_)) => panic!("{what}: oracle failed (invalid target), we did not"),
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 0);
}

/// Runs the oracle module in one Python process over every combination and
/// prints `file\ttarget\ttypes\talias\tflag\tERR` or `...\tOK <sha256> <lines>`.
const SWEEP_DRIVER: &str = r#"
import hashlib, importlib.util, itertools, sys
spec = importlib.util.spec_from_file_location('oracle', sys.argv[1] + '/refstack_testlist.py')
oracle = importlib.util.module_from_spec(spec); spec.loader.exec_module(oracle)
import json
statuses = ['required', 'advisory', 'deprecated', 'removed']
targets = sys.argv[2].split(',')
sets = [None] + [[s for i, s in enumerate(statuses) if m >> i & 1] for m in range(16)]
for path in sys.argv[3:]:
    g = json.load(open(path))
    for target, types, alias, flag in itertools.product(targets, sets, (True, False), (True, False)):
        key = '-' if types is None else ','.join(types)
        try:
            text = '\n'.join(oracle.test_list(g, oracle.target_capabilities(g, None if types is None else (types or ['']), target), alias, flag))
            res = 'OK %s %d' % (hashlib.sha256(text.encode()).hexdigest(), text.count('\n') + 1 if text else 0)
        except Exception:
            res = 'ERR'
        print('\t'.join([path, target, key, str(alias).lower(), str(flag).lower(), res]))
"#;

#[test]
fn sweep_every_guideline_target_status_alias_flag_against_the_oracle() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    if !shared_data::python_available() {
        return;
    }
    let files = shared_data::guideline_files(&data);
    assert!(
        files.len() >= 6,
        "expected at least six guideline files, found {}",
        files.len()
    );
    let tools = shared_data::tools(&data);
    let targets: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
    let targets = targets.join(",");
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("-c"),
        OsStr::new(SWEEP_DRIVER),
        tools.as_os_str(),
        OsStr::new(&targets),
    ];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let (ok, stdout) = shared_data::python(&args);
    assert!(ok, "the oracle sweep driver failed");

    let guidelines: HashMap<String, Guideline> = files
        .iter()
        .map(|f| (f.display().to_string(), parse(f)))
        .collect();
    let mut compared = 0;
    let mut listed = 0;
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, target, types, alias, flag, result] = fields[..] else {
            panic!("bad driver line {line:?}");
        };
        let Some(g) = guidelines.get(file) else {
            panic!("driver named an unknown file {file}");
        };
        let target: Target = match target.parse() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let q = query(
            target,
            (types != "-").then_some(types),
            alias == "true",
            flag == "true",
        );
        let ours = match test_list_text(g, &q) {
            Ok(text) => {
                let lines = if text.is_empty() {
                    0
                } else {
                    text.matches('\n').count() + 1
                };
                if lines > 0 {
                    listed += 1;
                }
                format!(
                    "OK {} {lines}",
                    hex::encode(Sha256::digest(text.as_bytes()))
                )
            }
            Err(_) => "ERR".to_owned(),
        };
        assert_eq!(
            ours, result,
            "{file} target={target} type={types} alias={alias} flag={flag}"
        );
        compared += 1;
    }
    let expected = files.len() * Target::ALL.len() * status_sets().len() * 4;
    assert_eq!(
        compared, expected,
        "the driver did not cover every combination"
    );
    assert!(
        listed > 100,
        "too few non-empty lists ({listed}): is the sweep meaningful?"
    );
    eprintln!("compared {compared} combinations ({listed} non-empty lists)");
}
