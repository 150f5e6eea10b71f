//! The `test` flow as a library function: configuration checks, CPID,
//! test-list normalisation, running Tempest with live progress, and the
//! results JSON, following refstack-client's steps and file naming.

use std::path::{Path, PathBuf};
use std::time::Instant;

use refstack_api_types::results::UploadRequest;
use refstack_subunit::{AsyncReader, Fold, FoldOptions, TestRecord, TestStatus};

use crate::conf::{Ini, KeystoneConfig};
use crate::cpid::{self, Cpid};
use crate::error::Error;
use crate::http::{self, HttpOptions};
use crate::progress::{Mode, Outcome, Progress};
use crate::record::{self, ListParams, RunRecord};
use crate::results;
use crate::sanitize::{self, Secrets};
use crate::tempest::{self, RunExit, RunOptions, TeeReader, Tempest, TempestEnv};
use crate::testlist::{self, Normalized};

/// Everything `test` needs.
#[derive(Debug, Clone)]
pub struct TestRunConfig {
    /// tempest.conf.
    pub conf_file: PathBuf,
    /// How to call Tempest.
    pub tempest: Tempest,
    /// A test list file or URL.
    pub test_list: Option<String>,
    /// Run in parallel instead of `--serial`.
    pub parallel: bool,
    /// Arguments after `--` (a bare first word means `--regex`).
    pub extra_args: Vec<String>,
    /// `-r TAG`: results go to `<TAG>-<N>.json`.
    pub result_tag: Option<String>,
    /// Where results go (default: `.stestr` in Tempest's directory).
    pub output_dir: Option<PathBuf>,
    /// `-k`: no certificate checks anywhere.
    pub insecure: bool,
    /// Let Tempest's stderr through.
    pub show_stderr: bool,
    /// Progress display.
    pub progress: Mode,
    /// What the run record says beyond what the run finds out.
    pub record: RecordOptions,
}

/// Inputs of the run record that only the caller knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// How the test list was made (taken from a RefStack test-list URL
    /// when not given).
    pub list: ListParams,
    /// The runner image (`registry/repo@sha256:…`) the run happens in.
    pub runner_image: Option<String>,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct TestRunOutcome {
    /// Tempest's exit.
    pub exit: RunExit,
    /// The cloud provider id, found before the run.
    pub cpid: Cpid,
    /// Test records in completion order (still-running ones last).
    pub records: Vec<TestRecord>,
    /// The results (upload payload).
    pub payload: UploadRequest,
    /// The results JSON written, if the run produced any test.
    pub json_path: Option<PathBuf>,
    /// The raw subunit v2 stream Tempest wrote.
    pub stream_path: PathBuf,
    /// The test-list matching, when a list was given.
    pub normalized: Option<Normalized>,
    /// The outcomes (class-level failures applied to `records`).
    pub verdict: Verdict,
    /// The run record written next to the results.
    pub record: RunRecord,
    /// Where it was written (`<stem>.run.json`).
    pub record_path: PathBuf,
}

/// Check the configuration file as refstack-client does.
pub fn check_conf_file(path: &Path) -> Result<(), Error> {
    if !path.is_file() {
        return Err(Error::Input {
            origin: path.display().to_string(),
            message: "Conf file not valid: not a file".into(),
        });
    }
    std::fs::File::open(path).map_err(|source| Error::Io {
        action: "read (You do not have read access to)",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// The results file stem: `<N>` or `<TAG>-<N>`, with N from stestr's
/// `next-stream` (0 when absent), moved past stems already used in `dir`.
pub fn result_stem(work_dir: &Path, dir: &Path, tag: Option<&str>) -> String {
    let next: u64 = std::fs::read_to_string(work_dir.join(".stestr").join("next-stream"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let stem = |n: u64| match tag {
        Some(t) => format!("{t}-{n}"),
        None => n.to_string(),
    };
    let mut n = next;
    while dir.join(format!("{}.json", stem(n))).exists()
        || dir.join(format!("{}.subunit", stem(n))).exists()
    {
        n += 1;
    }
    stem(n)
}

/// Translate the arguments after `--`: a bare first word (or several) is a
/// `--regex` (joined, Tempest splits it on blanks); options pass verbatim.
pub fn tempest_passthrough(extra: &[String]) -> Vec<String> {
    match extra.first() {
        None => Vec::new(),
        Some(first) if first.starts_with('-') => extra.to_vec(),
        Some(_) => {
            let split = extra
                .iter()
                .position(|a| a.starts_with('-'))
                .unwrap_or(extra.len());
            let mut out = vec!["--regex".to_string(), extra[..split].join(" ")];
            out.extend(extra[split..].iter().cloned());
            out
        }
    }
}

fn outcome_of(status: TestStatus) -> Option<Outcome> {
    match status {
        TestStatus::Success => Some(Outcome::Passed),
        TestStatus::ExpectedFail => Some(Outcome::ExpectedFailure),
        TestStatus::Fail => Some(Outcome::Failed),
        TestStatus::UnexpectedSuccess => Some(Outcome::UnexpectedSuccess),
        TestStatus::Skip => Some(Outcome::Skipped),
        TestStatus::Exists | TestStatus::InProgress => None,
    }
}

/// How many missing tests the warning names (the rest are in a file).
const MISSING_SHOWN: usize = 5;

/// A class-level fixture as unittest (Tempest) reports it when it fails:
/// the "test" `setUpClass (tempest.api.….ClassName)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    SetUp,
    TearDown,
}

/// The fixture and class path of a fixture record's id.
fn fixture_of(id: &str) -> Option<(Fixture, &str)> {
    let (kind, rest) = id.split_once(" (")?;
    let class = rest.strip_suffix(')')?;
    let kind = match kind {
        "setUpClass" => Fixture::SetUp,
        "tearDownClass" => Fixture::TearDown,
        _ => return None,
    };
    (!class.is_empty()).then_some((kind, class))
}

/// The class path of a test id: `a.b.C.test_x[id-…](scn)` → `a.b.C`.
fn class_of(id: &str) -> Option<&str> {
    let base = &id[..id.find(['[', '(']).unwrap_or(id.len())];
    base.rsplit_once('.').map(|(class, _)| class)
}

/// Makes class-level failures count as failures of the class's tests:
/// a failed `setUpClass (C)` fails each listed test of class `C` that did
/// not run (Tempest never starts them), a failed `tearDownClass (C)` each
/// passed test of `C`, with the fixture's traceback. Without a list only
/// the second applies (the fixture record itself is a failure anyway).
/// Returns the number of tests failed this way.
pub fn apply_class_failures(records: &mut Vec<TestRecord>, listed: Option<&[String]>) -> u64 {
    let failed: Vec<(Fixture, String, String)> = records
        .iter()
        .filter(|r| !matches!(r.status, TestStatus::Success | TestStatus::Skip))
        .filter_map(|r| {
            let (kind, class) = fixture_of(&r.id)?;
            let tb = r
                .attachment("traceback")
                .map(|a| a.text().into_owned())
                .unwrap_or_default();
            Some((kind, class.to_string(), tb))
        })
        .collect();
    let mut count = 0;
    let mut next_order = records.iter().map(|r| r.order + 1).max().unwrap_or(0);
    for (kind, class, tb) in failed {
        let why = |what: &str| refstack_subunit::Attachment {
            name: "traceback".into(),
            mime_type: "text/x-traceback; charset=utf8".into(),
            content: format!("{what} ({class}) failed:\n{tb}").into_bytes(),
        };
        match kind {
            Fixture::SetUp => {
                let Some(listed) = listed else { continue };
                let ran: std::collections::HashSet<&str> = records
                    .iter()
                    .filter(|r| r.status != TestStatus::Exists)
                    .map(|r| r.id.as_str())
                    .collect();
                let missing: Vec<String> = listed
                    .iter()
                    .filter(|id| class_of(id) == Some(class.as_str()) && !ran.contains(id.as_str()))
                    .cloned()
                    .collect();
                tracing::warn!(
                    "setUpClass ({class}) failed: {} listed test(s) of the class count as failed\n{}",
                    missing.len(),
                    tb.trim_end()
                );
                for id in missing {
                    let mut r = TestRecord::new(id, TestStatus::Fail);
                    r.attachments.push(why("setUpClass"));
                    r.order = next_order;
                    next_order += 1;
                    records.push(r);
                    count += 1;
                }
            }
            Fixture::TearDown => {
                let mut n = 0;
                for r in records.iter_mut().filter(|r| {
                    r.status == TestStatus::Success && class_of(&r.id) == Some(class.as_str())
                }) {
                    r.status = TestStatus::Fail;
                    r.attachments.push(why("tearDownClass"));
                    n += 1;
                }
                tracing::warn!(
                    "tearDownClass ({class}) failed: {n} passed test(s) of the class count as \
                     failed\n{}",
                    tb.trim_end()
                );
                count += n;
            }
        }
    }
    count
}

/// What a run's outcomes say, in the report's categories (an expected
/// failure is not a pass, as in the report and the upload).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Tests counted: the listed ones with a list, else those that ran.
    pub total: u64,
    /// Passed.
    pub passed: u64,
    /// Failed (a failed class fixture included).
    pub failed: u64,
    /// Of `failed`, by a failed `setUpClass`/`tearDownClass`.
    pub failed_by_fixture: u64,
    /// Skipped.
    pub skipped: u64,
    /// Expected failures.
    pub xfail: u64,
    /// Unexpected successes.
    pub uxsuccess: u64,
    /// Started, never finished.
    pub incomplete: u64,
    /// Listed but not in the run.
    pub not_run: u64,
    /// Counted over a test list.
    pub listed: bool,
}

impl Verdict {
    /// The outcomes of `records`: of the `listed` tests when given (a test
    /// that passed in any of its runs passed; `unmatched` more list entries
    /// this Tempest does not have count as not run), else of every test
    /// that ran.
    pub fn of(
        records: &[TestRecord],
        listed: Option<&[String]>,
        unmatched: u64,
        failed_by_fixture: u64,
    ) -> Self {
        use refstack_core::score::Outcome as O;
        let mut v = Verdict {
            failed_by_fixture,
            listed: listed.is_some(),
            ..Verdict::default()
        };
        let mut add = |o: O| {
            v.total += 1;
            match o {
                O::Passed => v.passed += 1,
                O::Failed => v.failed += 1,
                O::Skipped => v.skipped += 1,
                O::ExpectedFailure => v.xfail += 1,
                O::UnexpectedSuccess => v.uxsuccess += 1,
                O::Incomplete => v.incomplete += 1,
                O::NotRun => v.not_run += 1,
            }
        };
        match listed {
            Some(listed) => {
                let mut by_id: std::collections::HashMap<&str, O> =
                    std::collections::HashMap::new();
                for r in records.iter().filter(|r| r.status != TestStatus::Exists) {
                    let o = O::from(r.status);
                    by_id
                        .entry(r.id.as_str())
                        .and_modify(|e| {
                            if o == O::Passed {
                                *e = o;
                            }
                        })
                        .or_insert(o);
                }
                for id in listed {
                    add(by_id.get(id.as_str()).copied().unwrap_or(O::NotRun));
                }
                for _ in 0..unmatched {
                    add(O::NotRun);
                }
            }
            None => {
                for r in records.iter().filter(|r| r.status != TestStatus::Exists) {
                    add(O::from(r.status));
                }
            }
        }
        v
    }

    /// The rule of `test`'s exit status without `--guideline`: with a
    /// list, every listed test passed; without, at least one test ran and
    /// none failed, passed unexpectedly or did not finish (skips and
    /// expected failures allowed).
    pub fn ok(&self) -> bool {
        if self.listed {
            self.total > 0 && self.passed == self.total
        } else {
            self.total > 0 && self.failed == 0 && self.uxsuccess == 0 && self.incomplete == 0
        }
    }

    /// One line naming every category.
    pub fn line(&self) -> String {
        let fixture = if self.failed_by_fixture > 0 {
            format!(
                " ({} by a failed setUpClass/tearDownClass)",
                self.failed_by_fixture
            )
        } else {
            String::new()
        };
        format!(
            "{} {}: {} passed, {} failed{fixture}, {} skipped, {} expected failures, {} unexpected \
             successes, {} incomplete, {} not run",
            self.total,
            if self.listed { "listed tests" } else { "tests" },
            self.passed,
            self.failed,
            self.skipped,
            self.xfail,
            self.uxsuccess,
            self.incomplete,
            self.not_run
        )
    }
}

/// Normalise a test list against the installed Tempest and write the
/// include list; warn about unmatched entries and missing plugins.
async fn prepare_list(
    config: &TestRunConfig,
    env: &TempestEnv,
    location: &str,
    include_path: &Path,
) -> Result<(Normalized, String), Error> {
    tracing::info!("Normalizing test list...");
    let client = http::client(&HttpOptions {
        insecure: config.insecure,
        ..Default::default()
    })?;
    let list_text = testlist::read_list_text(&client, location).await?;
    let list = testlist::list_entries(&list_text);
    let known = config.tempest.list_tests(env).await?;
    let normalized = testlist::normalize(&list, &known);
    for (entry, ids) in &normalized.by_uuid {
        tracing::info!("{entry} matched by idempotent id: {}", ids.join(", "));
    }
    if !normalized.unmatched.is_empty() {
        // The count, the first few, and the whole list in a file (it can
        // hold hundreds of names; the log keeps one readable line).
        let missing_path = include_path.with_extension("missing");
        let mut text = normalized.unmatched.join("\n");
        text.push('\n');
        let written = match std::fs::write(&missing_path, text) {
            Ok(()) => format!("; all of them are listed in {}", missing_path.display()),
            Err(e) => format!("; cannot write {}: {e}", missing_path.display()),
        };
        tracing::warn!(
            "{}{written}",
            testlist::summarize(
                "test(s) of the list are not in this Tempest",
                &normalized.unmatched,
                MISSING_SHOWN
            )
        );
        tracing::debug!("not in this Tempest: {}", normalized.unmatched.join(", "));
        match config.tempest.list_plugins(env).await {
            Ok(plugins) => {
                for (root, package) in testlist::missing_plugins(&normalized.unmatched, &plugins) {
                    tracing::warn!(
                        "the test list needs tests from '{root}', but no installed Tempest plugin \
                         provides them: install {package} next to Tempest"
                    );
                }
            }
            Err(e) => tracing::debug!("cannot list Tempest plugins: {e}"),
        }
    }
    if normalized.ids.is_empty() {
        return Err(Error::Input {
            origin: location.to_string(),
            message: "Test list is either empty or no valid test cases for the tempest \
                      environment were found."
                .into(),
        });
    }
    tracing::debug!("Number of tests: {}", normalized.ids.len());
    testlist::write_include_list(include_path, &normalized.ids)?;
    Ok((normalized, list_text))
}

/// Run Tempest against the cloud of `config.conf_file` and write the results.
pub async fn run_tests(config: &TestRunConfig) -> Result<TestRunOutcome, Error> {
    let started_at = record::now_rfc3339();
    check_conf_file(&config.conf_file)?;
    let conf_bytes = std::fs::read(&config.conf_file).map_err(|source| Error::Io {
        action: "read",
        path: config.conf_file.clone(),
        source,
    })?;
    let conf_text = String::from_utf8_lossy(&conf_bytes).into_owned();
    let ini = Ini::parse(&conf_text, &config.conf_file)?;
    let secrets = Secrets::from_conf(&ini);
    let env = TempestEnv::for_conf(&config.conf_file)?;
    let keystone = KeystoneConfig::from_file(&config.conf_file)?;
    let work_dir = config.tempest.work_dir();
    let out_dir = config
        .output_dir
        .clone()
        .unwrap_or_else(|| work_dir.join(".stestr"));
    std::fs::create_dir_all(&out_dir).map_err(|source| Error::Io {
        action: "create the output directory",
        path: out_dir.clone(),
        source,
    })?;
    let stem = result_stem(&work_dir, &out_dir, config.result_tag.as_deref());

    let keystone_http = HttpOptions {
        insecure: config.insecure || keystone.disable_ssl_certificate_validation,
        ca_bundle: keystone.ca_certificates_file.clone(),
        timeout: None,
    };
    let cpid = cpid::discover(&http::client(&keystone_http)?, &keystone).await?;
    tracing::info!("CPID: {}", cpid.cpid);

    let started = Instant::now();
    let mut options = RunOptions {
        parallel: config.parallel,
        show_stderr: config.show_stderr,
        ..Default::default()
    };
    let mut normalized = None;
    let mut list_text = None;
    if let Some(location) = &config.test_list {
        let include_path = out_dir.join(format!("{stem}.include-list"));
        let (n, text) = prepare_list(config, &env, location, &include_path).await?;
        normalized = Some(n);
        list_text = Some(text);
        options.legacy_whitelist = !config.tempest.supports_include_list(&env).await;
        options.include_list = Some(include_path);
    }
    options.extra_args = tempest_passthrough(&config.extra_args)
        .into_iter()
        .map(Into::into)
        .collect();
    let total = normalized.as_ref().map(|n| n.ids.len() as u64);
    let suites = record::probe_suites(&config.tempest, &env).await;

    let stream_path = out_dir.join(format!("{stem}.subunit"));
    let raw = std::fs::File::create(&stream_path).map_err(|source| Error::Io {
        action: "create",
        path: stream_path.clone(),
        source,
    })?;
    tracing::info!("Starting Tempest test...");
    let mode = config.progress;
    let (exit, consumed) = tempest::run(&config.tempest, &env, &options, |stdout| async move {
        let mut progress = Progress::new(mode, total);
        let mut done: Vec<TestRecord> = Vec::new();
        let mut tee = TeeReader::new(stdout, std::io::BufWriter::new(raw));
        let options = FoldOptions::default();
        let mut fold = Fold::with_options(
            |mut r: TestRecord| {
                if let Some(o) = outcome_of(r.status) {
                    progress.finished(&r.id, o);
                }
                // Keep what explains a failure or a skip, nothing else
                // (logs can be large, and every record is kept).
                r.attachments
                    .retain(|a| a.name == "traceback" || a.name == "reason");
                done.push(r);
            },
            options,
        );
        let read = AsyncReader::new(&mut tee)
            .run(&mut fold)
            .await
            .map_err(|e| e.to_string());
        // Tests still running at the end are handed to the sink too.
        let _ = fold.finish();
        let _ = progress.finish();
        let (copy, copy_err) = tee.into_parts();
        let flushed = copy.into_inner().map_err(|e| e.error().to_string());
        (done, read, copy_err.map(|e| e.to_string()), flushed.err())
    })
    .await?;
    let (mut records, read, copy_err, flush_err) = consumed;
    if let Err(e) = read {
        tracing::warn!("reading Tempest's output failed: {e}");
    }
    if let Some(e) = copy_err.or(flush_err) {
        return Err(Error::Input {
            origin: stream_path.display().to_string(),
            message: format!("cannot keep the raw stream: {e}"),
        });
    }
    let duration = i64::try_from(started.elapsed().as_secs()).unwrap_or(i64::MAX);
    tracing::info!("Tempest test complete.");
    tracing::info!("Subunit results located in: {}", stream_path.display());

    let listed = normalized.as_ref().map(|n| n.ids.as_slice());
    let by_fixture = apply_class_failures(&mut records, listed);
    let unmatched = normalized.as_ref().map_or(0, |n| n.unmatched.len() as u64);
    let verdict = Verdict::of(&records, listed, unmatched, by_fixture);
    if !records.is_empty() {
        tracing::info!("{}", verdict.line());
    }
    let payload = results::payload(&records, cpid.cpid.clone(), duration);
    let json_path = if records.is_empty() {
        if exit.code != Some(0) {
            tracing::warn!(
                "tempest run did not produce any test result (exit code {:?}). Review the command \
                 and try again.",
                exit.code
            );
            for line in &exit.stderr_tail {
                eprintln!("  tempest: {line}");
            }
            if exit.stderr_tail.iter().any(|l| l.contains(".stestr.conf")) {
                tracing::warn!(
                    "{} is not a Tempest workspace: create one with `refstack-tester init DIR -c \
                     tempest.conf` (or `tempest init DIR`) and pass --tempest-dir DIR",
                    work_dir.display()
                );
            }
        }
        None
    } else {
        tracing::info!("Number of passed tests: {}", payload.results.len());
        let path = out_dir.join(format!("{stem}.json"));
        results::write_results_json(&path, &payload)?;
        tracing::info!("JSON results saved in: {}", path.display());
        Some(path)
    };
    let record = build_record(RecordParts {
        config,
        out_dir: &out_dir,
        stem: &stem,
        started_at,
        conf_bytes: &conf_bytes,
        conf_text: &conf_text,
        ini: &ini,
        secrets: &secrets,
        keystone: &keystone,
        cpid: &cpid,
        list_text: list_text.as_deref(),
        normalized: normalized.as_ref(),
        suites,
        stream_path: &stream_path,
        json_path: json_path.as_deref(),
        verdict: &verdict,
        exit_code: exit.code,
    })?;
    let record_path = out_dir.join(format!("{stem}{}", record::RECORD_SUFFIX));
    record::write_atomic(&record_path, &record.to_bytes()?)?;
    tracing::info!("Run record saved in: {}", record_path.display());
    if record.results.secrets_in_stream {
        tracing::warn!(
            "the subunit stream contains a secret of the configuration (a password or an \
             accounts.yaml value, in a log attachment): `publish` will refuse this run"
        );
    }
    Ok(TestRunOutcome {
        exit,
        cpid,
        records,
        payload,
        json_path,
        stream_path,
        normalized,
        verdict,
        record,
        record_path,
    })
}

/// What the run record is made of.
struct RecordParts<'a> {
    config: &'a TestRunConfig,
    out_dir: &'a Path,
    stem: &'a str,
    started_at: String,
    conf_bytes: &'a [u8],
    conf_text: &'a str,
    ini: &'a Ini,
    secrets: &'a Secrets,
    keystone: &'a KeystoneConfig,
    cpid: &'a Cpid,
    list_text: Option<&'a str>,
    normalized: Option<&'a Normalized>,
    suites: Vec<record::Suite>,
    stream_path: &'a Path,
    json_path: Option<&'a Path>,
    verdict: &'a Verdict,
    exit_code: Option<i32>,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Write the sanitised tempest.conf and the test list next to the results
/// and make the record naming them.
fn build_record(p: RecordParts<'_>) -> Result<RunRecord, Error> {
    let sanitised = sanitize::sanitise_conf(p.conf_text, p.secrets);
    let conf_name = format!("{}{}", p.stem, record::CONF_SUFFIX);
    record::write_atomic(&p.out_dir.join(&conf_name), sanitised.text.as_bytes())?;

    let test_list = match (p.list_text, p.config.test_list.as_deref()) {
        (Some(text), Some(location)) => {
            let name = format!("{}{}", p.stem, record::LIST_SUFFIX);
            record::write_atomic(&p.out_dir.join(&name), text.as_bytes())?;
            let params = ListParams::from_url(location, &p.config.record.list);
            let matched = p.normalized.map_or(0, |n| n.ids.len() as u64);
            let not_in_tempest = p.normalized.map_or(0, |n| n.unmatched.len() as u64);
            Some(record::TestListInfo {
                source: sanitize::clean_value(location, p.secrets),
                file: name,
                sha256: record::sha256_bytes(text.as_bytes()),
                count: testlist::list_entries(text).len() as u64,
                matched,
                not_in_tempest,
                types: params.types,
                alias: params.alias,
                flag: params.flag,
            })
        }
        _ => None,
    };

    let (subunit_sha256, subunit_bytes) = record::sha256_file(p.stream_path)?;
    let secrets_in_stream = p.secrets.found_in_file(p.stream_path)?;
    let results_sha256 = match p.json_path {
        Some(path) => Some(record::sha256_file(path)?.0),
        None => None,
    };
    let v = p.verdict;
    let cpid_source = match &p.cpid.source {
        cpid::CpidSource::KeystoneV3 => "keystone-v3-identity-service-id".to_string(),
        cpid::CpidSource::KeystoneV2 => "keystone-v2-identity-endpoint-id".to_string(),
        cpid::CpidSource::EndpointHash { .. } => "md5-of-keystone-host-name".to_string(),
    };
    let runner_image = p
        .config
        .record
        .runner_image
        .clone()
        .or_else(|| std::env::var("REFSTACK_RUNNER_IMAGE").ok())
        .filter(|s| !s.is_empty());
    Ok(RunRecord {
        schema: record::SCHEMA.to_string(),
        run_id: uuid::Uuid::now_v7().to_string(),
        started_at: p.started_at,
        finished_at: record::now_rfc3339(),
        tool: record::Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        host: record::Host {
            arch: std::env::consts::ARCH.to_string(),
            os: std::env::consts::OS.to_string(),
        },
        runner: record::Runner {
            image: runner_image.map(|i| sanitize::clean_value(&i, p.secrets)),
        },
        cloud: record::Cloud {
            cpid: p.cpid.cpid.clone(),
            cpid_source,
            keystone_url_sha256: record::sha256_bytes(p.keystone.auth_url.as_bytes()),
            region: p
                .ini
                .get("identity", "region")
                .map(|r| sanitize::clean_value(r, p.secrets)),
        },
        guideline: None,
        test_list,
        test_suites: p.suites,
        tempest_conf: record::ConfInfo {
            sha256: record::sha256_bytes(p.conf_bytes),
            file: conf_name,
            sanitised_sha256: record::sha256_bytes(sanitised.text.as_bytes()),
            redacted: sanitised.redacted,
            comments_removed: sanitised.comments_removed,
        },
        infra_params: sanitize::infra_params(p.ini, p.secrets),
        results: record::ResultsInfo {
            file: p.json_path.map(file_name),
            sha256: results_sha256,
            subunit_file: file_name(p.stream_path),
            subunit_sha256,
            subunit_bytes,
            secrets_in_stream,
            tempest_exit_code: p.exit_code,
            total: v.total,
            passed: v.passed,
            failed: v.failed,
            failed_by_fixture: v.failed_by_fixture,
            skipped: v.skipped,
            expected_failures: v.xfail,
            unexpected_successes: v.uxsuccess,
            incomplete: v.incomplete,
            not_run: v.not_run,
        },
        compliance: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passthrough() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            tempest_passthrough(&s(&["tempest.api.compute"])),
            s(&["--regex", "tempest.api.compute"])
        );
        assert_eq!(
            tempest_passthrough(&s(&["a", "b", "--concurrency", "2"])),
            s(&["--regex", "a b", "--concurrency", "2"])
        );
        assert_eq!(tempest_passthrough(&s(&["--smoke"])), s(&["--smoke"]));
        assert!(tempest_passthrough(&[]).is_empty());
    }

    #[test]
    fn class_level_failures() {
        assert_eq!(class_of("a.b.C.test_x[id-1,smoke](scn.d)"), Some("a.b.C"));
        assert_eq!(
            fixture_of("setUpClass (tempest.api.v.T)"),
            Some((Fixture::SetUp, "tempest.api.v.T"))
        );
        assert_eq!(fixture_of("tearDownClass ()"), None);
        assert_eq!(fixture_of("setUpModule (m)"), None);
        let mut fixture = TestRecord::new("setUpClass (a.C)", TestStatus::Fail);
        fixture.attachments.push(refstack_subunit::Attachment {
            name: "traceback".into(),
            mime_type: "text/plain".into(),
            content: b"boom".to_vec(),
        });
        let mut records = vec![
            fixture,
            TestRecord::new("a.D.test_ok", TestStatus::Success),
            TestRecord::new("a.E.test_ok", TestStatus::Success),
            TestRecord::new("tearDownClass (a.E)", TestStatus::Fail),
        ];
        let listed: Vec<String> = [
            "a.C.test_1[id-1]",
            "a.C.test_2",
            "a.D.test_ok",
            "a.E.test_ok",
            "a.F.test_x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let n = apply_class_failures(&mut records, Some(&listed));
        assert_eq!(n, 3);
        let v = Verdict::of(&records, Some(&listed), 1, n);
        assert_eq!(
            (v.total, v.passed, v.failed, v.not_run, v.failed_by_fixture),
            (6, 1, 3, 2, 3)
        );
        assert!(!v.ok());
        let c1 = records.iter().find(|r| r.id == "a.C.test_1[id-1]").unwrap();
        assert_eq!(c1.status, TestStatus::Fail);
        assert_eq!(
            c1.attachment("traceback").map(|a| a.text().into_owned()),
            Some("setUpClass (a.C) failed:\nboom".to_string())
        );
        // Without a list: the fixture records are the failures.
        let mut records = vec![
            TestRecord::new("setUpClass (a.C)", TestStatus::Fail),
            TestRecord::new("a.D.test_ok", TestStatus::Success),
            TestRecord::new("a.D.test_skip", TestStatus::Skip),
        ];
        assert_eq!(apply_class_failures(&mut records, None), 0);
        let v = Verdict::of(&records, None, 0, 0);
        assert_eq!((v.total, v.passed, v.failed, v.skipped), (3, 1, 1, 1));
        assert!(!v.ok());
        records.remove(0);
        assert!(Verdict::of(&records, None, 0, 0).ok());
        assert!(!Verdict::of(&[], None, 0, 0).ok());
    }

    #[test]
    fn stems() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(result_stem(d.path(), d.path(), None), "0");
        std::fs::create_dir(d.path().join(".stestr")).unwrap();
        std::fs::write(d.path().join(".stestr/next-stream"), "4\n").unwrap();
        assert_eq!(result_stem(d.path(), d.path(), Some("tag")), "tag-4");
        std::fs::write(d.path().join("4.json"), "{}").unwrap();
        assert_eq!(result_stem(d.path(), d.path(), None), "5");
    }
}
