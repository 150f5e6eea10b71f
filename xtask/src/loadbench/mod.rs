//! `cargo xtask loadbench`: our `refstack-server` and upstream RefStack
//! 2.1.0 side by side under the same HTTP load on loopback.
//!
//! Scenarios (issue 5, "Speed"), run in this order on each server:
//! 1. seed 2,000 anonymous runs (not measured), check the page count;
//! 2. `GET /v1/results?page=1` with those 2,000 runs stored;
//! 3. `GET /v1/guidelines/2020.06/tests?target=platform&type=required&alias=true&flag=false`
//!    (the body is checked against the golden list once);
//! 4. unsigned upload of a 300-test result;
//! 5. signed upload of the same result (`X-Signature`/`X-Public-Key`);
//! 6. ours only (upstream has no sign-in to script): signed in with a
//!    session cookie (`serve --dev-login`) as the user of the signed uploads,
//!    `GET /v1/profile`;
//! 7. and that user's results, `GET /v1/results?signed&page=1` ("My
//!    results", the runs of scenario 5).
//!
//! Ours runs on each requested backend (fresh database each time); upstream
//! runs under gunicorn on MariaDB with its guideline source pointed at a
//! local HTTP server that serves the shared guideline files in opendev's
//! Gitea layout.

mod http;
mod payload;
mod servers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use self::http::{
    Request, Schedule, Stats, connections_for_rate, run_count, run_rate, run_timed, send_once,
};
use self::payload::{SigningKey, TestEntry, tests_from_list, upload_body};
use self::servers::{Backend, Databases, DbUrl, Upstream};

const TEST_LIST_PATH: &str =
    "/v1/guidelines/2020.06/tests?target=platform&type=required&alias=true&flag=false";
const GOLDEN_LIST: &str = "testlists/2020.06_platform_required_alias-true_flag-false.txt";
const RESULTS_PER_PAGE: u64 = 20;

/// Command-line options.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    ours: bool,
    upstream: bool,
    duration: Duration,
    warmup: Duration,
    connections: usize,
    seed_runs: u64,
    tests: usize,
    backends: Vec<Backend>,
    server_bin: Option<PathBuf>,
    upstream_venv: PathBuf,
    upstream_workers: usize,
    keep: bool,
    /// Open-loop mode: the offered rate of each scenario.
    rate: Option<RateMode>,
    /// Open-loop connections (default: [`connections_for_rate`]).
    rate_connections: Option<usize>,
    /// Open-loop mode: upstream's offered rate as this multiple of its recorded
    /// closed-loop throughput (default: the same rates as ours).
    upstream_rate_x: Option<f64>,
    /// Query string appended to our server's PostgreSQL URL (`host=/run/postgresql`).
    postgres_query: Option<String>,
    /// Query string appended to our server's MariaDB URL (`socket=/run/mysqld/mysqld.sock`).
    mysql_query: Option<String>,
    /// Only the two upload scenarios (no seeding, no list, no test list).
    uploads_only: bool,
    /// Open-loop mode: write each scenario's per-request timeline here (CSV).
    latency_log: Option<PathBuf>,
}

/// How the open-loop rate of a scenario is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RateMode {
    /// The same rate for every scenario, req/s.
    Fixed(f64),
    /// This multiple of upstream's recorded closed-loop throughput.
    UpstreamTimes(f64),
}

/// Upstream RefStack 2.1.0's closed-loop throughput per scenario (req/s),
/// as recorded in BENCHMARKS.md (8 connections, MariaDB, 5 gunicorn
/// workers; the run of 2026-11-22 10:25 UTC on a quiet machine, 2.4-2.7x the
/// figures of the 05:31 run on a loaded one); `--rate-from-upstream-x`
/// multiplies these.
const UPSTREAM_REQ_S: [f64; 4] = [56.0, 613.9, 29.7, 27.6];

/// Per-request answer budget used to size the open-loop connection pool.
const RATE_BUDGET: Duration = Duration::from_millis(25);

impl RateMode {
    /// The offered rate of `SCENARIOS[index]`.
    fn rate(self, index: usize) -> f64 {
        match self {
            RateMode::Fixed(r) => r,
            RateMode::UpstreamTimes(x) => x * UPSTREAM_REQ_S.get(index).copied().unwrap_or(0.0),
        }
    }
}

pub(crate) const USAGE: &str = "\
cargo xtask loadbench [--ours-only|--upstream-only] [--duration S] [options]

Starts refstack-server (release build) and upstream RefStack 2.1.0 (gunicorn
on MariaDB) one after the other, drives each on loopback and prints req/s,
p50/p99 latency and the ours/upstream ratios as Markdown. Ours also serves
with --dev-login and runs two signed-in reads with a session cookie
(GET /v1/profile, My results), which upstream cannot be scripted for.

Options:
  --ours-only               only our server
  --upstream-only           only upstream RefStack
  --duration S              measured seconds per scenario (default 10)
  --warmup S                unmeasured seconds before each (default 2)
  --connections N           concurrent keep-alive connections (default 8)
  --backends LIST           our databases: sqlite,postgres,mysql (default all)
  --seed-runs N             stored runs for the list scenario (default 2000),
                            anonymous uploads of --tests tests each
  --tests N                 tests per upload and per seeded run (default 300)
  --server-bin PATH         use this refstack-server instead of building it
  --upstream-venv DIR       upstream virtualenv, created if missing
                            (default $REFSTACK_UPSTREAM_VENV or /work/upstream/venv)
  --upstream-workers N      gunicorn sync workers (default 2 x CPUs + 1)
  --keep                    keep the work directory (logs, databases)
  --uploads-only            only the two upload scenarios (no seeding)
  --latency-log DIR         open loop: write <server>-<scenario>.csv per scenario
                            (scheduled send ms, latency ms) into DIR
  --postgres-query Q        append ?Q to our server's PostgreSQL URL
                            (e.g. host=/var/run/postgresql: Unix socket)
  --mysql-query Q           append ?Q to our server's MariaDB URL
                            (e.g. socket=/run/mysqld/mysqld.sock)

Open-loop mode (instead of closed loop; the seeding stays closed loop):
  --rate R                  offer R req/s to every scenario, at fixed intervals
  --rate-from-upstream-x X  offer X times upstream's recorded throughput:
                            list 56.0, test list 613.9, unsigned upload 29.7,
                            signed upload 27.6 req/s (X = 20: 1120, 12278, 594, 552)
  --rate-connections N      connections (default: rate x 25 ms, 16..1024)
  --upstream-rate-x X       offer upstream X times its recorded throughput
                            instead (e.g. 1: its own closed-loop rate); alone,
                            runs upstream open loop and ours closed loop
  Latency runs from each request's scheduled send time (no coordinated
  omission); `late` counts sends that left >1 ms after schedule.

Environment: REFSTACK_SHARED_DATA (guidelines and golden test list),
REFSTACK_TEST_POSTGRES_URL and REFSTACK_TEST_MYSQL_URL (database servers with
a user that may create databases). Needs ssh-keygen, openssl, psql, mysql
and python3 on PATH.";

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * 2 + 1
}

impl Options {
    pub(crate) fn parse<I: IntoIterator<Item = String>>(args: I) -> anyhow::Result<Self> {
        let mut o = Options {
            ours: true,
            upstream: true,
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            connections: 8,
            seed_runs: 2000,
            tests: 300,
            backends: vec![Backend::Sqlite, Backend::Postgres, Backend::Mysql],
            server_bin: None,
            upstream_venv: std::env::var_os("REFSTACK_UPSTREAM_VENV")
                .map_or_else(|| PathBuf::from("/work/upstream/venv"), PathBuf::from),
            upstream_workers: default_workers(),
            keep: false,
            rate: None,
            rate_connections: None,
            upstream_rate_x: None,
            postgres_query: None,
            mysql_query: None,
            uploads_only: false,
            latency_log: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value =
                |name: &str| args.next().with_context(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--ours-only" => o.upstream = false,
                "--upstream-only" => o.ours = false,
                "--duration" => o.duration = secs(&value("--duration")?)?,
                "--warmup" => o.warmup = secs(&value("--warmup")?)?,
                "--connections" => o.connections = number(&value("--connections")?)?,
                "--seed-runs" => o.seed_runs = number(&value("--seed-runs")?)?,
                "--tests" => o.tests = number(&value("--tests")?)?,
                "--backends" => {
                    o.backends = value("--backends")?
                        .split(',')
                        .map(|b| Backend::parse(b.trim()))
                        .collect::<anyhow::Result<_>>()?;
                }
                "--server-bin" => o.server_bin = Some(PathBuf::from(value("--server-bin")?)),
                "--upstream-venv" => o.upstream_venv = PathBuf::from(value("--upstream-venv")?),
                "--upstream-workers" => {
                    o.upstream_workers = number(&value("--upstream-workers")?)?;
                }
                "--keep" => o.keep = true,
                "--uploads-only" => o.uploads_only = true,
                "--latency-log" => o.latency_log = Some(PathBuf::from(value("--latency-log")?)),
                "--rate" => o.rate = Some(RateMode::Fixed(positive(&value("--rate")?)?)),
                "--rate-from-upstream-x" => {
                    o.rate = Some(RateMode::UpstreamTimes(positive(&value(
                        "--rate-from-upstream-x",
                    )?)?));
                }
                "--upstream-rate-x" => {
                    o.upstream_rate_x = Some(positive(&value("--upstream-rate-x")?)?);
                }
                "--postgres-query" => o.postgres_query = Some(value("--postgres-query")?),
                "--mysql-query" => o.mysql_query = Some(value("--mysql-query")?),
                "--rate-connections" => {
                    o.rate_connections = Some(number(&value("--rate-connections")?)?);
                }
                "-h" | "--help" => bail!("{USAGE}"),
                other => bail!("unknown option {other:?}\n\n{USAGE}"),
            }
        }
        if !o.ours && !o.upstream {
            bail!("--ours-only and --upstream-only exclude each other");
        }
        if o.connections == 0 || o.tests == 0 || o.upstream_workers == 0 {
            bail!("--connections, --tests and --upstream-workers must be positive");
        }
        if o.rate_connections == Some(0) {
            bail!("--rate-connections must be positive");
        }
        if o.backends.is_empty() {
            bail!("--backends needs at least one backend");
        }
        Ok(o)
    }
}

fn secs(text: &str) -> anyhow::Result<Duration> {
    let s: f64 = text
        .parse()
        .with_context(|| format!("{text:?} is not a number of seconds"))?;
    if !(s.is_finite() && s >= 0.0) {
        bail!("{text:?} is not a number of seconds");
    }
    Ok(Duration::from_secs_f64(s))
}

fn positive(text: &str) -> anyhow::Result<f64> {
    let v: f64 = number(text)?;
    if !(v.is_finite() && v > 0.0) {
        bail!("{text:?} is not a positive number");
    }
    Ok(v)
}

fn number<T: std::str::FromStr>(text: &str) -> anyhow::Result<T> {
    text.parse()
        .map_err(|_| anyhow::anyhow!("{text:?} is not a number"))
}

/// Runs a command, failing with its output when it fails.
pub(crate) fn run_tool(cmd: &mut Command) -> anyhow::Result<()> {
    tool_output(cmd).map(drop)
}

/// Runs a tool; its standard output, or an error with both outputs when
/// it fails.
pub(crate) fn tool_output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("running {cmd:?} (is it installed?)"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The shared data directory, as `.ci/run` finds it.
fn shared_data(root: &Path) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("REFSTACK_SHARED_DATA") {
        return Ok(PathBuf::from(dir));
    }
    for cand in [
        root.join("../shared/data"),
        PathBuf::from("/work/shared/data"),
    ] {
        if cand.join("guidelines").is_dir() {
            return Ok(cand);
        }
    }
    bail!("the shared data set was not found; set REFSTACK_SHARED_DATA")
}

/// The request bodies and expectations shared by both servers.
struct Workload {
    upload: Vec<u8>,
    signature: String,
    public_key: String,
    seed: Vec<u8>,
    golden: String,
}

/// One measured scenario.
struct Measured {
    scenario: &'static str,
    stats: Stats,
}

const SCENARIOS: [&str; 6] = [
    "results list, page 1",
    "2020.06 platform test list",
    "upload, unsigned",
    "upload, signed",
    "profile, signed in (cookie)",
    "my results, signed in (cookie)",
];

fn scenario_label(name: &str, o: &Options) -> String {
    if name.starts_with("upload") {
        format!("{name} ({} tests)", o.tests)
    } else if name.starts_with("results list") {
        format!("{name} ({} runs stored)", o.seed_runs)
    } else {
        name.to_owned()
    }
}

/// Runs every scenario against the server at `addr`.
fn bench_server(
    label: &str,
    addr: SocketAddr,
    w: &Workload,
    o: &Options,
    rate: Option<RateMode>,
    signed_in: bool,
) -> anyhow::Result<Vec<Measured>> {
    let timed = |scenario: &'static str, req: &Request, expect: u16| -> anyhow::Result<Measured> {
        eprintln!("loadbench: {label}: {scenario} ...");
        // The signed-in reads (no upstream figure) get the anonymous list's rate.
        let index = SCENARIOS
            .iter()
            .position(|s| *s == scenario)
            .filter(|i| *i < UPSTREAM_REQ_S.len())
            .unwrap_or(0);
        let stats = match rate {
            None => run_timed(addr, req, expect, o.connections, o.warmup, o.duration)?,
            Some(mode) => {
                let schedule = Schedule::new(mode.rate(index), o.warmup, o.duration)?;
                let connections = o
                    .rate_connections
                    .unwrap_or_else(|| connections_for_rate(schedule.rate(), RATE_BUDGET));
                run_rate(addr, req, expect, connections, schedule)?
            }
        };
        eprintln!(
            "loadbench: {label}: {scenario}: {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, {} late",
            stats.throughput(),
            stats.percentile_ms(50.0),
            stats.percentile_ms(99.0),
            stats.errors,
            stats.late
        );
        if let Some(e) = &stats.first_error {
            eprintln!("loadbench: {label}: {scenario}: first error: {e}");
        }
        if let Some(dir) = &o.latency_log
            && !stats.timeline_us.is_empty()
        {
            write_timeline(dir, label, scenario, &stats.timeline_us)?;
        }
        Ok(Measured { scenario, stats })
    };
    let mut out = Vec::new();
    if !o.uploads_only {
        seed_and_read(label, addr, w, o, &timed, &mut out)?;
    }

    // 4. and 5. Uploads.
    let unsigned = Request::post_json(addr, "/v1/results/", &[], &w.upload);
    out.push(timed(SCENARIOS[2], &unsigned, 201)?);
    let signed = Request::post_json(
        addr,
        "/v1/results/",
        &[
            ("X-Signature", &w.signature),
            ("X-Public-Key", &w.public_key),
        ],
        &w.upload,
    );
    out.push(timed(SCENARIOS[3], &signed, 201)?);

    // 6. and 7. Signed in with a session cookie (ours, `--dev-login`).
    if signed_in && !o.uploads_only {
        signed_in_reads(label, addr, &timed, &mut out)?;
    }
    Ok(out)
}

/// Scenarios 6 and 7: sign in through the dev-login form as the user of the signed
/// uploads, check the answers once, then time them.
fn signed_in_reads(
    label: &str,
    addr: SocketAddr,
    timed: &dyn Fn(&'static str, &Request, u16) -> anyhow::Result<Measured>,
    out: &mut Vec<Measured>,
) -> anyhow::Result<()> {
    let form = format!(
        "openid={}",
        servers::BENCH_OPENID
            .replace(':', "%3A")
            .replace('/', "%2F")
    );
    let signin = Request::post_form(addr, "/v1/auth/dev_login", form.as_bytes());
    let answer = send_once(addr, &signin)?;
    let Some(cookie) = answer
        .cookies
        .iter()
        .find(|c| c.starts_with("refstack="))
        .cloned()
    else {
        bail!(
            "{label}: dev login answered {} without a session cookie: {}",
            answer.status,
            answer.text()
        );
    };
    let headers = [("Cookie", cookie.as_str())];
    let profile = Request::get_with(addr, "/v1/profile", &headers);
    let first = send_once(addr, &profile)?;
    if first.status != 200 || !first.text().contains(servers::BENCH_OPENID) {
        bail!(
            "{label}: GET /v1/profile with the cookie answered {}: {}",
            first.status,
            first.text()
        );
    }
    out.push(timed(SCENARIOS[4], &profile, 200)?);
    let mine = Request::get_with(addr, "/v1/results?signed&page=1", &headers);
    let first = send_once(addr, &mine)?;
    if first.status != 200 || total_pages(&first.text()).unwrap_or(0) == 0 {
        bail!(
            "{label}: GET /v1/results?signed with the cookie answered {}: {}",
            first.status,
            first.text()
        );
    }
    out.push(timed(SCENARIOS[5], &mine, 200)?);
    Ok(())
}

/// Scenarios 1 to 3: seed the stored runs, then the list and the test list.
fn seed_and_read(
    label: &str,
    addr: SocketAddr,
    w: &Workload,
    o: &Options,
    timed: &dyn Fn(&'static str, &Request, u16) -> anyhow::Result<Measured>,
    out: &mut Vec<Measured>,
) -> anyhow::Result<()> {
    // 1. Seed.
    eprintln!(
        "loadbench: {label}: seeding {} anonymous runs of {} tests ...",
        o.seed_runs, o.tests
    );
    let seed = Request::post_json(addr, "/v1/results/", &[], &w.seed);
    let stats = run_count(addr, &seed, 201, o.connections, o.seed_runs)?;
    eprintln!(
        "loadbench: {label}: stored {} anonymous runs of {} tests ({} bytes of JSON each) in {:.1} s",
        o.seed_runs,
        o.tests,
        w.seed.len(),
        stats.window.as_secs_f64()
    );
    let list = Request::get(addr, "/v1/results?page=1");
    let first = send_once(addr, &list)?;
    let pages = total_pages(&first.text());
    let expected_pages = o.seed_runs.div_ceil(RESULTS_PER_PAGE);
    if first.status != 200 || pages != Some(expected_pages) {
        bail!(
            "{label}: GET /v1/results answered {} with total_pages {pages:?}, expected {expected_pages}: {}",
            first.status,
            first.text()
        );
    }

    // 2. List.
    out.push(timed(SCENARIOS[0], &list, 200)?);

    // 3. Test list, checked once against the golden file.
    let tests = Request::get(addr, TEST_LIST_PATH);
    let answer = send_once(addr, &tests)?;
    if answer.status != 200 {
        bail!(
            "{label}: test list answered {}: {}",
            answer.status,
            answer.text()
        );
    }
    if answer.text() != w.golden {
        eprintln!(
            "loadbench: WARNING: {label}: the test list differs from {GOLDEN_LIST} ({} vs {} bytes)",
            answer.body.len(),
            w.golden.len()
        );
    }
    out.push(timed(SCENARIOS[1], &tests, 200)?);
    Ok(())
}

/// Writes `(scheduled send ms, latency ms)` lines to `<dir>/<label>-<scenario>.csv`.
fn write_timeline(
    dir: &Path,
    label: &str,
    scenario: &str,
    timeline_us: &[(u64, u64)],
) -> anyhow::Result<()> {
    let slug: String = format!("{label}-{scenario}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{slug}.csv"));
    let mut text = String::from("scheduled_ms,latency_ms\n");
    for (at, us) in timeline_us {
        text.push_str(&format!(
            "{:.3},{:.3}\n",
            *at as f64 / 1000.0,
            *us as f64 / 1000.0
        ));
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("loadbench: wrote {}", path.display());
    Ok(())
}

/// `total_pages` of a results page (either JSON spacing).
fn total_pages(body: &str) -> Option<u64> {
    let rest = &body[body.find("\"total_pages\"")? + "\"total_pages\"".len()..];
    let digits: String = rest
        .trim_start_matches([':', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Builds `refstack-server` in release mode and returns the binary.
fn build_server(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("loadbench: cargo build --release -p refstack-server ...");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "-p",
            "refstack-server",
            "--bin",
            "refstack-server",
        ])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p refstack-server failed");
    }
    let meta = crate::cargo_stdout(root, &["metadata", "--format-version", "1", "--no-deps"])?;
    let target = json_string_field(&meta, "target_directory")
        .context("no target_directory in cargo metadata")?;
    Ok(Path::new(&target).join("release/refstack-server"))
}

/// The value of the first `"key":"..."` string field (no escapes in paths).
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":\"");
    let start = json.find(&pat)? + pat.len();
    let end = json[start..].find('"')? + start;
    Some(json[start..end].replace("\\\\", "\\"))
}

/// Entry point of `cargo xtask loadbench`.
pub(crate) fn run<I: IntoIterator<Item = String>>(root: &Path, args: I) -> anyhow::Result<()> {
    let args: Vec<String> = args.into_iter().collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return Ok(());
    }
    let o = Options::parse(args)?;
    if cfg!(debug_assertions) {
        eprintln!(
            "loadbench: note: this xtask is an unoptimised build; the load generator then \
             takes more CPU from the servers under test. For figures run \
             `cargo run --release -p xtask -- loadbench ...`."
        );
    }
    let data = shared_data(root)?;
    let guidelines = data.join("guidelines");
    let golden_text = std::fs::read_to_string(data.join(GOLDEN_LIST))
        .with_context(|| format!("reading {GOLDEN_LIST}"))?;
    let all_tests = tests_from_list(&golden_text);
    if all_tests.len() < o.tests {
        bail!(
            "the golden list has {} distinct tests, fewer than --tests {}",
            all_tests.len(),
            o.tests
        );
    }
    let upload_tests: &[TestEntry] = &all_tests[..o.tests];

    let work = std::env::temp_dir().join(format!("refstack-loadbench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    eprintln!("loadbench: work directory {}", work.display());

    let key = SigningKey::generate(&work)?;
    let upload = upload_body("loadbench-cloud-1", 1234, upload_tests).into_bytes();
    let workload = Workload {
        signature: key.sign_hex(&work, &upload)?,
        public_key: key.public_line.clone(),
        // Seeded runs are as large as the measured uploads (`--tests`, 300 by default), so
        // that the list is measured over a realistically sized database.
        seed: upload_body("loadbench-seed", 1, upload_tests).into_bytes(),
        upload,
        golden: golden_text.trim_end_matches('\n').to_owned(),
    };
    let dbs = Databases {
        postgres: DbUrl::parse(
            &std::env::var("REFSTACK_TEST_POSTGRES_URL").unwrap_or_else(|_| {
                "postgres://refstack:refstack@127.0.0.1:5432/postgres".to_owned()
            }),
            5432,
        )?,
        mysql: DbUrl::parse(
            &std::env::var("REFSTACK_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://refstack:refstack@127.0.0.1:3306/mysql".to_owned()),
            3306,
        )?,
    };

    let mut runs: Vec<(String, Vec<Measured>)> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        if o.ours {
            let bin = match &o.server_bin {
                Some(b) => b.clone(),
                None => build_server(root)?,
            };
            for &backend in &o.backends {
                let mut url = servers::fresh_database(backend, &dbs, &work)?;
                let query = match backend {
                    Backend::Postgres => o.postgres_query.as_deref(),
                    Backend::Mysql => o.mysql_query.as_deref(),
                    Backend::Sqlite => None,
                };
                if let Some(q) = query {
                    url = format!("{url}?{q}");
                }
                let label = format!("ours ({})", backend.label());
                eprintln!("loadbench: starting {label}");
                let (_server, addr) = servers::start_ours(&bin, &url, &guidelines, &key, &work)?;
                runs.push((
                    label.clone(),
                    bench_server(&label, addr, &workload, &o, o.rate, true)?,
                ));
            }
        }
        if o.upstream {
            let compare = root.join("benches/compare");
            servers::ensure_upstream_venv(
                &o.upstream_venv,
                &compare.join("server_upstream_requirements.txt"),
            )?;
            eprintln!("loadbench: starting upstream RefStack 2.1.0");
            let up: Upstream = servers::start_upstream(
                &o.upstream_venv,
                &compare,
                &dbs.mysql,
                &guidelines,
                &key,
                o.upstream_workers,
                &work,
            )?;
            let label = format!("upstream 2.1.0 (MariaDB, {} workers)", up.workers);
            let rate = o.upstream_rate_x.map(RateMode::UpstreamTimes).or(o.rate);
            runs.push((
                label.clone(),
                bench_server(&label, up.addr, &workload, &o, rate, false)?,
            ));
        }
        Ok(())
    })();

    if !runs.is_empty() {
        println!("{}", report(&runs, &o));
        let settings = servers::database_settings(
            &dbs,
            o.ours && o.backends.contains(&Backend::Postgres),
            o.upstream || (o.ours && o.backends.contains(&Backend::Mysql)),
        );
        if !settings.is_empty() {
            println!("Database settings during the run:\n");
            for line in settings {
                println!("- {line}");
            }
            println!();
        }
    }
    if o.keep || result.is_err() {
        eprintln!("loadbench: work directory kept: {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

/// The Markdown report: one table of figures, one of ratios.
fn report(runs: &[(String, Vec<Measured>)], o: &Options) -> String {
    if o.rate.is_some() || o.upstream_rate_x.is_some() {
        return rate_report(runs, o);
    }
    let mut s = format!(
        "Load: {} connections, {:.0} s measured after {:.0} s warm-up per scenario, \
         {} tests per upload, {} stored runs for the list.\n\n",
        o.connections,
        o.duration.as_secs_f64(),
        o.warmup.as_secs_f64(),
        o.tests,
        o.seed_runs
    );
    s.push_str(
        "| scenario | server | req/s | p50 ms | p99 ms | errors |\n|---|---|---:|---:|---:|---:|\n",
    );
    for name in SCENARIOS {
        for (label, measured) in runs {
            if let Some(m) = measured.iter().find(|m| m.scenario == name) {
                s.push_str(&format!(
                    "| {} | {label} | {:.1} | {:.2} | {:.2} | {} |\n",
                    scenario_label(name, o),
                    m.stats.throughput(),
                    m.stats.percentile_ms(50.0),
                    m.stats.percentile_ms(99.0),
                    m.stats.errors
                ));
            }
        }
    }
    let upstream = runs.iter().find(|(l, _)| l.starts_with("upstream"));
    let ours: Vec<_> = runs.iter().filter(|(l, _)| l.starts_with("ours")).collect();
    if let (Some((_, up)), false) = (upstream, ours.is_empty()) {
        s.push_str(
            "\nRatios ours/upstream (throughput: higher is better; p99: lower is better)\n\n\
             | scenario | ours | req/s ratio | p99 ratio |\n|---|---|---:|---:|\n",
        );
        for name in SCENARIOS {
            let Some(u) = up.iter().find(|m| m.scenario == name) else {
                continue;
            };
            for (label, measured) in &ours {
                if let Some(m) = measured.iter().find(|m| m.scenario == name) {
                    s.push_str(&format!(
                        "| {} | {label} | {} | {} |\n",
                        scenario_label(name, o),
                        ratio(m.stats.throughput(), u.stats.throughput()),
                        ratio(m.stats.percentile_ms(99.0), u.stats.percentile_ms(99.0)),
                    ));
                }
            }
        }
    }
    s
}

/// The Markdown report of an open-loop run.
fn rate_report(runs: &[(String, Vec<Measured>)], o: &Options) -> String {
    let conns = o.rate_connections.map_or_else(
        || {
            format!(
                "rate x {} ms connections (16..1024)",
                RATE_BUDGET.as_millis()
            )
        },
        |n| format!("{n} connections"),
    );
    let mut s = format!(
        "Open loop: fixed-rate sends, latency from the scheduled send time, {conns}, \
         {:.0} s measured after {:.0} s warm-up per scenario, {} tests per upload, \
         {} stored runs for the list. \"late\" = sends that left >1 ms after schedule.\n\n",
        o.duration.as_secs_f64(),
        o.warmup.as_secs_f64(),
        o.tests,
        o.seed_runs
    );
    s.push_str(
        "| scenario | server | offered req/s | achieved req/s | p50 ms | p99 ms | errors | late |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for name in SCENARIOS {
        for (label, measured) in runs {
            if let Some(m) = measured.iter().find(|m| m.scenario == name) {
                s.push_str(&format!(
                    "| {} | {label} | {} | {:.1} | {:.2} | {:.2} | {} | {} |\n",
                    scenario_label(name, o),
                    m.stats
                        .target_rate
                        .map_or_else(|| "closed loop".to_owned(), |r| format!("{r:.1}")),
                    m.stats.throughput(),
                    m.stats.percentile_ms(50.0),
                    m.stats.percentile_ms(99.0),
                    m.stats.errors,
                    m.stats.late
                ));
            }
        }
    }
    s
}

fn ratio(a: f64, b: f64) -> String {
    if b <= 0.0 {
        return "n/a".to_owned();
    }
    let r = a / b;
    if r >= 10.0 {
        format!("{r:.0}x")
    } else if r >= 1.0 {
        format!("{r:.1}x")
    } else {
        format!("{r:.3}x")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Options> {
        Options::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn options() -> anyhow::Result<()> {
        let o = parse(&[])?;
        assert!(o.ours && o.upstream);
        assert_eq!(o.duration, Duration::from_secs(10));
        assert_eq!(o.tests, 300);
        assert_eq!(o.seed_runs, 2000);
        let o = parse(&[
            "--ours-only",
            "--duration",
            "2.5",
            "--backends",
            "sqlite, postgres",
            "--connections",
            "4",
        ])?;
        assert!(o.ours && !o.upstream);
        assert_eq!(o.duration, Duration::from_millis(2500));
        assert_eq!(o.backends, [Backend::Sqlite, Backend::Postgres]);
        assert_eq!(o.connections, 4);
        assert!(parse(&["--upstream-only"])?.ours.eq(&false));
        assert!(parse(&["--ours-only", "--upstream-only"]).is_err());
        assert!(parse(&["--duration"]).is_err());
        assert!(parse(&["--duration", "-1"]).is_err());
        assert!(parse(&["--connections", "0"]).is_err());
        assert!(parse(&["--backends", "oracle"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert_eq!(o.rate, None);
        let o = parse(&["--rate", "250"])?;
        assert_eq!(o.rate, Some(RateMode::Fixed(250.0)));
        let o = parse(&["--rate-from-upstream-x", "20", "--rate-connections", "64"])?;
        assert_eq!(o.rate, Some(RateMode::UpstreamTimes(20.0)));
        assert_eq!(o.rate_connections, Some(64));
        assert!(parse(&["--rate", "0"]).is_err());
        assert!(parse(&["--rate", "fast"]).is_err());
        assert!(parse(&["--rate-from-upstream-x", "-2"]).is_err());
        assert!(parse(&["--rate-connections", "0"]).is_err());
        let o = parse(&[
            "--upstream-rate-x",
            "1",
            "--postgres-query",
            "host=/run/postgresql",
            "--mysql-query",
            "socket=/run/mysqld/mysqld.sock",
        ])?;
        assert_eq!(o.upstream_rate_x, Some(1.0));
        assert_eq!(o.postgres_query.as_deref(), Some("host=/run/postgresql"));
        assert_eq!(
            o.mysql_query.as_deref(),
            Some("socket=/run/mysqld/mysqld.sock")
        );
        assert!(parse(&["--upstream-rate-x", "0"]).is_err());
        assert!(parse(&["--uploads-only"])?.uploads_only);
        assert_eq!(
            parse(&["--latency-log", "/tmp/x"])?.latency_log,
            Some(PathBuf::from("/tmp/x"))
        );
        assert!(!parse(&[])?.uploads_only);
        Ok(())
    }

    #[test]
    fn upstream_multiple_rates() {
        let x20 = RateMode::UpstreamTimes(20.0);
        let rates: Vec<f64> = (0..SCENARIOS.len()).map(|i| x20.rate(i)).collect();
        for (got, want) in rates.iter().zip([1120.0, 12278.0, 594.0, 552.0]) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
        assert_eq!(RateMode::Fixed(7.0).rate(3), 7.0);
    }

    #[test]
    fn total_pages_in_both_spellings() {
        assert_eq!(
            total_pages(
                r#"{"results": [], "pagination": {"current_page": 1, "total_pages": 100}}"#
            ),
            Some(100)
        );
        assert_eq!(
            total_pages(r#"{"pagination":{"current_page":1,"total_pages":7}}"#),
            Some(7)
        );
        assert_eq!(total_pages("{}"), None);
    }

    #[test]
    fn metadata_target_directory() {
        let meta = r#"{"packages":[],"target_directory":"/work/target/api","version":1}"#;
        assert_eq!(
            json_string_field(meta, "target_directory").as_deref(),
            Some("/work/target/api")
        );
        assert_eq!(json_string_field(meta, "missing"), None);
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(300.0, 10.0), "30x");
        assert_eq!(ratio(15.0, 10.0), "1.5x");
        assert_eq!(ratio(8.37, 757.32), "0.011x");
        assert_eq!(ratio(1.0, 0.0), "n/a");
    }
}
