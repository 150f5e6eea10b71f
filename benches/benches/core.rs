//! refstack-core benches: test list, compliance report and guideline parsing
//! on the real 2020.06 guideline, side by side with the Python oracles.
//!
//! Needs `REFSTACK_SHARED_DATA` (skips with a message when unset). After
//! the criterion groups, a `cargo bench` run (not `--test`/`--list`, not
//! `cargo test --benches`) also times the
//! Python oracles (`$REFSTACK_SHARED_DATA/../tools`) on the same inputs and
//! prints both figures and their ratio.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::Criterion;
use refstack_core::{
    Guideline, Results, StatusFilter, Target, TestListQuery, score, test_list, test_list_text,
};

/// The guideline files measured for parsing, relative to `guidelines/`.
const PARSED: [&str; 4] = [
    "2020.06.json",
    "2016.08.json",
    "2015.05.json",
    "add-ons/dns.2020.06.json",
];

fn shared_data() -> Option<PathBuf> {
    match std::env::var_os("REFSTACK_SHARED_DATA") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            if std::env::var("REFSTACK_CI").as_deref() == Ok("1") {
                panic!("REFSTACK_SHARED_DATA is unset; it is required when REFSTACK_CI=1");
            }
            eprintln!("skipping refstack-core benches: REFSTACK_SHARED_DATA is unset");
            None
        }
    }
}

fn read(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn load(path: &Path) -> Guideline {
    match Guideline::from_json(&read(path)) {
        Ok(g) => g,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn required_query() -> TestListQuery {
    TestListQuery {
        target: Target::Platform,
        statuses: StatusFilter::from_query("required"),
        alias: true,
        flagged: false,
    }
}

/// 300 passed test ids for 2020.06 platform: the first 300 lines of the
/// full list (every status, aliases and flagged tests included).
fn result_300(g: &Guideline) -> Vec<String> {
    let all = test_list(g, &TestListQuery::default()).unwrap_or_default();
    assert!(
        all.len() >= 300,
        "2020.06 platform lists {} tests",
        all.len()
    );
    all.into_iter().take(300).collect()
}

fn benches(c: &mut Criterion, data: &Path) {
    let g = load(&data.join("guidelines/2020.06.json"));
    let query = required_query();
    c.bench_function("core/testlist/2020.06_platform_required", |b| {
        b.iter(|| test_list_text(black_box(&g), black_box(&query)))
    });

    let ids = result_300(&g);
    let results = Results::from_passed_test_ids(ids.iter().map(String::as_str));
    c.bench_function("core/score/2020.06_platform_300", |b| {
        b.iter(|| score(black_box(&g), Target::Platform, black_box(&results)).map(|r| r.compliant))
    });
    c.bench_function("core/report/2020.06_platform_300_from_ids", |b| {
        b.iter(|| {
            let results = Results::from_passed_test_ids(black_box(&ids).iter().map(String::as_str));
            score(&g, Target::Platform, &results).map(|r| r.required.non_flagged_passed)
        })
    });

    let mut group = c.benchmark_group("core/parse");
    for name in PARSED {
        let bytes = read(&data.join("guidelines").join(name));
        group.throughput(criterion::Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| Guideline::from_json(black_box(&bytes))));
    }
    // Baseline: the same bytes into an untyped serde_json tree.
    let bytes = read(&data.join("guidelines/2020.06.json"));
    group.bench_function("baseline_value/2020.06.json", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).is_ok())
    });
    group.finish();
}

/// Best of `rounds` timings of `iters` calls, in microseconds per call (the
/// minimum is the figure least disturbed by other load on the machine; the
/// Python side uses the same statistic and rounds of the same length,
/// about 5 ms).
fn time_rust(mut f: impl FnMut(), iters: u32, rounds: usize) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(iters)
        })
        .fold(f64::INFINITY, f64::min)
}

const PYTHON_TIMER: &str = r#"
import importlib.util, json, re, sys, timeit
tools, data = sys.argv[1], sys.argv[2]
def load(name):
    spec = importlib.util.spec_from_file_location(name, tools + '/' + name + '.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m
tl, sc = load('refstack_testlist'), load('refstack_score')
g = json.load(open(data + '/guidelines/2020.06.json'))
ids = tl.test_list(g, tl.target_capabilities(g, None, 'platform'), True, True)[:300]
results = {re.sub(r'\[.*\]', '', l.strip()) for l in ids}
def best(stmt):
    # Best of 9: the minimum, as on the Rust side.
    # Short rounds of about 5 ms, like the Rust side.
    t = timeit.Timer(stmt, globals=globals())
    n, _ = t.autorange()
    n = max(1, n // 40)
    return min(t.repeat(repeat=25, number=n)) / n * 1e6
print('testlist', best("'\\n'.join(tl.test_list(g, tl.target_capabilities(g, ['required'], 'platform'), True, False))"))
print('score', best("sc.score(g, 'platform', results)"))
print('report', best("sc.score(g, 'platform', {re.sub(r'\\[.*\\]', '', l.strip()) for l in ids})"))
for name in sys.argv[3:]:
    raw = open(data + '/guidelines/' + name, 'rb').read()
    print('parse/' + name, best('json.loads(raw)'))
"#;

/// Runs the Python timer once; `None` (after a message) if it cannot run.
fn python_timings(data: &Path) -> Option<String> {
    let tools = data.join("..").join("tools");
    let mut args = vec![
        "-c".to_owned(),
        PYTHON_TIMER.to_owned(),
        tools.display().to_string(),
        data.display().to_string(),
    ];
    args.extend(PARSED.iter().map(|s| (*s).to_owned()));
    match Command::new("python3").args(&args).output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => {
            eprintln!(
                "python oracle timing failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("python3 unavailable, no side-by-side figures: {e}");
            None
        }
    }
}

fn side_by_side(data: &Path) {
    // Python is timed before and after our rounds; the best of both counts.
    let Some(before) = python_timings(data) else {
        return;
    };
    let rows = rust_rows(data);
    let after = python_timings(data).unwrap_or_default();
    let python = |key: &str| -> Option<f64> {
        [&before, &after]
            .iter()
            .flat_map(|out| out.lines())
            .filter_map(|l| {
                l.strip_prefix(key)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .reduce(f64::min)
    };
    println!("\nside by side (best µs per call, same machine, same run):");
    println!(
        "{:<32} {:>12} {:>12} {:>8}",
        "case", "rust µs", "python µs", "ratio"
    );
    for (key, rust) in rows {
        match python(&key) {
            Some(py) => println!("{key:<32} {rust:>12.2} {py:>12.2} {:>7.1}x", py / rust),
            None => println!("{key:<32} {rust:>12.2} {:>12} {:>8}", "-", "-"),
        }
    }
}

fn rust_rows(data: &Path) -> Vec<(String, f64)> {
    let g = load(&data.join("guidelines/2020.06.json"));
    let query = required_query();
    let ids = result_300(&g);
    let results = Results::from_passed_test_ids(ids.iter().map(String::as_str));
    let mut rows: Vec<(String, f64)> = vec![
        (
            "testlist".to_owned(),
            time_rust(|| drop(black_box(test_list_text(&g, &query))), 200, 25),
        ),
        (
            "score".to_owned(),
            time_rust(
                || {
                    drop(black_box(
                        score(&g, Target::Platform, &results).map(|r| r.compliant),
                    ))
                },
                200,
                25,
            ),
        ),
        (
            "report".to_owned(),
            time_rust(
                || {
                    let r = Results::from_passed_test_ids(ids.iter().map(String::as_str));
                    drop(black_box(
                        score(&g, Target::Platform, &r).map(|r| r.compliant),
                    ));
                },
                20,
                25,
            ),
        ),
    ];
    for name in PARSED {
        let bytes = read(&data.join("guidelines").join(name));
        let iters = if bytes.len() > 100_000 { 20 } else { 200 };
        rows.push((
            format!("parse/{name}"),
            time_rust(|| drop(black_box(Guideline::from_json(&bytes))), iters, 25),
        ));
    }
    rows
}

fn main() {
    let Some(data) = shared_data() else {
        return;
    };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    benches(&mut c, &data);
    c.final_summary();
    // Only a real benchmark run (`cargo bench` passes `--bench`); not under
    // `cargo test --benches`, `--test` or `--list`.
    let args: Vec<String> = std::env::args().collect();
    let measuring =
        args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list");
    if measuring {
        side_by_side(&data);
    }
}
