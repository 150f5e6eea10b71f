//! The run record (`refstack.run/v1`): what a `test` run tested, with
//! what, against which infrastructure, and what came out, written next to
//! the results as `<stem>.run.json` with the sanitised tempest.conf
//! (`<stem>.tempest.conf`) and the exact test list (`<stem>.test-list`).
//!
//! A *run directory* is a directory holding one record and the files it
//! names (`test`'s output directory, or what `pull` wrote): [`RunDir`].
//! The field names are stable (README, "Run records"); fields are only
//! ever added.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::error::Error;

/// The schema name every record carries.
pub const SCHEMA: &str = "refstack.run/v1";
/// The record's file name suffix (`<stem>.run.json`).
pub const RECORD_SUFFIX: &str = ".run.json";
/// The sanitised tempest.conf's suffix.
pub const CONF_SUFFIX: &str = ".tempest.conf";
/// The test list's suffix.
pub const LIST_SUFFIX: &str = ".test-list";

/// A run record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// A UUID (v7) made for this run.
    pub run_id: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When the run ended.
    pub finished_at: String,
    /// The tool that ran it.
    pub tool: Tool,
    /// The machine it ran on.
    pub host: Host,
    /// The runner image, when the run happened in one.
    pub runner: Runner,
    /// The cloud.
    pub cloud: Cloud,
    /// The guideline scored against (absent when none was given).
    pub guideline: Option<GuidelineInfo>,
    /// The test list run (absent without `--test-list`).
    pub test_list: Option<TestListInfo>,
    /// Tempest and its plugins.
    pub test_suites: Vec<Suite>,
    /// tempest.conf.
    pub tempest_conf: ConfInfo,
    /// The allow-listed infrastructure options (`section.option`).
    pub infra_params: BTreeMap<String, String>,
    /// What came out.
    pub results: ResultsInfo,
    /// The compliance verdict, when scored against a guideline.
    pub compliance: Option<Compliance>,
}

/// `tool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `refstack-tester`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// `host`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// `x86_64`, `aarch64`, …
    pub arch: String,
    /// `linux`, …
    pub os: String,
}

/// `runner`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runner {
    /// `registry/repo@sha256:…` of the runner image (`REFSTACK_RUNNER_IMAGE`).
    pub image: Option<String>,
}

impl Runner {
    /// The `sha256:…` digest of the image, if it is pinned by one.
    pub fn image_digest(&self) -> Option<&str> {
        let image = self.image.as_deref()?;
        let (_, digest) = image.rsplit_once('@')?;
        crate::oci::valid_digest(digest).then_some(digest)
    }
}

/// `cloud`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cloud {
    /// The cloud provider id.
    pub cpid: String,
    /// How it was found (`keystone`, or the fallback's reason).
    pub cpid_source: String,
    /// `sha256:` of the Keystone token URL (the URL itself is not recorded).
    pub keystone_url_sha256: String,
    /// `[identity] region`.
    pub region: Option<String>,
}

/// `guideline`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuidelineInfo {
    /// The version (`2020.06`) or the file name given.
    pub id: String,
    /// `built-in`, `file` or `server`.
    pub source: String,
    /// SHA-256 of the guideline's bytes.
    pub sha256: String,
    /// The target scored.
    pub target: String,
}

/// `test_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestListInfo {
    /// Where it came from (a file name or a URL, credentials removed).
    pub source: String,
    /// The copy next to the record.
    pub file: String,
    /// SHA-256 of the list's bytes.
    pub sha256: String,
    /// Entries (lines that are not blank or comments).
    pub count: u64,
    /// Entries found in this Tempest.
    pub matched: u64,
    /// Entries this Tempest does not have.
    pub not_in_tempest: u64,
    /// The capability statuses the list was made of (`required`, …).
    pub types: Option<Vec<String>>,
    /// Whether aliases were included.
    pub alias: Option<bool>,
    /// Whether flagged tests were included.
    pub flag: Option<bool>,
}

/// One entry of `test_suites`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suite {
    /// Distribution name (`tempest`, `designate-tempest-plugin`) or plugin name.
    pub name: String,
    /// Installed version.
    pub version: Option<String>,
    /// Where it was installed from (URL, credentials removed).
    pub repo: Option<String>,
    /// The git commit installed.
    pub commit: Option<String>,
    /// The plugin's entry point (`tempest list-plugins`).
    pub entry_point: Option<String>,
}

/// `tempest_conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfInfo {
    /// SHA-256 of the file as used (never published).
    pub sha256: String,
    /// The sanitised copy next to the record.
    pub file: String,
    /// SHA-256 of the sanitised copy.
    pub sanitised_sha256: String,
    /// `section.option` of every value replaced or cleaned.
    pub redacted: Vec<String>,
    /// Comment lines dropped.
    pub comments_removed: u64,
}

/// `results`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsInfo {
    /// The results JSON (absent when no test ran).
    pub file: Option<String>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// The raw subunit v2 stream.
    pub subunit_file: String,
    /// Its SHA-256.
    pub subunit_sha256: String,
    /// Its size.
    pub subunit_bytes: u64,
    /// Whether a secret of the configuration occurs in the stream (a
    /// Tempest log attachment): `publish` refuses such a run.
    pub secrets_in_stream: bool,
    /// Tempest's exit code (`None`: killed by a signal).
    pub tempest_exit_code: Option<i32>,
    /// Tests counted (the listed ones with a list).
    pub total: u64,
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Of `failed`, by a failed class fixture.
    pub failed_by_fixture: u64,
    /// Skipped.
    pub skipped: u64,
    /// Expected failures.
    pub expected_failures: u64,
    /// Unexpected successes.
    pub unexpected_successes: u64,
    /// Started, never finished.
    pub incomplete: u64,
    /// Listed, not run.
    pub not_run: u64,
}

/// `compliance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compliance {
    /// The guideline id.
    pub guideline: String,
    /// The target.
    pub target: String,
    /// The verdict.
    pub compliant: bool,
}

/// `sha256:<hex>` of bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// `sha256:<hex>` and size of a file, read in pieces.
pub fn sha256_file(path: &Path) -> Result<(String, u64), Error> {
    let io = |source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), size))
}

/// Now, RFC 3339 UTC with seconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0);
    now.unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Write `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp~");
    let io = |source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

impl RunRecord {
    /// The record as written: pretty JSON and a final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Input {
            origin: "run record".into(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Parse a record; the schema must be [`SCHEMA`].
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, Error> {
        let r: Self = serde_json::from_slice(bytes).map_err(|e| Error::Input {
            origin: origin.to_string(),
            message: format!("not a run record: {e}"),
        })?;
        if r.schema != SCHEMA {
            return Err(Error::Input {
                origin: origin.to_string(),
                message: format!(
                    "unknown run record schema '{}' (expected {SCHEMA})",
                    r.schema
                ),
            });
        }
        Ok(r)
    }

    /// The stem of the record's files (`0`, `tag-3`), from the subunit
    /// file name.
    pub fn stem(&self) -> &str {
        self.results
            .subunit_file
            .strip_suffix(".subunit")
            .unwrap_or(&self.results.subunit_file)
    }
}

/// A directory holding one run: its record and the files it names.
#[derive(Debug, Clone)]
pub struct RunDir {
    /// The directory.
    pub dir: PathBuf,
    /// The record's path.
    pub record_path: PathBuf,
    /// The record.
    pub record: RunRecord,
}

/// A file name a record may name: a plain name in the same directory.
pub fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).file_name().is_some_and(|n| n == name)
}

impl RunDir {
    /// Open a run: `path` is a record file, or a directory holding exactly
    /// one `*.run.json`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let record_path = if path.is_dir() {
            let mut found = Vec::new();
            let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
                action: "list",
                path: path.to_path_buf(),
                source,
            })?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(RECORD_SUFFIX) {
                    found.push(name);
                }
            }
            found.sort();
            match found.as_slice() {
                [one] => path.join(one),
                [] => {
                    return Err(Error::Input {
                        origin: path.display().to_string(),
                        message: format!(
                            "no run record (*{RECORD_SUFFIX}) in this directory: run \
                             `refstack-tester test` with --output-dir, or `pull` a run into it"
                        ),
                    });
                }
                many => {
                    return Err(Error::Input {
                        origin: path.display().to_string(),
                        message: format!(
                            "{} run records here ({}): name one of them",
                            many.len(),
                            many.join(", ")
                        ),
                    });
                }
            }
        } else {
            path.to_path_buf()
        };
        let bytes = std::fs::read(&record_path).map_err(|source| Error::Io {
            action: "read the run record",
            path: record_path.clone(),
            source,
        })?;
        let record = RunRecord::from_bytes(&bytes, &record_path.display().to_string())?;
        let dir = record_path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let run = Self {
            dir,
            record_path,
            record,
        };
        for name in run.file_names() {
            if !plain_file_name(name) {
                return Err(Error::Input {
                    origin: run.record_path.display().to_string(),
                    message: format!("the record names '{name}', which is not a plain file name"),
                });
            }
        }
        Ok(run)
    }

    /// The names of the files the record names.
    pub fn file_names(&self) -> Vec<&str> {
        let r = &self.record;
        let mut names = vec![
            r.results.subunit_file.as_str(),
            r.tempest_conf.file.as_str(),
        ];
        names.extend(r.results.file.as_deref());
        names.extend(r.test_list.as_ref().map(|l| l.file.as_str()));
        names
    }

    /// A file of the run by name.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The results JSON, if the run has one.
    pub fn results_json(&self) -> Option<PathBuf> {
        self.record.results.file.as_deref().map(|f| self.path(f))
    }

    /// The subunit stream.
    pub fn subunit(&self) -> PathBuf {
        self.path(&self.record.results.subunit_file)
    }

    /// Check every file the record names against its recorded SHA-256;
    /// their names, digests and sizes.
    pub fn verify(&self) -> Result<Vec<(String, String, u64)>, Error> {
        self.verify_files(true)
    }

    /// [`verify`](Self::verify), the stream (the one large file) left out
    /// when `stream` is false: `publish` sends it under the record's
    /// digest and the registry checks it as it arrives, so that it is
    /// read once, not twice.
    pub fn verify_files(&self, stream: bool) -> Result<Vec<(String, String, u64)>, Error> {
        let mut checked = Vec::new();
        for (name, sha) in self.expected(stream) {
            let (actual, size) = sha256_file(&self.path(name))?;
            if actual != sha {
                return Err(Error::Input {
                    origin: self.path(name).display().to_string(),
                    message: format!("SHA-256 {actual} differs from the record's {sha}"),
                });
            }
            checked.push((name.to_string(), actual, size));
        }
        Ok(checked)
    }

    /// Check the record against digests known to be right (the layers of
    /// a pulled artifact, verified as they arrived): every file it names
    /// must be there with the SHA-256 it says.
    pub fn verify_against(&self, known: &[(String, String)]) -> Result<(), Error> {
        for (name, sha) in self.expected(true) {
            match known.iter().find(|(n, _)| n == name) {
                Some((_, d)) if d == sha => {}
                Some((_, d)) => {
                    return Err(Error::Input {
                        origin: self.path(name).display().to_string(),
                        message: format!("SHA-256 {d} differs from the record's {sha}"),
                    });
                }
                None => {
                    return Err(Error::Input {
                        origin: self.record_path.display().to_string(),
                        message: format!("the record names {name}, which the artifact lacks"),
                    });
                }
            }
        }
        Ok(())
    }

    /// `(file, sha256)` of every file the record names (the stream too
    /// when `stream`).
    fn expected(&self, stream: bool) -> Vec<(&str, &str)> {
        let r = &self.record;
        let mut expected = vec![(
            r.tempest_conf.file.as_str(),
            r.tempest_conf.sanitised_sha256.as_str(),
        )];
        if stream {
            expected.push((
                r.results.subunit_file.as_str(),
                r.results.subunit_sha256.as_str(),
            ));
        }
        if let (Some(f), Some(s)) = (&r.results.file, &r.results.sha256) {
            expected.push((f, s));
        }
        if let Some(l) = &r.test_list {
            expected.push((&l.file, &l.sha256));
        }
        expected
    }
}

/// What `test` knows of the list beyond its bytes: how it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Capability statuses.
    pub types: Option<Vec<String>>,
    /// Aliases included.
    pub alias: Option<bool>,
    /// Flagged tests included.
    pub flag: Option<bool>,
}

impl ListParams {
    /// The parameters of a list fetched from a RefStack test-list URL
    /// (`…/v1/guidelines/V/tests?type=required&alias=true&flag=false`),
    /// overridden by the given ones.
    pub fn from_url(location: &str, given: &ListParams) -> ListParams {
        let mut p = ListParams::default();
        if let Ok(url) = reqwest::Url::parse(location)
            && matches!(url.scheme(), "http" | "https")
        {
            for (k, v) in url.query_pairs() {
                match k.as_ref() {
                    "type" => {
                        p.types = Some(
                            v.split(',')
                                .map(|s| s.trim().to_string())
                                .filter(|s| !s.is_empty())
                                .collect(),
                        );
                    }
                    "alias" => p.alias = parse_bool(&v),
                    "flag" => p.flag = parse_bool(&v),
                    _ => {}
                }
            }
        }
        ListParams {
            types: given.types.clone().or(p.types),
            alias: given.alias.or(p.alias),
            flag: given.flag.or(p.flag),
        }
    }
}

/// `true`/`false` as RefStack's query parameters spell them.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// The Python snippet run with Tempest's interpreter: versions, install
/// URLs and VCS commits of Tempest and of every plugin distribution.
const PROBE: &str = r#"
import json, importlib.metadata as m
out, seen = [], set()
def info(d, ep=None):
    r = {"name": d.metadata["Name"], "version": d.version}
    t = d.read_text("direct_url.json")
    if t:
        u = json.loads(t)
        r["repo"] = u.get("url")
        v = u.get("vcs_info") or {}
        if v.get("commit_id"):
            r["commit"] = v["commit_id"]
    if ep:
        r["entry_point"] = ep
    return r
try:
    out.append(info(m.distribution("tempest"))); seen.add("tempest")
except Exception:
    pass
for ep in m.entry_points(group="tempest.test_plugins"):
    d = getattr(ep, "dist", None)
    if d is not None and d.metadata["Name"] not in seen:
        seen.add(d.metadata["Name"]); out.append(info(d, ep.value))
print(json.dumps(out))
"#;

/// The Python interpreter Tempest runs with: `.venv/bin/python` of its
/// directory, else the `#!` line of its program.
fn tempest_python(t: &crate::tempest::Tempest) -> Option<PathBuf> {
    if let Some(dir) = &t.dir {
        let venv = dir.join(".venv/bin/python");
        if venv.is_file() {
            return Some(venv);
        }
    }
    let mut head = [0u8; 256];
    let n = std::fs::File::open(&t.program).ok()?.read(&mut head).ok()?;
    let line = std::str::from_utf8(head.get(..n)?)
        .ok()?
        .strip_prefix("#!")?;
    let line = line.lines().next()?.trim();
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let interp = if first.ends_with("/env") {
        words.next()?
    } else {
        first
    };
    interp.contains("python").then(|| PathBuf::from(interp))
}

/// Parse the probe's JSON (URLs lose their credentials).
pub fn parse_probe(text: &str) -> Vec<Suite> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(text.trim()) else {
        return Vec::new();
    };
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    items
        .iter()
        .filter_map(|i| {
            Some(Suite {
                name: s(i, "name")?,
                version: s(i, "version"),
                repo: s(i, "repo").map(|u| crate::sanitize::redact_urls(&u).0),
                commit: s(i, "commit"),
                entry_point: s(i, "entry_point"),
            })
        })
        .collect()
}

/// The commit of a git work tree, if `dir` is one.
async fn git_head(dir: &Path) -> Option<String> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let commit = text.trim();
    (out.status.success() && commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| commit.to_string())
}

/// Tempest and its plugins: through Tempest's Python interpreter when it
/// has one (versions, install URLs, VCS commits), else `tempest
/// --version`; plugins `tempest list-plugins` names are added; a runner
/// image's pinned suites (`REFSTACK_TEST_SUITES`) fill in repositories and
/// commits; a Tempest directory that is a git checkout gives Tempest's
/// commit.
pub async fn probe_suites(
    t: &crate::tempest::Tempest,
    env: &crate::tempest::TempestEnv,
) -> Vec<Suite> {
    let mut suites = Vec::new();
    if let Some(python) = tempest_python(t) {
        let out = tokio::process::Command::new(&python)
            .args(["-c", PROBE])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .await;
        if let Ok(out) = out
            && out.status.success()
        {
            suites = parse_probe(&String::from_utf8_lossy(&out.stdout));
        }
    }
    if !suites.iter().any(|s| s.name == "tempest") {
        let version = t.version(env).await;
        suites.insert(
            0,
            Suite {
                name: "tempest".into(),
                version,
                ..Suite::default()
            },
        );
    }
    if let Ok(plugins) = t.list_plugins(env).await {
        for (name, entry_point) in plugins {
            let known = suites
                .iter()
                .any(|s| s.entry_point.as_deref() == Some(entry_point.as_str()) || s.name == name);
            if !known {
                suites.push(Suite {
                    name,
                    entry_point: Some(entry_point),
                    ..Suite::default()
                });
            }
        }
    }
    // A runner image says what it was built from (its pinned commits).
    for pinned in crate::runner::image_suites().unwrap_or_default() {
        match suites.iter_mut().find(|s| s.name == pinned.name) {
            Some(s) => {
                s.repo = s.repo.take().or(pinned.repo);
                s.commit = s.commit.take().or(pinned.commit);
            }
            None => suites.push(pinned),
        }
    }
    if let Some(dir) = &t.dir
        && let Some(tempest) = suites.iter_mut().find(|s| s.name == "tempest")
        && tempest.commit.is_none()
    {
        tempest.commit = git_head(dir).await;
    }
    suites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_read_and_urls_cleaned() {
        let text = r#"[{"name": "tempest", "version": "40.0.0", "repo": "git+https://u:tok3n@opendev.org/openstack/tempest", "commit": "0123456789abcdef0123456789abcdef01234567"},
            {"name": "designate-tempest-plugin", "version": "0.21.0", "entry_point": "designate_tempest_plugin.plugin:DesignateTempestPlugin"}, {"version": "x"}]"#;
        let s = parse_probe(text);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].repo.as_deref(),
            Some("git+https://<redacted>@opendev.org/openstack/tempest")
        );
        assert_eq!(
            s[1].entry_point.as_deref(),
            Some("designate_tempest_plugin.plugin:DesignateTempestPlugin")
        );
        assert!(parse_probe("Traceback (most recent call last)").is_empty());
    }

    /// The probe through a real Python: Tempest installed from git (its
    /// `direct_url.json` names the commit, with credentials in the URL) and
    /// a plugin found through its `tempest.test_plugins` entry point.
    #[tokio::test]
    async fn probe_reads_the_installed_distributions() {
        if std::process::Command::new("python3")
            .arg("--version")
            .output()
            .map_or(true, |o| !o.status.success())
        {
            assert!(
                std::env::var("REFSTACK_CI").as_deref() != Ok("1"),
                "python3 not found (required under REFSTACK_CI=1)"
            );
            use std::io::Write as _;
            let _ = std::io::stderr().write_all(
                b"SKIPPED record::tests::probe_reads_the_installed_distributions: python3 not found\n",
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let dist = |name: &str, files: &[(&str, String)]| {
            let d = site.join(name);
            std::fs::create_dir_all(&d).unwrap();
            for (f, text) in files {
                std::fs::write(d.join(f), text).unwrap();
            }
        };
        let commit = "4f0b3a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70";
        dist(
            "tempest-40.0.0.dist-info",
            &[
                (
                    "METADATA",
                    "Metadata-Version: 2.1\nName: tempest\nVersion: 40.0.0\n".into(),
                ),
                (
                    "direct_url.json",
                    format!(
                        r#"{{"url": "https://ci:s3cr3t-t0ken@opendev.org/openstack/tempest", "vcs_info": {{"vcs": "git", "commit_id": "{commit}"}}}}"#
                    ),
                ),
            ],
        );
        dist(
            "designate_tempest_plugin-0.21.0.dist-info",
            &[
                (
                    "METADATA",
                    "Metadata-Version: 2.1\nName: designate-tempest-plugin\nVersion: 0.21.0\n".into(),
                ),
                (
                    "entry_points.txt",
                    "[tempest.test_plugins]\ndesignate_tests = designate_tempest_plugin.plugin:DesignateTempestPlugin\n".into(),
                ),
            ],
        );
        // `tempest` is a Python script whose interpreter sees `site`.
        let python = dir.path().join("python-with-site");
        std::fs::write(
            &python,
            format!(
                "#!/bin/sh\nPYTHONPATH={} exec python3 \"$@\"\n",
                site.display()
            ),
        )
        .unwrap();
        let tempest = dir.path().join("tempest");
        std::fs::write(
            &tempest,
            format!(
                "#!{}\nimport sys\nif sys.argv[1:] == ['list-plugins']:\n    print('| designate_tests | designate_tempest_plugin.plugin:DesignateTempestPlugin |')\n",
                python.display()
            ),
        )
        .unwrap();
        for f in [&python, &tempest] {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let conf = dir.path().join("tempest.conf");
        std::fs::write(&conf, "[identity]\n").unwrap();
        let t = crate::tempest::Tempest {
            program: tempest,
            prefix: Vec::new(),
            dir: None,
        };
        let env = crate::tempest::TempestEnv::for_conf(&conf).unwrap();
        let suites = probe_suites(&t, &env).await;
        assert_eq!(suites.len(), 2, "{suites:?}");
        assert_eq!(
            suites[0],
            Suite {
                name: "tempest".into(),
                version: Some("40.0.0".into()),
                repo: Some("https://<redacted>@opendev.org/openstack/tempest".into()),
                commit: Some(commit.into()),
                entry_point: None,
            }
        );
        assert_eq!(suites[1].name, "designate-tempest-plugin");
        assert_eq!(suites[1].version.as_deref(), Some("0.21.0"));
        assert_eq!(
            suites[1].entry_point.as_deref(),
            Some("designate_tempest_plugin.plugin:DesignateTempestPlugin")
        );
    }

    #[test]
    fn list_parameters_from_server_urls() {
        let p = ListParams::from_url(
            "https://r/v1/guidelines/2020.06/tests?target=platform&type=required,advisory&alias=true&flag=false",
            &ListParams::default(),
        );
        assert_eq!(
            p.types,
            Some(vec!["required".to_string(), "advisory".to_string()])
        );
        assert_eq!((p.alias, p.flag), (Some(true), Some(false)));
        let given = ListParams {
            flag: Some(true),
            ..ListParams::default()
        };
        assert_eq!(ListParams::from_url("list.txt", &given), given);
    }

    #[test]
    fn plain_names_only() {
        assert!(plain_file_name("0.json"));
        for bad in ["", ".", "..", "../x", "/etc/passwd", "a/b", "a\\b"] {
            assert!(!plain_file_name(bad), "{bad}");
        }
    }
}
