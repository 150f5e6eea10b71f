//! Scoring against the Python port of the RefStack UI (`refstack_score.py`)
//! on the real guidelines, plus the reference's worked examples.

mod shared_data;

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use refstack_core::guideline::Guideline;
use refstack_core::score::{ComplianceReport, Results, score};
use refstack_core::target::Target;
use refstack_core::testlist::{StatusFilter, TestListQuery, test_list};
use serde_json::{Value, json};

fn parse(path: &Path) -> Guideline {
    match Guideline::from_json(&shared_data::read(path)) {
        Ok(g) => g,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// The report in the oracle's JSON shape.
fn oracle_shape(r: &ComplianceReport<'_>) -> Value {
    let mut status = serde_json::Map::new();
    for s in &r.statuses {
        status.insert(
            s.status.to_owned(),
            json!({
                "count": s.count,
                "passedCount": s.passed,
                "flagFailCount": s.flagged_failed,
                "flagPassCount": s.flagged_passed,
                "capabilities": s.capabilities.len(),
            }),
        );
    }
    json!({
        "status": status,
        "requiredPassPercent": r.required.pass_percent,
        "nonFlagPassCount": r.required.non_flagged_passed,
        "totalNonFlagCount": r.required.non_flagged_total,
        "nonFlagRequiredPassPercent": r.required.non_flagged_pass_percent,
        "compliant": r.compliant,
        "failingRequiredCapabilities": r.failing_required_capabilities,
    })
}

/// Rounds the percentages to 9 decimals: serde_json's default float parser
/// may land one ulp away from Python's printed value.
fn rounded(mut v: Value) -> Value {
    for key in ["requiredPassPercent", "nonFlagRequiredPassPercent"] {
        if let Some(f) = v.get(key).and_then(Value::as_f64) {
            v[key] = json!((f * 1e9).round() / 1e9);
        }
    }
    v
}

/// Scores many cases in one Python process: stdin is a JSON list of
/// `{file, target, passed}`, stdout a JSON list of reports or `"ERR"`.
const SCORE_DRIVER: &str = r#"
import importlib.util, json, math, re, sys
spec = importlib.util.spec_from_file_location('oracle', sys.argv[1] + '/refstack_score.py')
oracle = importlib.util.module_from_spec(spec); spec.loader.exec_module(oracle)
cache = {}
out = []
for case in json.load(sys.stdin):
    g = cache.get(case['file']) or cache.setdefault(case['file'], json.load(open(case['file'])))
    results = {re.sub(r'\[.*\]', '', l.strip()) for l in case['passed'] if l.strip()}
    try:
        r = oracle.score(g, case['target'], results)
        for k in ('requiredPassPercent', 'nonFlagRequiredPassPercent'):
            if isinstance(r[k], float) and math.isnan(r[k]):
                r[k] = None
        out.append(r)
    except Exception:
        out.append('ERR')
json.dump(out, sys.stdout)
"#;

/// Deterministic subsets of a list: keep line `i` iff `keep(i)`.
fn subset(lines: &[String], seed: u64, keep_one_in: u64, invert: bool) -> Vec<String> {
    lines
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let h = (*i as u64 + 1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(seed.wrapping_mul(0xBF58_476D_1CE4_E5B9));
            (h >> 29).is_multiple_of(keep_one_in) == invert
        })
        .map(|(_, l)| l.clone())
        .collect()
}

fn result_sets(g: &Guideline, target: Target) -> Vec<Vec<String>> {
    let list = |types: Option<&str>, alias: bool, flagged: bool| {
        test_list(
            g,
            &TestListQuery {
                target,
                statuses: types.map_or(StatusFilter::All, StatusFilter::from_query),
                alias,
                flagged,
            },
        )
        .unwrap_or_default()
    };
    let all = list(None, true, true);
    let required = list(Some("required"), true, false);
    let names_only = list(Some("required"), false, true);
    let mut sets = vec![
        Vec::new(),
        all.clone(),
        required.clone(),
        names_only.clone(),
    ];
    for seed in 1..=4 {
        sets.push(subset(&all, seed, 7, false));
        sets.push(subset(&all, seed, 3, true));
        sets.push(subset(&required, seed, 50, false));
        sets.push(subset(&names_only, seed, 2, false));
    }
    sets
}

#[test]
fn scores_agree_with_the_ui_oracle_on_every_guideline_and_target() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    if !shared_data::python_available() {
        return;
    }
    let files = shared_data::guideline_files(&data);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for file in &files {
        let g = parse(file);
        for target in Target::ALL {
            for passed in result_sets(&g, target) {
                let results = Results::from_passed_test_ids(passed.iter().map(String::as_str));
                ours.push(match score(&g, target, &results) {
                    Ok(r) => oracle_shape(&r),
                    Err(_) => Value::String("ERR".into()),
                });
                cases.push(json!({
                    "file": file.display().to_string(),
                    "target": target.as_str(),
                    "passed": passed,
                }));
            }
        }
    }
    let tools = shared_data::tools(&data);
    let mut child = match Command::new("python3")
        .args([
            OsStr::new("-c"),
            OsStr::new(SCORE_DRIVER),
            tools.as_os_str(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot run python3: {e}"),
    };
    let input = Value::Array(cases.clone()).to_string();
    if let Some(mut stdin) = child.stdin.take()
        && let Err(e) = stdin.write_all(input.as_bytes())
    {
        panic!("cannot feed the oracle: {e}");
    }
    let output = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => panic!("oracle failed: {e}"),
    };
    assert!(output.status.success(), "the oracle driver failed");
    let theirs: Vec<Value> = match serde_json::from_slice(&output.stdout) {
        Ok(v) => v,
        Err(e) => panic!("oracle output is not JSON: {e}"),
    };
    assert_eq!(theirs.len(), ours.len());
    let mut scored = 0;
    let mut compliant = 0;
    for ((case, ours), theirs) in cases.iter().zip(&ours).zip(&theirs) {
        pretty_assertions::assert_eq!(
            rounded(ours.clone()),
            rounded(theirs.clone()),
            "{} target={} ({} passed lines)",
            case["file"],
            case["target"],
            case["passed"].as_array().map_or(0, Vec::len)
        );
        if ours.is_object() {
            scored += 1;
            if ours["compliant"] == true {
                compliant += 1;
            }
        }
    }
    assert!(scored > 100, "too few scored cases: {scored}");
    assert!(
        compliant > 5 && compliant < scored,
        "cases should cover both verdicts ({compliant}/{scored} compliant)"
    );
    eprintln!("{scored} reports agree with the oracle ({compliant} compliant)");
}

fn golden_2020_06(data: &Path) -> Vec<String> {
    let path = data
        .join("testlists")
        .join("2020.06_platform_required_alias-true_flag-false.txt");
    String::from_utf8_lossy(&shared_data::read(&path))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The worked examples of `reference/interop-guidelines.md` §A7.
#[test]
fn reference_worked_examples_2020_06_platform() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    let g = parse(&data.join("guidelines").join("2020.06.json"));
    let passed = golden_2020_06(&data);
    let results = Results::from_passed_test_ids(passed.iter().map(String::as_str));
    let Ok(r) = score(&g, Target::Platform, &results) else {
        panic!("2020.06 defines platform");
    };
    assert_eq!(r.required.capabilities, 78);
    assert_eq!(r.required.count, 286);
    assert_eq!(r.required.passed, 275);
    assert_eq!(r.required.flagged_failed, 11);
    assert_eq!(r.required.flagged_passed, 0);
    assert_eq!(r.required.non_flagged_passed, 275);
    assert_eq!(r.required.non_flagged_total, 275);
    let pct = r.required.pass_percent.unwrap_or_default();
    assert!((pct - 96.15).abs() < 0.01, "{pct}");
    assert!(r.compliant);

    let token = "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token[";
    let fewer: Vec<&str> = passed
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with(token))
        .collect();
    assert_eq!(fewer.len(), passed.len() - 1);
    let results = Results::from_passed_test_ids(fewer);
    let Ok(r) = score(&g, Target::Platform, &results) else {
        panic!("2020.06 defines platform");
    };
    assert_eq!(r.required.non_flagged_passed, 274);
    assert_eq!(r.required.non_flagged_total, 275);
    let pct = r.required.non_flagged_pass_percent.unwrap_or_default();
    assert!((pct - 99.64).abs() < 0.01, "{pct}");
    assert!(!r.compliant);
    assert_eq!(
        r.failing_required_capabilities,
        ["identity-v3-tokens-create"]
    );
}

/// The oracle's command line on a file, for the canonical case.
#[test]
fn oracle_command_line_agrees_on_the_golden_list() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    if !shared_data::python_available() {
        return;
    }
    let guideline = data.join("guidelines").join("2020.06.json");
    let passed = data
        .join("testlists")
        .join("2020.06_platform_required_alias-true_flag-false.txt");
    let script = shared_data::tools(&data).join("refstack_score.py");
    let (ok, stdout) = shared_data::python(&[
        script.as_os_str(),
        guideline.as_os_str(),
        OsStr::new("platform"),
        passed.as_os_str(),
    ]);
    assert!(ok, "refstack_score.py failed");
    let theirs: Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(e) => panic!("oracle output is not JSON: {e}"),
    };
    let g = parse(&guideline);
    let lines = golden_2020_06(&data);
    let results = Results::from_passed_test_ids(lines.iter().map(String::as_str));
    let Ok(r) = score(&g, Target::Platform, &results) else {
        panic!("2020.06 defines platform");
    };
    pretty_assertions::assert_eq!(rounded(oracle_shape(&r)), rounded(theirs));
}
