//! `publish`, `pull`, `runs`, and the run inputs of `report`, `upload` and
//! `upload-subunit` (a run directory or an `oci://` reference).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use oci_client::secrets::RegistryAuth;
use refstack_tester::oci::{self, RegistryOptions};
use refstack_tester::output;
use refstack_tester::record::RunDir;

use crate::cli::{GlobalArgs, PublishArgs, PullArgs, RegistryArgs, RunsArgs};

/// The registry options of the flags (the password from
/// REFSTACK_REGISTRY_PASSWORD or standard input).
pub(crate) fn registry_options(args: &RegistryArgs) -> Result<RegistryOptions> {
    let auth = match (&args.token, &args.username) {
        (Some(token), _) => Some(RegistryAuth::Bearer(token.clone())),
        (None, Some(user)) => {
            let password = if args.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the registry password from standard input")?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                std::env::var("REFSTACK_REGISTRY_PASSWORD").map_err(|_| {
                    anyhow::anyhow!(
                        "--username {user} needs a password: set REFSTACK_REGISTRY_PASSWORD or \
                         pass --password-stdin"
                    )
                })?
            };
            Some(RegistryAuth::Basic(user.clone(), password))
        }
        (None, None) => None,
    };
    Ok(RegistryOptions {
        auth,
        plain_http: args.plain_http.then_some(true),
        insecure: args.registry_insecure,
    })
}

/// The registry options of the environment only (`report`, `upload`,
/// `upload-subunit` with an `oci://` input): REFSTACK_REGISTRY_TOKEN, or
/// REFSTACK_REGISTRY_USERNAME with REFSTACK_REGISTRY_PASSWORD, else
/// auth.json, else anonymous.
fn env_registry_options() -> RegistryOptions {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let auth = match (
        var("REFSTACK_REGISTRY_TOKEN"),
        var("REFSTACK_REGISTRY_USERNAME"),
        var("REFSTACK_REGISTRY_PASSWORD"),
    ) {
        (Some(t), _, _) => Some(RegistryAuth::Bearer(t)),
        (None, Some(u), Some(p)) => Some(RegistryAuth::Basic(u, p)),
        _ => None,
    };
    RegistryOptions {
        auth,
        ..RegistryOptions::default()
    }
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A run given to `report` / `upload` / `upload-subunit`: a run directory
/// (or record), or an `oci://` reference pulled into a temporary
/// directory that goes away with this value.
pub(crate) struct RunInput {
    pub(crate) run: RunDir,
    _temp: Option<TempDir>,
}

/// Whether an input names a run rather than a results file or stream:
/// `oci://…`, a directory, or a `*.run.json`.
pub(crate) fn is_run_input(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.starts_with("oci://") || path.is_dir() || s.ends_with(refstack_tester::record::RECORD_SUFFIX)
}

/// Open a run input (see [`is_run_input`]); its files are checked against
/// the record's SHA-256s.
pub(crate) async fn open_run(path: &Path) -> Result<RunInput> {
    let s = path.to_string_lossy();
    if s.starts_with("oci://") {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "refstack-tester-pull-{}-{nanos:x}",
            std::process::id()
        ));
        // A new directory of our own (create_dir fails on anything there),
        // removed with the guard only once it is ours.
        std::fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let temp = TempDir(path);
        let pulled = oci::pull(&s, &temp.0, &env_registry_options()).await?;
        tracing::info!("pulled {s} ({})", pulled.digest);
        return Ok(RunInput {
            run: pulled.run,
            _temp: Some(temp),
        });
    }
    let run = RunDir::open(path)?;
    run.verify()?;
    Ok(RunInput { run, _temp: None })
}

pub(crate) async fn publish(args: PublishArgs, global: &GlobalArgs) -> Result<u8> {
    let options = registry_options(&args.registry)?;
    let run = RunDir::open(&args.run_dir)?;
    let started = std::time::Instant::now();
    let p = oci::publish(&run, &args.reference, &options, args.subject.as_deref()).await?;
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        "{} blob(s) pushed ({} bytes, {:.1} MB/s), {} already in the registry",
        p.blobs_pushed,
        p.bytes_pushed,
        if secs > 0.0 {
            p.bytes_pushed as f64 / 1e6 / secs
        } else {
            0.0
        },
        p.blobs_skipped
    );
    if let Some(s) = &p.subject {
        tracing::info!("subject: {s}");
    }
    if global.json {
        return super::print_json(&output::Published::from(p)).map(|()| 0);
    }
    let repo = p
        .reference
        .rsplit_once(':')
        .map_or(p.reference.as_str(), |(r, _)| r)
        .to_string();
    super::out::print(format!(
        "Published {}\nDigest: {}\nPull: refstack-tester pull {repo}@{} DIR\n",
        p.reference, p.digest, p.digest
    ))?;
    Ok(0)
}

pub(crate) async fn pull(args: PullArgs, global: &GlobalArgs) -> Result<u8> {
    let options = registry_options(&args.registry)?;
    let p = oci::pull(&args.reference, &args.dir, &options).await?;
    let r = &p.run.record;
    if global.json {
        return super::print_json(&output::Pulled {
            reference: args.reference.clone(),
            digest: p.digest.clone(),
            record_file: p.run.record_path.clone(),
            cpid: r.cloud.cpid.clone(),
        })
        .map(|()| 0);
    }
    super::out::print(format!(
        "Pulled {} into {}\nDigest: {}\nRecord: {} (cpid {}, {} passed, {} failed)\n",
        args.reference,
        args.dir.display(),
        p.digest,
        p.run.record_path.display(),
        r.cloud.cpid,
        r.results.passed,
        r.results.failed
    ))?;
    Ok(0)
}

pub(crate) async fn runs(args: RunsArgs, global: &GlobalArgs) -> Result<u8> {
    let options = registry_options(&args.registry)?;
    let list = oci::runs(&args.repository, &args.subject, &options).await?;
    if global.json {
        let refs: Vec<output::RunRef> = list
            .into_iter()
            .map(|r| output::RunRef {
                digest: r.digest,
                annotations: r.annotations,
            })
            .collect();
        return super::print_json(&refs).map(|()| 0);
    }
    let mut text = String::new();
    for r in &list {
        let a = |k: &str| r.annotations.get(k).map_or("-", String::as_str);
        text.push_str(&format!(
            "{} {} guideline={} target={} cpid={} compliant={}\n",
            r.digest,
            a(oci::ANN_CREATED),
            a(oci::ANN_GUIDELINE),
            a(oci::ANN_TARGET),
            a(oci::ANN_CPID),
            a(oci::ANN_COMPLIANT),
        ));
    }
    if list.is_empty() {
        tracing::info!("no run refers to {}", args.subject);
    }
    super::out::print(text)?;
    Ok(0)
}
