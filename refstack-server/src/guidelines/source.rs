//! Guideline sources: a local directory and remote repositories in the Gitea
//! (upstream 2.1.0) or GitHub (older servers) contents API layout, with a TTL
//! cache of successful remote answers (reference §5.1-§5.3, §5.6), then the
//! published files compiled into the binary (`refstack-guidelines`).
//!
//! A configured source that fails is remembered until it answers again
//! ([`Sources::source_errors`]); the API sends the list in the
//! `X-Refstack-Guideline-Source-Errors` header and the UI shows it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use refstack_core::{Guideline, InvalidTarget, TestListQuery};
use serde::Deserialize;

use crate::config::{GuidelinesConfig, SourceConfig};

/// A guideline file known to a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidelineFile {
    /// File name, e.g. `2020.06.json` or `dns.2020.06.json`.
    pub file: String,
    /// The add-on prefix (`dns`) or `None` for a powered (platform) guideline.
    pub addon: Option<String>,
}

impl GuidelineFile {
    /// The listed version name: `2020.06.json` for both `2020.06.json` and
    /// `dns.2020.06.json`.
    pub fn name(&self) -> &str {
        match &self.addon {
            Some(p) => &self.file[p.len() + 1..],
            None => &self.file,
        }
    }
}

/// Why a file could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Every source answered that the file does not exist.
    NotFound,
    /// At least one source failed for another reason.
    Failed,
}

/// `YYYY.MM` or `next`.
fn is_version(s: &str) -> bool {
    if s == "next" {
        return true;
    }
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
}

/// Classifies a guideline file name: `Some(None)` for a powered guideline
/// (`2020.06.json`, `next.json`), `Some(Some(prefix))` for an add-on
/// (`dns.2020.06.json`), `None` for anything else.
pub fn classify(file: &str) -> Option<Option<String>> {
    let stem = file.strip_suffix(".json")?;
    if is_version(stem) {
        return Some(None);
    }
    let (prefix, version) = stem.split_once('.')?;
    let prefix_ok =
        !prefix.is_empty() && prefix.bytes().all(|c| c.is_ascii_lowercase() || c == b'_');
    (prefix_ok && is_version(version)).then(|| Some(prefix.to_owned()))
}

/// Normalises a requested guideline name (`2020.06`, `dns.2020.06.json`) to a
/// file name, or `None` if it cannot name a guideline file.
pub fn file_name(requested: &str) -> Option<String> {
    let file = if requested.contains(".json") {
        requested.to_owned()
    } else {
        format!("{requested}.json")
    };
    classify(&file).map(|_| file)
}

#[derive(Debug)]
enum Remote {
    Gitea {
        repo: String,
        git_ref: Option<String>,
    },
    Github {
        repo: String,
        raw: String,
        git_ref: String,
    },
}

impl Remote {
    fn from_config(c: &SourceConfig) -> Self {
        match c {
            SourceConfig::Gitea { repo_url, git_ref } => Self::Gitea {
                repo: repo_url.trim_end_matches('/').to_owned(),
                git_ref: git_ref.clone(),
            },
            SourceConfig::Github {
                repo_url,
                raw_url,
                git_ref,
            } => Self::Github {
                repo: repo_url.trim_end_matches('/').to_owned(),
                raw: raw_url.trim_end_matches('/').to_owned(),
                git_ref: git_ref.clone().unwrap_or_else(|| "master".into()),
            },
        }
    }

    /// The source's name in logs and error reports.
    fn label(&self) -> String {
        match self {
            Self::Gitea { repo, .. } => format!("gitea {repo}"),
            Self::Github { repo, .. } => format!("github {repo}"),
        }
    }

    fn ref_query(r: &Option<String>) -> String {
        r.as_ref().map(|r| format!("?ref={r}")).unwrap_or_default()
    }

    /// Listing URLs: add-ons first, then the main directory (upstream order).
    fn listing_urls(&self) -> Vec<String> {
        match self {
            Self::Gitea { repo, git_ref } => {
                let q = Self::ref_query(git_ref);
                vec![
                    format!("{repo}/contents/add-ons/guidelines{q}"),
                    format!("{repo}/contents/guidelines{q}"),
                ]
            }
            Self::Github { repo, git_ref, .. } => {
                let q = format!("?ref={git_ref}");
                vec![
                    format!("{repo}/contents/add-ons{q}"),
                    format!("{repo}/contents{q}"),
                ]
            }
        }
    }

    fn file_url(&self, file: &GuidelineFile) -> String {
        match self {
            Self::Gitea { repo, git_ref } => {
                let dir = if file.addon.is_some() {
                    "add-ons/guidelines"
                } else {
                    "guidelines"
                };
                format!("{repo}/raw/{dir}/{}{}", file.file, Self::ref_query(git_ref))
            }
            Self::Github { raw, git_ref, .. } => {
                let dir = if file.addon.is_some() { "add-ons/" } else { "" };
                format!("{raw}/{git_ref}/{dir}{}", file.file)
            }
        }
    }
}

#[derive(Deserialize)]
struct ListingEntry {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    path: String,
}

/// All configured guideline sources with their cache.
#[derive(Debug)]
pub struct Sources {
    dir: Option<PathBuf>,
    remotes: Vec<Remote>,
    builtin: bool,
    /// The configured sources whose last answer was a failure, by label
    /// ([`Sources::describe`]'s words), with the reason.
    health: Mutex<BTreeMap<String, String>>,
    client: reqwest::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Bytes)>>,
    /// Checked bodies by file name, served without I/O or a new check for
    /// `recheck` ([`RECHECK`]).
    fetched: Mutex<HashMap<String, (Instant, Bytes)>>,
    recheck: Duration,
    parsed: Mutex<HashMap<String, (Bytes, Arc<Guideline>)>>,
    /// Rendered test lists, for the parsed document they come from.
    lists: Mutex<Vec<RenderedList>>,
}

/// How long a fetched guideline file is served from memory before its
/// source is asked again (the local directory re-read, a remote body
/// re-checked against the remote cache of `cache_ttl_secs`): edits to the
/// directory show within a second, and busy endpoints do no file I/O or
/// JSON check per request.
const RECHECK: Duration = Duration::from_secs(1);

/// At most this many rendered test lists are kept (distinct file and
/// query pairs; the oldest go first).
const MAX_LISTS: usize = 64;

/// A test list rendered by `refstack_core::test_list_text`.
#[derive(Debug)]
struct RenderedList {
    file: String,
    query: TestListQuery,
    guideline: Arc<Guideline>,
    text: Result<Bytes, InvalidTarget>,
}

enum Got {
    Body(Bytes),
    NotFound,
    Failed(String),
}

impl Sources {
    /// Builds the sources of a configuration.
    pub fn new(cfg: &GuidelinesConfig) -> Self {
        crate::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.fetch_timeout_secs.max(1)))
            .user_agent(concat!("refstack-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            dir: cfg.dir.clone(),
            remotes: cfg
                .remote_sources()
                .iter()
                .map(Remote::from_config)
                .collect(),
            builtin: cfg.builtin,
            health: Mutex::new(BTreeMap::new()),
            client,
            ttl: Duration::from_secs(cfg.cache_ttl_secs),
            cache: Mutex::new(HashMap::new()),
            fetched: Mutex::new(HashMap::new()),
            recheck: RECHECK,
            parsed: Mutex::new(HashMap::new()),
            lists: Mutex::new(Vec::new()),
        }
    }

    /// A human-readable description of the sources, for the startup log.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.dir {
            parts.push(format!("dir {}", d.display()));
        }
        for r in &self.remotes {
            parts.push(r.label());
        }
        if self.builtin {
            parts.push(format!(
                "built-in ({} files of interop@{})",
                refstack_guidelines::ALL.len(),
                &refstack_guidelines::SOURCE_COMMIT[..10]
            ));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    /// The configured sources whose latest answer was a failure, each as
    /// `<source>: <reason>`, in name order; empty when all are fine.
    pub fn source_errors(&self) -> Vec<String> {
        self.health
            .lock()
            .map(|h| h.iter().map(|(k, v)| format!("{k}: {v}")).collect())
            .unwrap_or_default()
    }

    /// Records the outcome of asking source `label`.
    fn note(&self, label: &str, failure: Option<String>) {
        if let Ok(mut h) = self.health.lock() {
            match failure {
                Some(reason) => {
                    h.insert(label.to_owned(), reason);
                }
                None => {
                    h.remove(label);
                }
            }
        }
    }

    fn dir_label(dir: &std::path::Path) -> String {
        format!("dir {}", dir.display())
    }

    async fn get(&self, url: &str) -> Got {
        if let Ok(cache) = self.cache.lock()
            && let Some((at, body)) = cache.get(url)
            && at.elapsed() < self.ttl
        {
            return Got::Body(body.clone());
        }
        let resp = match self.client.get(url).send().await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(url, error = %e, "guideline source request failed");
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "cannot connect"
                } else {
                    "request failed"
                };
                return Got::Failed(format!("{kind} ({url})"));
            }
        };
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Got::NotFound;
        }
        if status != reqwest::StatusCode::OK {
            tracing::warn!(url, %status, "guideline source answered an error");
            return Got::Failed(format!("HTTP {} ({url})", status.as_u16()));
        }
        match resp.bytes().await {
            Ok(body) => {
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(url.to_owned(), (Instant::now(), body.clone()));
                }
                Got::Body(body)
            }
            Err(e) => {
                tracing::warn!(url, error = %e, "guideline source body failed");
                Got::Failed(format!("body not read ({url})"))
            }
        }
    }

    /// Lists `dir` into `out`; the reason when it cannot be read (add-on
    /// directories may be missing).
    fn list_dir(
        dir: &std::path::Path,
        addons: bool,
        out: &mut Vec<GuidelineFile>,
    ) -> Option<String> {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if addons && e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "guideline directory unreadable");
                return Some(format!("cannot read {}: {e}", dir.display()));
            }
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for file in names {
            if let Some(addon) = classify(&file)
                && addon.is_some() == addons
            {
                out.push(GuidelineFile { file, addon });
            }
        }
        None
    }

    /// Lists every guideline file of every source, de-duplicated by file name
    /// (the first source wins; the built-in files come last). Failing
    /// sources are logged, skipped and noted ([`Sources::source_errors`]).
    pub async fn list(&self) -> Vec<GuidelineFile> {
        let mut out = Vec::new();
        if let Some(dir) = &self.dir {
            let d = dir.clone();
            let listed = tokio::task::spawn_blocking(move || {
                let mut v = Vec::new();
                let failures = [
                    Self::list_dir(&d.join("add-ons"), true, &mut v),
                    Self::list_dir(&d.join("add-ons").join("guidelines"), true, &mut v),
                    Self::list_dir(&d, false, &mut v),
                ];
                (v, failures.into_iter().flatten().next())
            })
            .await;
            match listed {
                Ok((files, failure)) => {
                    out.extend(files);
                    self.note(&Self::dir_label(dir), failure);
                }
                Err(e) => self.note(&Self::dir_label(dir), Some(e.to_string())),
            }
        }
        for remote in &self.remotes {
            let mut failure = None;
            for url in remote.listing_urls() {
                let body = match self.get(&url).await {
                    Got::Body(body) => body,
                    Got::NotFound => continue,
                    Got::Failed(reason) => {
                        failure.get_or_insert(reason);
                        continue;
                    }
                };
                let Ok(entries) = serde_json::from_slice::<Vec<ListingEntry>>(&body) else {
                    tracing::warn!(url, "guideline listing is not a contents array");
                    failure.get_or_insert(format!("listing is not a contents array ({url})"));
                    continue;
                };
                for e in entries.into_iter().filter(|e| e.kind == "file") {
                    let Some(addon) = classify(&e.name) else {
                        continue;
                    };
                    // Upstream classifies by `'add-ons' in path`.
                    if e.path.contains("add-ons") != addon.is_some() {
                        continue;
                    }
                    out.push(GuidelineFile {
                        file: e.name,
                        addon,
                    });
                }
            }
            self.note(&remote.label(), failure);
        }
        if self.builtin {
            out.extend(refstack_guidelines::ALL.iter().map(|b| GuidelineFile {
                file: b.file.to_owned(),
                addon: b.addon.map(str::to_owned),
            }));
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|f| seen.insert(f.file.clone()));
        out
    }

    /// Fetches one guideline file (`2020.06.json`, `dns.2020.06.json`) from the
    /// first source that has it. The body is checked to be JSON. A body
    /// fetched less than [`RECHECK`] ago is served again as it is.
    ///
    /// Once that time is up, ONE caller asks the sources again: it restarts the
    /// clock before it does, so concurrent callers keep being served the body
    /// they had until it is done (on a busy endpoint, every request arriving
    /// during the re-read would otherwise read and check the file too, once a
    /// second). A re-read that fails drops the body; one abandoned midway is
    /// taken up by the first caller after the next [`RECHECK`].
    pub async fn fetch(&self, file: &str) -> Result<Bytes, FetchError> {
        if let Some(body) = self.fetched_or_claim(file) {
            return Ok(body);
        }
        let outcome = self.fetch_from_sources(file).await;
        if let Ok(mut fetched) = self.fetched.lock() {
            match &outcome {
                Ok(body) => {
                    fetched.insert(file.to_owned(), (Instant::now(), body.clone()));
                }
                Err(_) => {
                    fetched.remove(file);
                }
            }
        }
        outcome
    }

    /// The body of `file` fetched less than [`RECHECK`] ago, if any; otherwise `None`,
    /// and an expired body's clock is restarted: the caller re-reads it, the others keep
    /// being served it meanwhile.
    fn fetched_or_claim(&self, file: &str) -> Option<Bytes> {
        let mut fetched = self.fetched.lock().ok()?;
        let (at, body) = fetched.get_mut(file)?;
        if at.elapsed() < self.recheck {
            return Some(body.clone());
        }
        *at = Instant::now();
        None
    }

    async fn fetch_from_sources(&self, file: &str) -> Result<Bytes, FetchError> {
        let Some(addon) = classify(file) else {
            return Err(FetchError::NotFound);
        };
        let gf = GuidelineFile {
            file: file.to_owned(),
            addon,
        };
        let mut failed = false;
        if let Some(dir) = &self.dir {
            let mut failure = None;
            let candidates = if gf.addon.is_some() {
                vec![
                    dir.join("add-ons").join(file),
                    dir.join("add-ons").join("guidelines").join(file),
                ]
            } else {
                vec![dir.join(file)]
            };
            for path in candidates {
                match tokio::fs::read(&path).await {
                    Ok(body) if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() => {
                        self.note(&Self::dir_label(dir), None);
                        return Ok(Bytes::from(body));
                    }
                    Ok(_) => {
                        tracing::warn!(path = %path.display(), "guideline file is not JSON");
                        failure = Some(format!("{} is not JSON", path.display()));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "cannot read guideline");
                        failure = Some(format!("cannot read {}: {e}", path.display()));
                    }
                }
            }
            if failure.is_some() {
                failed = true;
                self.note(&Self::dir_label(dir), failure);
            }
        }
        for remote in &self.remotes {
            let url = remote.file_url(&gf);
            match self.get(&url).await {
                Got::Body(body)
                    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() =>
                {
                    self.note(&remote.label(), None);
                    return Ok(body);
                }
                Got::NotFound => {}
                Got::Body(_) => {
                    failed = true;
                    self.note(&remote.label(), Some(format!("not JSON ({url})")));
                }
                Got::Failed(reason) => {
                    failed = true;
                    self.note(&remote.label(), Some(reason));
                }
            }
        }
        // The published files: the answer whatever the sources above did
        // (their failures stay noted).
        if self.builtin
            && let Some(b) = refstack_guidelines::get(file)
        {
            return Ok(Bytes::from_static(b.json.as_bytes()));
        }
        Err(if failed {
            FetchError::Failed
        } else {
            FetchError::NotFound
        })
    }
}

/// Outcome of [`Sources::download_all`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Files written.
    pub saved: Vec<PathBuf>,
    /// Files listed but not fetched (logged).
    pub failed: Vec<String>,
}

impl Sources {
    /// Downloads every listed guideline file into `dir` (`dir/<file>`,
    /// add-ons in `dir/add-ons/<file>`), the layout of a local directory
    /// source (`refstack-server guidelines sync`).
    pub async fn download_all(&self, dir: &std::path::Path) -> std::io::Result<SyncReport> {
        let addons = dir.join("add-ons");
        tokio::fs::create_dir_all(&addons).await?;
        let mut report = SyncReport::default();
        for f in self.list().await {
            match self.fetch(&f.file).await {
                Ok(body) => {
                    let target = if f.addon.is_some() { &addons } else { dir }.join(&f.file);
                    tokio::fs::write(&target, &body).await?;
                    report.saved.push(target);
                }
                Err(e) => {
                    tracing::warn!(file = %f.file, error = ?e, "download failed");
                    report.failed.push(f.file);
                }
            }
        }
        Ok(report)
    }

    /// [`Sources::fetch`] parsed by refstack-core; the parsed document is
    /// reused while the fetched bytes do not change. A document that does
    /// not parse counts as a failed source.
    pub async fn parsed(&self, file: &str) -> Result<Arc<Guideline>, FetchError> {
        let body = self.fetch(file).await?;
        if let Ok(cache) = self.parsed.lock()
            && let Some((bytes, g)) = cache.get(file)
            && (bytes.as_ptr() == body.as_ptr() && bytes.len() == body.len() || *bytes == body)
        {
            return Ok(g.clone());
        }
        let g = match Guideline::from_json(&body) {
            Ok(g) => Arc::new(g),
            Err(e) => {
                tracing::warn!(file, error = %e, "guideline does not parse");
                return Err(FetchError::Failed);
            }
        };
        if let Ok(mut cache) = self.parsed.lock() {
            cache.insert(file.to_owned(), (body, g.clone()));
        }
        Ok(g)
    }

    /// `refstack_core::test_list_text` of `guideline` (parsed from `file`),
    /// rendered once per document and query.
    pub fn test_list(
        &self,
        file: &str,
        guideline: &Arc<Guideline>,
        query: &TestListQuery,
    ) -> Result<Bytes, InvalidTarget> {
        if let Ok(lists) = self.lists.lock()
            && let Some(l) = lists.iter().find(|l| {
                l.file == file && l.query == *query && Arc::ptr_eq(&l.guideline, guideline)
            })
        {
            return l.text.clone();
        }
        let text = refstack_core::test_list_text(guideline, query).map(Bytes::from);
        if let Ok(mut lists) = self.lists.lock() {
            lists.retain(|l| !(l.file == file && l.query == *query));
            if lists.len() >= MAX_LISTS {
                lists.remove(0);
            }
            lists.push(RenderedList {
                file: file.to_owned(),
                query: query.clone(),
                guideline: guideline.clone(),
                text: text.clone(),
            });
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_names() {
        assert_eq!(classify("2020.06.json"), Some(None));
        assert_eq!(classify("next.json"), Some(None));
        assert_eq!(classify("dns.2020.06.json"), Some(Some("dns".into())));
        assert_eq!(
            classify("shared_file_system.next.json"),
            Some(Some("shared_file_system".into()))
        );
        assert_eq!(classify("2020.6.json"), None);
        assert_eq!(classify("schema.json"), None);
        assert_eq!(classify("../2020.06.json"), None);
        assert_eq!(classify("DNS.2020.06.json"), None);
        assert_eq!(file_name("2020.06"), Some("2020.06.json".into()));
        assert_eq!(
            file_name("dns.2020.06.json"),
            Some("dns.2020.06.json".into())
        );
        assert_eq!(file_name("x/2020.06"), None);
    }

    fn dir_sources(dir: &std::path::Path, recheck: Duration) -> Sources {
        let mut s = Sources::new(&GuidelinesConfig {
            dir: Some(dir.to_path_buf()),
            sources: Some(Vec::new()),
            builtin: false,
            cache_ttl_secs: 60,
            fetch_timeout_secs: 1,
        });
        s.recheck = recheck;
        s
    }

    const DOC: &str = r#"{"schema": "1.2", "platform": {"required": ["compute"]},
        "components": {"compute": {"required": ["c"]}},
        "capabilities": {"c": {"tests": ["z.t", "a.t"], "flagged": []}}}"#;

    #[tokio::test]
    async fn fetched_files_are_served_from_memory_until_rechecked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2020.06.json");
        std::fs::write(&path, DOC).unwrap();
        let s = dir_sources(dir.path(), Duration::from_secs(3600));
        let first = s.fetch("2020.06.json").await.unwrap();
        std::fs::write(&path, DOC.replace("z.t", "y.t")).unwrap();
        let again = s.fetch("2020.06.json").await.unwrap();
        // Same allocation: no read, no JSON check.
        assert_eq!(again.as_ptr(), first.as_ptr());
        // With no grace period the directory is read on every fetch.
        let s = dir_sources(dir.path(), Duration::ZERO);
        assert!(s.fetch("2020.06.json").await.unwrap().ends_with(b"}"));
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(
            s.fetch("2020.06.json").await,
            Err(FetchError::Failed)
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            s.fetch("2020.06.json").await,
            Err(FetchError::NotFound)
        ));
    }

    /// While one caller re-reads an expired file, the others are served the body they
    /// had, without reading the file themselves; a re-read abandoned midway is taken up
    /// after the next period.
    #[tokio::test]
    async fn one_caller_rechecks_while_the_others_keep_the_body() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2020.06.json");
        std::fs::write(&path, DOC).unwrap();
        let s = dir_sources(dir.path(), Duration::from_secs(60));
        let file = "2020.06.json";
        assert!(s.fetched_or_claim(file).is_none(), "never fetched");
        let first = s.fetch(file).await.unwrap();
        let expire = || {
            let mut fetched = s.fetched.lock().unwrap();
            let (at, _) = fetched.get_mut(file).unwrap();
            *at = Instant::now()
                .checked_sub(s.recheck)
                .expect("the machine has been up for longer than a minute");
        };
        expire();
        assert!(
            s.fetched_or_claim(file).is_none(),
            "expired: this caller re-reads"
        );
        let other = s.fetched_or_claim(file).expect("the others are served");
        assert_eq!(other.as_ptr(), first.as_ptr(), "the body they had");
        // The claiming caller gave up (e.g. its request was dropped): once the period is
        // over again, the next caller claims the re-read.
        std::fs::write(&path, DOC.replace("z.t", "y.t")).unwrap();
        assert_eq!(
            s.fetch(file).await.unwrap().as_ptr(),
            first.as_ptr(),
            "not yet"
        );
        expire();
        let fresh = s.fetch(file).await.unwrap();
        assert!(std::str::from_utf8(&fresh).unwrap().contains("y.t"));
        assert_eq!(s.fetched_or_claim(file), Some(fresh));
    }

    #[tokio::test]
    async fn test_lists_are_rendered_once_per_document_and_query() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir_sources(dir.path(), Duration::ZERO);
        let g = Arc::new(Guideline::from_json(DOC.as_bytes()).unwrap());
        let q = TestListQuery {
            target: refstack_core::Target::Platform,
            statuses: refstack_core::StatusFilter::All,
            alias: true,
            flagged: true,
        };
        let a = s.test_list("2020.06.json", &g, &q).unwrap();
        assert_eq!(&a[..], b"a.t\nz.t");
        let b = s.test_list("2020.06.json", &g, &q).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_ptr(), b.as_ptr(), "served from the cache");
        // Another document (a refreshed file) is rendered again.
        let g2 = Arc::new(Guideline::from_json(DOC.as_bytes()).unwrap());
        let c = s.test_list("2020.06.json", &g2, &q).unwrap();
        assert_eq!(c, a);
        assert_eq!(
            s.lists.lock().unwrap().len(),
            1,
            "the stale entry is replaced"
        );
        // Another query is another entry; the cache stays bounded.
        for i in 0..(MAX_LISTS + 5) {
            s.test_list(&format!("{i}.json"), &g, &q).unwrap();
        }
        assert_eq!(s.lists.lock().unwrap().len(), MAX_LISTS);
    }

    #[test]
    fn urls_per_layout() {
        let g = Remote::from_config(&SourceConfig::Gitea {
            repo_url: "http://h/api/v1/repos/o/r/".into(),
            git_ref: Some("v2".into()),
        });
        assert_eq!(
            g.listing_urls(),
            [
                "http://h/api/v1/repos/o/r/contents/add-ons/guidelines?ref=v2",
                "http://h/api/v1/repos/o/r/contents/guidelines?ref=v2"
            ]
        );
        let f = GuidelineFile {
            file: "dns.2020.06.json".into(),
            addon: Some("dns".into()),
        };
        assert_eq!(
            g.file_url(&f),
            "http://h/api/v1/repos/o/r/raw/add-ons/guidelines/dns.2020.06.json?ref=v2"
        );
        assert_eq!(f.name(), "2020.06.json");
        let gh = Remote::from_config(&SourceConfig::Github {
            repo_url: "http://h/repos/o/r".into(),
            raw_url: "http://raw/o/r".into(),
            git_ref: None,
        });
        assert_eq!(
            gh.file_url(&f),
            "http://raw/o/r/master/add-ons/dns.2020.06.json"
        );
        assert_eq!(
            gh.listing_urls()[1],
            "http://h/repos/o/r/contents?ref=master"
        );
    }
}
