//! Runner images: a Containerfile and a run spec with Tempest and its
//! plugins pinned by repository and commit ([`init`]), built with podman
//! or buildah ([`build`]), run with the infrastructure mounted read-only at
//! run time, never in a layer or a build argument ([`run`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::record::Suite;

/// The default base image: Python with pip (Tempest installs from source).
pub const DEFAULT_BASE: &str = "docker.io/library/python:3.12-slim";
/// Where the run spec's suites go in the image (`REFSTACK_TEST_SUITES`).
pub const SUITES_IN_IMAGE: &str = "/etc/refstack/suites.json";
/// Where tempest.conf is mounted in the container.
pub const CONF_IN_CONTAINER: &str = "/run/secrets/tempest.conf";
/// Where clouds.yaml is mounted in the container.
pub const CLOUDS_IN_CONTAINER: &str = "/run/secrets/clouds.yaml";
/// Where results are written in the container.
pub const RESULTS_IN_CONTAINER: &str = "/refstack/results";
/// Where a test list file is mounted in the container.
pub const LIST_IN_CONTAINER: &str = "/refstack/test-list.txt";

/// A test suite pinned by repository and revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Distribution name (`tempest`, `designate-tempest-plugin`).
    pub name: String,
    /// Git repository URL.
    pub repo: String,
    /// The commit (a full SHA-1 or SHA-256 hex id).
    pub commit: String,
}

/// Whether `rev` names one commit for ever: 40 or 64 hex digits.
pub fn is_commit(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parse `[NAME=]REPO@COMMIT` (NAME defaults to the repository's last path
/// element without `.git`). A revision that is not a full commit id (a
/// branch or tag name) is refused unless `allow_unpinned`.
pub fn parse_pin(spec: &str, allow_unpinned: bool) -> Result<Pin, Error> {
    let bad = |message: String| Error::Input {
        origin: spec.to_string(),
        message,
    };
    let (name, rest) = match spec.split_once('=') {
        Some((n, r)) if !n.contains('/') && !n.contains(':') => (Some(n.trim()), r),
        _ => (None, spec),
    };
    let (repo, rev) = rest
        .rsplit_once('@')
        .filter(|(r, v)| !r.is_empty() && !v.is_empty() && !v.contains('/'))
        .ok_or_else(|| bad("expected [NAME=]REPO@COMMIT".into()))?;
    if !is_commit(rev) && !allow_unpinned {
        return Err(bad(format!(
            "'{rev}' is not a commit id (40 hex digits): a branch or tag moves, so the image \
             would not say what it tests; pin a commit, or pass --allow-unpinned"
        )));
    }
    if rev.starts_with('-') || repo.starts_with('-') || rev.contains(char::is_whitespace) {
        return Err(bad("not a repository and revision".into()));
    }
    let name = match name {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => repo
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(repo)
            .trim_end_matches(".git")
            .to_string(),
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(bad(format!("'{name}' is not a usable suite name")));
    }
    Ok(Pin {
        name,
        repo: repo.to_string(),
        commit: rev.to_string(),
    })
}

/// The run spec (`runner.toml`): what the image is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerSpec {
    /// The base image.
    pub base: String,
    /// Tempest.
    pub tempest: Pin,
    /// Tempest plugins.
    #[serde(default)]
    pub plugins: Vec<Pin>,
    /// Whether revisions that are not commits were allowed.
    #[serde(default)]
    pub allow_unpinned: bool,
}

impl RunnerSpec {
    /// The suites, Tempest first.
    pub fn pins(&self) -> impl Iterator<Item = &Pin> {
        std::iter::once(&self.tempest).chain(&self.plugins)
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The Containerfile of a spec: each suite cloned, checked out at its
/// commit and verified (`git rev-parse HEAD` must be the pinned commit, or
/// the build fails), installed with pip; the tester copied in; a Tempest
/// workspace; no infrastructure (mounted by `runner run`).
pub fn containerfile(spec: &RunnerSpec) -> String {
    let mut f = String::new();
    f.push_str(
        "# Written by `refstack-tester runner init`. Infrastructure (tempest.conf,\n\
         # accounts.yaml, clouds.yaml) is never part of this image: `runner run`\n\
         # mounts it read-only at run time.\n",
    );
    f.push_str(&format!("FROM {}\n", spec.base));
    f.push_str(
        "RUN command -v git >/dev/null || (apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*)\n",
    );
    for pin in spec.pins() {
        let dir = format!("/opt/refstack/src/{}", pin.name);
        let check = if is_commit(&pin.commit) {
            format!(
                " && test \"$(git -C {dir} rev-parse HEAD)\" = {}",
                shell_quote(&pin.commit.to_ascii_lowercase())
            )
        } else {
            String::new()
        };
        f.push_str(&format!(
            "RUN git clone --quiet {} {dir} && git -C {dir} checkout --quiet --detach {}{check} \
             && pip install --no-cache-dir {dir}\n",
            shell_quote(&pin.repo),
            shell_quote(&pin.commit),
        ));
    }
    f.push_str(&format!("COPY suites.json {SUITES_IN_IMAGE}\n"));
    f.push_str("COPY refstack-tester /usr/local/bin/refstack-tester\n");
    f.push_str("RUN tempest init /refstack/workspace\n");
    f.push_str("WORKDIR /refstack/workspace\n");
    f.push_str(&format!("ENV REFSTACK_TEST_SUITES={SUITES_IN_IMAGE}\n"));
    let tempest = &spec.tempest;
    f.push_str(&format!(
        "LABEL org.opencontainers.image.title=\"refstack runner\" \
         org.opencontainers.image.source={} org.opencontainers.image.revision={}\n",
        shell_quote(&tempest.repo).replace('\'', "\""),
        shell_quote(&tempest.commit).replace('\'', "\"")
    ));
    f.push_str("ENTRYPOINT [\"/usr/local/bin/refstack-tester\"]\n");
    f
}

/// The suites as the image records them (`REFSTACK_TEST_SUITES`).
pub fn suites_json(spec: &RunnerSpec) -> String {
    let suites: Vec<Suite> = spec
        .pins()
        .map(|p| Suite {
            name: p.name.clone(),
            version: None,
            repo: Some(crate::sanitize::redact_urls(&p.repo).0),
            commit: Some(p.commit.clone()),
            entry_point: None,
        })
        .collect();
    serde_json::to_string_pretty(&suites).unwrap_or_else(|_| "[]".into()) + "\n"
}

/// Write `Containerfile`, `runner.toml` and `suites.json` into `dir`, and
/// copy the tester (`tester`, normally this executable) in as the build
/// context's `refstack-tester`. Existing files are replaced.
pub fn init(dir: &Path, spec: &RunnerSpec, tester: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action: "write",
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let toml = toml::to_string(spec).map_err(|e| Error::Input {
        origin: "runner.toml".into(),
        message: e.to_string(),
    })?;
    let mut written = Vec::new();
    for (name, text) in [
        ("Containerfile", containerfile(spec)),
        ("runner.toml", toml),
        ("suites.json", suites_json(spec)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
    }
    let copy = dir.join("refstack-tester");
    std::fs::copy(tester, &copy).map_err(io(&copy))?;
    written.push(copy);
    Ok(written)
}

/// Read a `runner.toml`.
pub fn read_spec(path: &Path) -> Result<RunnerSpec, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let spec: RunnerSpec = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    for pin in spec.pins() {
        if !is_commit(&pin.commit) && !spec.allow_unpinned {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: format!(
                    "{}: '{}' is not a commit id, and allow_unpinned is not set",
                    pin.name, pin.commit
                ),
            });
        }
    }
    Ok(spec)
}

/// The container engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    /// `podman` (or `buildah` for builds).
    pub program: PathBuf,
    /// `--runtime` for podman (`runc` where crun fails).
    pub runtime: Option<String>,
}

impl Engine {
    fn command(&self) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.program);
        if let Some(r) = &self.runtime {
            c.arg("--runtime").arg(r);
        }
        c.stdin(Stdio::null()).kill_on_drop(true);
        c
    }

    fn is_buildah(&self) -> bool {
        self.program
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("buildah"))
    }
}

async fn status(what: &str, mut c: tokio::process::Command) -> Result<std::process::Output, Error> {
    let out = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| Error::Input {
            origin: what.to_string(),
            message: format!("cannot start: {e}"),
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = last[last.len().saturating_sub(3)..].join(" / ");
        return Err(Error::Input {
            origin: what.to_string(),
            message: format!("failed ({}): {tail}", out.status),
        });
    }
    Ok(out)
}

/// Build `dir`'s Containerfile as `tag`; the image id.
pub async fn build(engine: &Engine, dir: &Path, tag: &str) -> Result<String, Error> {
    let mut c = engine.command();
    if engine.is_buildah() {
        c.arg("bud");
    } else {
        c.arg("build");
    }
    c.arg("--file")
        .arg(dir.join("Containerfile"))
        .arg("--tag")
        .arg(tag)
        .arg(dir);
    let out = status("build", c).await?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string())
}

/// Push the image `tag` to `dest` (REGISTRY/REPO[:TAG]); the pinned
/// reference `REGISTRY/REPO@sha256:…`.
pub async fn push(
    engine: &Engine,
    tag: &str,
    dest: &str,
    plain_http: bool,
) -> Result<String, Error> {
    let digest_file = std::env::temp_dir().join(format!(
        "refstack-runner-digest-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let mut c = engine.command();
    c.arg("push");
    if plain_http {
        c.arg("--tls-verify=false");
    }
    c.arg("--digestfile")
        .arg(&digest_file)
        .arg(tag)
        .arg(format!("docker://{dest}"));
    let pushed = status("push", c).await;
    let digest = std::fs::read_to_string(&digest_file).unwrap_or_default();
    let _ = std::fs::remove_file(&digest_file);
    pushed?;
    let digest = digest.trim();
    if !crate::oci::valid_digest(digest) {
        return Err(Error::Input {
            origin: "push".into(),
            message: format!("no image digest after the push ('{digest}')"),
        });
    }
    let repo = crate::oci::parse_reference(dest)?.reference;
    Ok(format!(
        "{}/{}@{digest}",
        repo.registry(),
        repo.repository()
    ))
}

/// What a run in a runner image needs.
#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    /// The image (`REGISTRY/REPO@sha256:…` is recorded as the runner image).
    pub image: String,
    /// tempest.conf on the host.
    pub conf: PathBuf,
    /// clouds.yaml on the host.
    pub clouds: Option<PathBuf>,
    /// A test list file or URL.
    pub test_list: Option<String>,
    /// Where the results go on the host.
    pub out_dir: PathBuf,
    /// `--network` (default `host`: the cloud as the host sees it).
    pub network: Option<String>,
    /// More arguments for `podman run` (before the image).
    pub podman_args: Vec<String>,
    /// More arguments for `refstack-tester test` in the container.
    pub test_args: Vec<String>,
    /// Send the container's standard output to standard error (the
    /// caller's standard output is a JSON document).
    pub stdout_to_stderr: bool,
}

fn mount(host: &Path, container: &str, ro: bool) -> Result<String, Error> {
    let abs = std::fs::canonicalize(host).map_err(|source| Error::Io {
        action: "find",
        path: host.to_path_buf(),
        source,
    })?;
    let text = abs.to_string_lossy();
    if text.contains(',') || text.contains(':') {
        return Err(Error::Input {
            origin: text.into_owned(),
            message: "a path with ',' or ':' cannot be mounted".into(),
        });
    }
    Ok(format!("{text}:{container}{}", if ro { ":ro" } else { "" }))
}

/// The `podman run` arguments of a run: tempest.conf, the accounts file
/// (at the path tempest.conf names, so the file needs no change),
/// clouds.yaml and a test list mounted read-only; the results directory
/// read-write; the image's digest as `REFSTACK_RUNNER_IMAGE`.
pub fn run_args(spec: &RunSpec) -> Result<Vec<String>, Error> {
    let mut a = vec!["run".to_string(), "--rm".to_string()];
    a.push(format!(
        "--network={}",
        spec.network.as_deref().unwrap_or("host")
    ));
    a.push("--volume".into());
    a.push(mount(&spec.conf, CONF_IN_CONTAINER, true)?);
    let ini = crate::conf::Ini::read(&spec.conf)?;
    if let Some(accounts) = ini.get("auth", "test_accounts_file") {
        let host = crate::conf::expand_user(accounts);
        let inside = if host.is_absolute() {
            host.to_string_lossy().into_owned()
        } else {
            return Err(Error::Config {
                path: spec.conf.clone(),
                message: format!(
                    "[auth] test_accounts_file '{accounts}' must be an absolute path to be \
                     mounted in the runner"
                ),
            });
        };
        a.push("--volume".into());
        a.push(mount(&host, &inside, true)?);
    }
    if let Some(clouds) = &spec.clouds {
        a.push("--volume".into());
        a.push(mount(clouds, CLOUDS_IN_CONTAINER, true)?);
        a.push(format!("--env=OS_CLIENT_CONFIG_FILE={CLOUDS_IN_CONTAINER}"));
    }
    std::fs::create_dir_all(&spec.out_dir).map_err(|source| Error::Io {
        action: "create",
        path: spec.out_dir.clone(),
        source,
    })?;
    a.push("--volume".into());
    a.push(mount(&spec.out_dir, RESULTS_IN_CONTAINER, false)?);
    let mut list_arg = None;
    if let Some(list) = &spec.test_list {
        if list.starts_with("http://") || list.starts_with("https://") {
            list_arg = Some(list.clone());
        } else {
            a.push("--volume".into());
            a.push(mount(Path::new(list), LIST_IN_CONTAINER, true)?);
            list_arg = Some(LIST_IN_CONTAINER.to_string());
        }
    }
    if spec.image.contains("@sha256:") {
        a.push(format!("--env=REFSTACK_RUNNER_IMAGE={}", spec.image));
    }
    a.extend(spec.podman_args.iter().cloned());
    a.push(spec.image.clone());
    a.extend(
        [
            "test",
            "-c",
            CONF_IN_CONTAINER,
            "--output-dir",
            RESULTS_IN_CONTAINER,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    if let Some(l) = list_arg {
        a.push("--test-list".into());
        a.push(l);
    }
    a.extend(spec.test_args.iter().cloned());
    Ok(a)
}

/// Run the image; the tester's exit code in the container (0, 1, 2), or
/// the engine's (125-127) when the container could not run.
pub async fn run(engine: &Engine, spec: &RunSpec) -> Result<i32, Error> {
    let args = run_args(spec)?;
    tracing::debug!("{} {:?}", engine.program.display(), args);
    let mut c = engine.command();
    c.args(&args)
        .stdout(if spec.stdout_to_stderr {
            Stdio::from(std::io::stderr())
        } else {
            Stdio::inherit()
        })
        .stderr(Stdio::inherit());
    let status = c.status().await.map_err(|e| Error::Input {
        origin: engine.program.display().to_string(),
        message: format!("cannot start: {e}"),
    })?;
    Ok(status.code().unwrap_or(2))
}

/// The suites an image recorded (`REFSTACK_TEST_SUITES`), if any.
pub fn image_suites() -> Option<Vec<Suite>> {
    let path = std::env::var_os("REFSTACK_TEST_SUITES")?;
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn pins_must_be_commits() {
        let p = parse_pin(
            &format!("https://opendev.org/openstack/tempest.git@{C}"),
            false,
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.commit.as_str()), ("tempest", C));
        let p = parse_pin(
            &format!("dns=https://opendev.org/openstack/designate-tempest-plugin@{C}"),
            false,
        )
        .unwrap();
        assert_eq!(p.name, "dns");
        let e = parse_pin("https://opendev.org/openstack/tempest@master", false).unwrap_err();
        assert!(e.to_string().contains("--allow-unpinned"), "{e}");
        assert!(parse_pin("https://opendev.org/openstack/tempest@40.0.0", true).is_ok());
        assert!(parse_pin("https://opendev.org/openstack/tempest", true).is_err());
        assert!(parse_pin("x@--upload-pack=evil", true).is_err());
    }

    #[test]
    fn containerfile_pins_and_verifies() {
        let spec = RunnerSpec {
            base: "example/python:3".into(),
            tempest: parse_pin(&format!("https://opendev.org/openstack/tempest@{C}"), false)
                .unwrap(),
            plugins: vec![],
            allow_unpinned: false,
        };
        let f = containerfile(&spec);
        assert!(f.starts_with("# Written by") && f.contains("FROM example/python:3\n"));
        assert!(f.contains(&format!("checkout --quiet --detach '{C}' && test \"$(git -C /opt/refstack/src/tempest rev-parse HEAD)\" = '{C}'")), "{f}");
        assert!(!f.contains("ARG"), "no build arguments");
        let copied: Vec<&str> = f
            .lines()
            .filter(|l| l.starts_with("COPY") || l.starts_with("ADD"))
            .collect();
        assert_eq!(
            copied,
            [
                "COPY suites.json /etc/refstack/suites.json",
                "COPY refstack-tester /usr/local/bin/refstack-tester"
            ]
        );
    }
}
