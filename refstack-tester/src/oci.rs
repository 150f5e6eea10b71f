//! Runs as OCI 1.1 artifacts in a registry, through the distribution API
//! (`oci-client`): [`publish`] pushes a run directory as one artifact,
//! [`pull`] fetches one into a directory verifying every digest, [`runs`]
//! lists the runs made with a runner image (referrers API, else the
//! referrers tag schema, which [`publish`] keeps up to date).
//!
//! The artifact: `artifactType` [`ARTIFACT_TYPE`], the empty config, one
//! layer per file of the run (upload JSON, subunit stream, record,
//! sanitised tempest.conf, test list), each titled with its file name;
//! annotations for guideline, target, cpid, compliance and the standard
//! `org.opencontainers.image.*` keys; `subject` the runner image when the
//! record names one by digest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::record::{self, RunDir, RunRecord};

/// The artifact type of a published run.
pub const ARTIFACT_TYPE: &str = "application/vnd.refstack.result.v1+json";
/// OCI image manifest.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (the referrers tag schema).
pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// The empty config (`{}`).
pub const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// Layer media types.
pub const UPLOAD_TYPE: &str = "application/vnd.refstack.upload.v1+json";
/// The subunit v2 stream.
pub const SUBUNIT_TYPE: &str = "application/vnd.refstack.subunit.v2";
/// The run record.
pub const RECORD_TYPE: &str = "application/vnd.refstack.run.v1+json";
/// The sanitised tempest.conf.
pub const CONF_TYPE: &str = "application/vnd.refstack.tempest-conf.v1+ini";
/// The test list.
pub const LIST_TYPE: &str = "application/vnd.refstack.test-list.v1+text";

/// Annotation keys of ours.
pub const ANN_GUIDELINE: &str = "org.openstack.interop.guideline";
/// The target.
pub const ANN_TARGET: &str = "org.openstack.interop.target";
/// The cpid.
pub const ANN_CPID: &str = "org.openstack.interop.cpid";
/// `true` / `false` (absent when the run was not scored).
pub const ANN_COMPLIANT: &str = "org.openstack.interop.compliant";
/// The run id of the record.
pub const ANN_RUN_ID: &str = "org.openstack.interop.run-id";
/// Passed test count.
pub const ANN_PASSED: &str = "org.openstack.interop.passed";
/// Failed test count.
pub const ANN_FAILED: &str = "org.openstack.interop.failed";
/// The file name of a layer.
pub const ANN_TITLE: &str = "org.opencontainers.image.title";
/// Creation time.
pub const ANN_CREATED: &str = "org.opencontainers.image.created";

/// Whether `s` is a `sha256:` digest (64 lowercase hex digits).
pub fn valid_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A descriptor (OCI image spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Media type.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// `sha256:…`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Artifact type (manifests in an index).
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    /// Embedded content (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest with the OCI 1.1 fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// [`MANIFEST_TYPE`].
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    /// [`ARTIFACT_TYPE`] for a run.
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    /// The empty config.
    pub config: Descriptor,
    /// The files.
    pub layers: Vec<Descriptor>,
    /// The runner image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (the referrers list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// [`INDEX_TYPE`].
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    /// The manifests.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// How to reach and log in to a registry.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    /// Credentials (explicit, else from an `auth.json`).
    pub auth: Option<RegistryAuth>,
    /// Plain HTTP: `Some(true)` always, `Some(false)` never, `None` for
    /// `localhost` and loopback addresses only.
    pub plain_http: Option<bool>,
    /// Accept any TLS certificate.
    pub insecure: bool,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("auth", &self.auth)
            .field("plain_http", &self.plain_http)
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// A reference as given (`oci://` stripped): the parsed reference and
/// whether a tag or digest was written.
#[derive(Debug, Clone)]
pub struct Target {
    /// The parsed reference (`latest` when nothing was written).
    pub reference: Reference,
    /// Whether the text named a tag or a digest.
    pub explicit: bool,
}

/// Parse `REGISTRY/REPO[:TAG|@DIGEST]`, with or without `oci://`.
pub fn parse_reference(text: &str) -> Result<Target, Error> {
    let t = text.strip_prefix("oci://").unwrap_or(text);
    let reference: Reference = t.parse().map_err(|e| Error::Input {
        origin: text.to_string(),
        message: format!("not a registry reference (REGISTRY/REPO[:TAG|@DIGEST]): {e}"),
    })?;
    if !t.contains('/') {
        return Err(Error::Input {
            origin: text.to_string(),
            message: "name the registry: REGISTRY/REPO[:TAG], e.g. 127.0.0.1:5000/runs".into(),
        });
    }
    let last = t.rsplit('/').next().unwrap_or(t);
    let explicit = t.contains('@') || last.contains(':');
    Ok(Target {
        reference,
        explicit,
    })
}

fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A client for `registry`.
pub fn client(registry: &str, options: &RegistryOptions) -> Client {
    // oci-client builds its reqwest client here, which needs rustls's provider.
    crate::http::ensure_crypto_provider();
    let plain = options.plain_http.unwrap_or_else(|| is_loopback(registry));
    Client::new(ClientConfig {
        protocol: if plain {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        accept_invalid_certificates: options.insecure,
        // One PUT per blob: what a registry is fastest at.
        use_monolithic_push: true,
        user_agent: concat!("refstack-tester/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    })
}

/// The places a docker/podman login is kept, in the order podman reads
/// them: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
/// `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/…`),
/// `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`.
pub fn auth_files() -> Vec<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = var("HOME");
    let mut out = Vec::new();
    out.extend(var("REGISTRY_AUTH_FILE"));
    out.extend(var("XDG_RUNTIME_DIR").map(|d| d.join("containers/auth.json")));
    match var("XDG_CONFIG_HOME") {
        Some(d) => out.push(d.join("containers/auth.json")),
        None => out.extend(
            home.as_ref()
                .map(|h| h.join(".config/containers/auth.json")),
        ),
    }
    match var("DOCKER_CONFIG") {
        Some(d) => out.push(d.join("config.json")),
        None => out.extend(home.as_ref().map(|h| h.join(".docker/config.json"))),
    }
    out
}

/// The credentials an `auth.json` holds for `registry/repository`: the
/// most specific key (`registry/ns/repo`, …, `registry`, also with
/// `https://`); `auth` (base64 `user:password`), `username`/`password`,
/// or `registrytoken` (a bearer token).
pub fn auth_from_json(text: &str, registry: &str, repository: &str) -> Option<RegistryAuth> {
    use base64::Engine as _;
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let auths = v.get("auths")?.as_object()?;
    let mut keys = Vec::new();
    let mut path = format!("{registry}/{repository}");
    loop {
        keys.push(path.clone());
        match path.rsplit_once('/') {
            Some((head, _)) => path = head.to_string(),
            None => break,
        }
    }
    let entry = keys.iter().find_map(|k| {
        auths
            .get(k)
            .or_else(|| auths.get(&format!("https://{k}")))
            .or_else(|| auths.get(&format!("http://{k}")))
    })?;
    let field = |k: &str| {
        entry
            .get(k)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
    };
    if let Some(token) = field("registrytoken") {
        return Some(RegistryAuth::Bearer(token.to_string()));
    }
    if let (Some(u), Some(p)) = (field("username"), field("password")) {
        return Some(RegistryAuth::Basic(u.to_string(), p.to_string()));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(field("auth")?)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some(RegistryAuth::Basic(u.to_string(), p.to_string()))
}

/// The credential helper a docker/podman configuration names for
/// `registry`: `credHelpers.<registry>`, else `credsStore` (a name made of
/// letters, digits, `.`, `_`, `-` only: it becomes a program name).
pub fn credential_helper(text: &str, registry: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = v
        .get("credHelpers")
        .and_then(|h| h.get(registry))
        .or_else(|| v.get("credsStore"))?
        .as_str()?;
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
    .then(|| name.to_string())
}

/// Ask `docker-credential-<helper> get` (on `PATH`) for `registry`'s
/// credentials: `{"Username", "Secret"}`. An identity token (user name
/// `<token>`, an OAuth refresh token) cannot be used here: none.
pub fn helper_credentials(helper: &str, registry: &str) -> Option<RegistryAuth> {
    use std::io::Write as _;
    let mut child = std::process::Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let user = v.get("Username")?.as_str()?;
    let secret = v.get("Secret")?.as_str()?;
    (!user.is_empty() && user != "<token>" && !secret.is_empty())
        .then(|| RegistryAuth::Basic(user.to_string(), secret.to_string()))
}

/// The credentials to use: the explicit ones, else, from the first
/// configuration file that has some for this registry, a credential
/// helper's (`credHelpers`, `credsStore`) or the file's own (`auths`), else
/// anonymous.
pub fn resolve_auth(reference: &Reference, options: &RegistryOptions) -> RegistryAuth {
    if let Some(a) = &options.auth {
        return a.clone();
    }
    let registry = reference.registry();
    for file in auth_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Some(helper) = credential_helper(&text, registry)
            && let Some(a) = helper_credentials(&helper, registry)
        {
            tracing::debug!("registry credentials from docker-credential-{helper}");
            return a;
        }
        if let Some(a) = auth_from_json(&text, registry, reference.repository()) {
            tracing::debug!("registry credentials from {}", file.display());
            return a;
        }
    }
    RegistryAuth::Anonymous
}

/// A registry error as one line, with what to do about it.
fn registry_error(what: &str, reference: &Reference, e: &OciDistributionError) -> Error {
    let registry = reference.registry();
    let base = crate::error::one_line(e);
    let status = match e {
        OciDistributionError::UnauthorizedError { .. } => Some(401),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RegistryError { envelope, .. } => {
            envelope.errors.iter().find_map(|x| match x.code {
                OciErrorCode::Unauthorized => Some(401),
                OciErrorCode::Denied => Some(403),
                _ => None,
            })
        }
        OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::RequestError(r) => r.status().map(|s| s.as_u16()),
        _ => None,
    };
    let hint = match status {
        Some(401) => format!(
            "the registry {registry} wants credentials (401 Unauthorized): pass --username \
             (password from REFSTACK_REGISTRY_PASSWORD or --password-stdin), --token, or log in \
             with `podman login {registry}`"
        ),
        Some(403) => format!(
            "the registry {registry} denied it (403 Forbidden): these credentials may not {}",
            if what.starts_with("push") || what.starts_with("publish") {
                "push to this repository"
            } else {
                "read this repository"
            }
        ),
        _ if digest_invalid(e) => format!(
            "the registry {registry} computed another digest for what was sent: the file no \
             longer matches its run record (changed since the run?)"
        ),
        Some(code) if code >= 500 => format!(
            "the registry {registry} failed ({code}); try again later (blobs already pushed are \
             not sent again)"
        ),
        _ if matches!(e, OciDistributionError::RequestError(r) if r.status().is_none()) => {
            format!(
                "the connection to the registry {registry} failed or broke off; run the command \
                 again (blobs already pushed are not sent again)"
            )
        }
        _ => String::new(),
    };
    let message = if hint.is_empty() {
        base
    } else {
        format!("{hint} [{base}]")
    };
    Error::Registry {
        action: what.to_string(),
        reference: reference.whole(),
        message,
    }
}

/// Whether the registry said the digest of an upload is wrong.
fn digest_invalid(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|x| matches!(x.code, OciErrorCode::DigestInvalid)),
        other => other.to_string().contains("DIGEST_INVALID"),
    }
}

/// A blob to push: a file of the run or bytes.
struct Blob {
    media_type: &'static str,
    digest: String,
    size: u64,
    /// The file (for files of the run).
    path: Option<PathBuf>,
    /// The bytes (for small blobs: the config).
    bytes: Option<Vec<u8>>,
    title: Option<String>,
}

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// `registry/repo:tag`.
    pub reference: String,
    /// The manifest digest (the run's identity).
    pub digest: String,
    /// Blobs sent.
    pub blobs_pushed: u64,
    /// Blobs the registry had already (an interrupted publish resumed).
    pub blobs_skipped: u64,
    /// Bytes sent.
    pub bytes_pushed: u64,
    /// Whether the manifest has a subject (the runner image).
    pub subject: Option<String>,
}

/// A tag for a run: `<guideline>-<target>-<cpid, 12>-<YYYYMMDDTHHMMSSZ>`
/// (`run` for the guideline part when none was scored), OCI-valid
/// (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`).
pub fn derive_tag(r: &RunRecord) -> String {
    let guideline = r
        .compliance
        .as_ref()
        .map(|c| c.guideline.clone())
        .or_else(|| r.guideline.as_ref().map(|g| g.id.clone()))
        .unwrap_or_else(|| "run".into());
    let target = r
        .compliance
        .as_ref()
        .map(|c| c.target.clone())
        .or_else(|| r.guideline.as_ref().map(|g| g.target.clone()));
    let guideline = guideline.trim_end_matches(".json");
    let cpid: String = r.cloud.cpid.chars().take(12).collect();
    let time: String = r
        .finished_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut parts = vec![guideline.to_string()];
    parts.extend(target);
    parts.push(cpid);
    parts.push(time);
    sanitize_tag(&parts.join("-"))
}

/// Make any text a valid tag: invalid characters become `-`, a first
/// character that may not start a tag gets `_` before it, at most 128.
pub fn sanitize_tag(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        out.insert(0, '_');
    }
    out.truncate(128);
    out
}

/// Whether a tag is valid.
pub fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The manifest annotations of a run.
pub fn annotations(r: &RunRecord) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    a.insert(ANN_CREATED.to_string(), r.finished_at.clone());
    a.insert(
        "org.opencontainers.image.title".to_string(),
        format!("refstack run {}", r.run_id),
    );
    a.insert(
        "org.opencontainers.image.description".to_string(),
        format!(
            "Tempest run against cloud {}: {} passed, {} failed, {} skipped",
            r.cloud.cpid, r.results.passed, r.results.failed, r.results.skipped
        ),
    );
    a.insert(
        "org.opencontainers.image.version".to_string(),
        format!("{} {}", r.tool.name, r.tool.version),
    );
    if let Some(t) = r.test_suites.iter().find(|s| s.name == "tempest") {
        if let Some(repo) = &t.repo {
            a.insert("org.opencontainers.image.source".to_string(), repo.clone());
        }
        if let Some(c) = &t.commit {
            a.insert("org.opencontainers.image.revision".to_string(), c.clone());
        }
    }
    let (guideline, target) = match (&r.compliance, &r.guideline) {
        (Some(c), _) => (Some(c.guideline.clone()), Some(c.target.clone())),
        (None, Some(g)) => (Some(g.id.clone()), Some(g.target.clone())),
        (None, None) => (None, None),
    };
    if let Some(g) = guideline {
        a.insert(ANN_GUIDELINE.to_string(), g);
    }
    if let Some(t) = target {
        a.insert(ANN_TARGET.to_string(), t);
    }
    a.insert(ANN_CPID.to_string(), r.cloud.cpid.clone());
    if let Some(c) = &r.compliance {
        a.insert(ANN_COMPLIANT.to_string(), c.compliant.to_string());
    }
    a.insert(ANN_RUN_ID.to_string(), r.run_id.clone());
    a.insert(ANN_PASSED.to_string(), r.results.passed.to_string());
    a.insert(ANN_FAILED.to_string(), r.results.failed.to_string());
    a
}

fn file_blob(
    run: &RunDir,
    checked: &[(String, String, u64)],
    name: &str,
    media_type: &'static str,
) -> Result<Blob, Error> {
    let path = run.path(name);
    let (digest, size) = match checked.iter().find(|(n, _, _)| n == name) {
        Some((_, d, s)) => (d.clone(), *s),
        None => record::sha256_file(&path)?,
    };
    Ok(Blob {
        media_type,
        digest,
        size,
        path: Some(path),
        bytes: None,
        title: Some(name.to_string()),
    })
}

fn descriptor(b: &Blob) -> Descriptor {
    let mut annotations = BTreeMap::new();
    if let Some(t) = &b.title {
        annotations.insert(ANN_TITLE.to_string(), t.clone());
    }
    Descriptor {
        media_type: b.media_type.to_string(),
        digest: b.digest.clone(),
        size: b.size,
        artifact_type: None,
        data: None,
        annotations,
    }
}

/// A file as a stream of pieces for a monolithic PUT.
fn file_stream(
    path: PathBuf,
) -> impl futures_util::Stream<Item = oci_client::errors::Result<bytes::Bytes>> + Send + 'static {
    use tokio::io::AsyncReadExt as _;
    futures_util::stream::unfold(
        (None::<tokio::fs::File>, path, false),
        |(file, path, done)| async move {
            if done {
                return None;
            }
            let mut file = match file {
                Some(f) => f,
                None => match tokio::fs::File::open(&path).await {
                    Ok(f) => f,
                    Err(e) => return Some((Err(e.into()), (None, path, true))),
                },
            };
            let mut buf = vec![0u8; 4 << 20];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(bytes::Bytes::from(buf)), (Some(file), path, false)))
                }
                Err(e) => Some((Err(e.into()), (None, path, true))),
            }
        },
    )
}

/// The subject descriptor of the runner image: its manifest's media type
/// and size, asked of the registry that holds it.
async fn subject_descriptor(image: &str, options: &RegistryOptions) -> Result<Descriptor, Error> {
    let target = parse_reference(image)?;
    let reference = target.reference;
    let digest = reference
        .digest()
        .map(str::to_string)
        .ok_or_else(|| Error::Input {
            origin: image.to_string(),
            message: "the runner image is not pinned by a digest (…@sha256:…)".into(),
        })?;
    let c = client(reference.registry(), options);
    let auth = resolve_auth(&reference, options);
    let (bytes, _) = c
        .pull_manifest_raw(
            &reference,
            &auth,
            &[
                MANIFEST_TYPE,
                INDEX_TYPE,
                oci_client::manifest::IMAGE_MANIFEST_MEDIA_TYPE,
                oci_client::manifest::IMAGE_MANIFEST_LIST_MEDIA_TYPE,
            ],
        )
        .await
        .map_err(|e| registry_error("read the runner image", &reference, &e))?;
    if record::sha256_bytes(&bytes) != digest {
        return Err(Error::Registry {
            action: "read the runner image".into(),
            reference: reference.whole(),
            message: "the manifest's digest differs from the one asked for".into(),
        });
    }
    let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            v.get("mediaType")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| MANIFEST_TYPE.to_string());
    Ok(Descriptor {
        media_type,
        digest,
        size: bytes.len() as u64,
        artifact_type: None,
        data: None,
        annotations: BTreeMap::new(),
    })
}

/// Push a run directory as one artifact to `target` (a tag is derived
/// when none is given). Blobs the registry already has are not sent
/// again, so a publish that failed half-way resumes where it stopped.
pub async fn publish(
    run: &RunDir,
    target: &str,
    options: &RegistryOptions,
    subject_image: Option<&str>,
) -> Result<Published, Error> {
    let r = &run.record;
    if r.results.secrets_in_stream {
        return Err(Error::Input {
            origin: run.subunit().display().to_string(),
            message: "the subunit stream contains a secret of the run's configuration (found \
                      when the run was recorded); it is not published"
                .into(),
        });
    }
    // Each small file hashed once: checked against the record, then pushed
    // under that digest. The stream is pushed under the record's digest
    // without being read first: the registry computes the digest of what
    // arrives and refuses a mismatch (DIGEST_INVALID), so a stream changed
    // since the run is never published, and the upload is not held up by
    // a local pass over hundreds of megabytes.
    let mut checked = run.verify_files(false)?;
    let stream_path = run.subunit();
    let stream_size = std::fs::metadata(&stream_path)
        .map_err(|source| Error::Io {
            action: "read",
            path: stream_path.clone(),
            source,
        })?
        .len();
    if !valid_digest(&r.results.subunit_sha256) {
        return Err(Error::Input {
            origin: run.record_path.display().to_string(),
            message: format!("'{}' is not a sha256 digest", r.results.subunit_sha256),
        });
    }
    checked.push((
        r.results.subunit_file.clone(),
        r.results.subunit_sha256.clone(),
        stream_size,
    ));
    let parsed = parse_reference(target)?;
    if parsed.reference.digest().is_some() {
        return Err(Error::Input {
            origin: target.to_string(),
            message: "publish to a tag (REGISTRY/REPO[:TAG]), not a digest".into(),
        });
    }
    let tag = if parsed.explicit {
        parsed.reference.tag().unwrap_or("latest").to_string()
    } else {
        derive_tag(r)
    };
    if !valid_tag(&tag) {
        return Err(Error::Input {
            origin: target.to_string(),
            message: format!("'{tag}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}})"),
        });
    }
    let reference = Reference::with_tag(
        parsed.reference.registry().to_string(),
        parsed.reference.repository().to_string(),
        tag,
    );

    let mut blobs = Vec::new();
    if let Some(f) = &r.results.file {
        blobs.push(file_blob(run, &checked, f, UPLOAD_TYPE)?);
    }
    blobs.push(file_blob(
        run,
        &checked,
        &r.results.subunit_file,
        SUBUNIT_TYPE,
    )?);
    let record_name = run
        .record_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{}{}", r.stem(), record::RECORD_SUFFIX));
    blobs.push(file_blob(run, &checked, &record_name, RECORD_TYPE)?);
    blobs.push(file_blob(run, &checked, &r.tempest_conf.file, CONF_TYPE)?);
    if let Some(l) = &r.test_list {
        blobs.push(file_blob(run, &checked, &l.file, LIST_TYPE)?);
    }
    let config = Blob {
        media_type: EMPTY_TYPE,
        digest: EMPTY_DIGEST.to_string(),
        size: 2,
        path: None,
        bytes: Some(b"{}".to_vec()),
        title: None,
    };

    let subject_image = subject_image
        .map(str::to_string)
        .or_else(|| r.runner.image_digest().and(r.runner.image.clone()));
    let subject = match &subject_image {
        Some(image) => Some(subject_descriptor(image, options).await?),
        None => None,
    };

    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_TYPE.to_string()),
        artifact_type: Some(ARTIFACT_TYPE.to_string()),
        config: Descriptor {
            data: Some("e30=".into()),
            ..descriptor(&config)
        },
        layers: blobs.iter().map(descriptor).collect(),
        subject: subject.clone(),
        annotations: annotations(r),
    };
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| Error::Input {
        origin: "manifest".into(),
        message: e.to_string(),
    })?;
    let digest = record::sha256_bytes(&manifest_bytes);

    let c = client(reference.registry(), options);
    let auth = resolve_auth(&reference, options);
    c.store_auth_if_needed(reference.registry(), &auth).await;
    // Credentials are checked once, before any byte is sent.
    c.auth(&reference, &auth, RegistryOperation::Push)
        .await
        .map_err(|e| registry_error("log in to push", &reference, &e))?;

    let mut published = Published {
        reference: reference.whole(),
        digest: digest.clone(),
        blobs_pushed: 0,
        blobs_skipped: 0,
        bytes_pushed: 0,
        subject: subject.as_ref().map(|s| s.digest.clone()),
    };
    // Small blobs first, the stream last: an interrupted publish has
    // stored everything else, and its retry only sends the stream.
    let mut order: Vec<&Blob> = blobs.iter().chain(std::iter::once(&config)).collect();
    order.sort_by_key(|b| b.size);
    for b in order {
        let exists = c
            .blob_exists(&reference, &b.digest)
            .await
            .map_err(|e| registry_error("check a blob", &reference, &e))?;
        if exists {
            tracing::debug!("{} is in the registry already", b.digest);
            published.blobs_skipped += 1;
            continue;
        }
        let what = format!(
            "push {} ({}, {} bytes)",
            b.title.as_deref().unwrap_or("the config"),
            b.digest,
            b.size
        );
        tracing::info!(
            "pushing {} ({} bytes)",
            b.title.as_deref().unwrap_or("config"),
            b.size
        );
        let pushed = match (&b.bytes, &b.path) {
            (Some(bytes), _) => c.push_blob(&reference, bytes.clone(), &b.digest).await,
            (None, Some(path)) => {
                c.push_blob_stream(
                    &reference,
                    file_stream(path.clone()),
                    &b.digest,
                    Some(b.size),
                )
                .await
            }
            (None, None) => continue,
        };
        pushed.map_err(|e| registry_error(&what, &reference, &e))?;
        published.blobs_pushed += 1;
        published.bytes_pushed += b.size;
    }
    let content_type = reqwest::header::HeaderValue::from_static(MANIFEST_TYPE);
    c.push_manifest_raw(&reference, manifest_bytes.clone(), content_type)
        .await
        .map_err(|e| registry_error("push the manifest", &reference, &e))?;
    if let Some(subject) = &subject {
        let entry = Descriptor {
            media_type: MANIFEST_TYPE.to_string(),
            digest: digest.clone(),
            size: manifest_bytes.len() as u64,
            artifact_type: Some(ARTIFACT_TYPE.to_string()),
            data: None,
            annotations: manifest.annotations.clone(),
        };
        add_to_referrers_tag(&c, &reference, &auth, &subject.digest, entry).await?;
    }
    Ok(published)
}

/// The referrers tag schema (distribution spec 1.1, for registries
/// without the referrers API): the index tagged `sha256-<hex>` of the
/// subject lists the manifests that refer to it; add `entry` to it.
async fn add_to_referrers_tag(
    c: &Client,
    reference: &Reference,
    auth: &RegistryAuth,
    subject: &str,
    entry: Descriptor,
) -> Result<(), Error> {
    let tag_ref = Reference::with_tag(
        reference.registry().to_string(),
        reference.repository().to_string(),
        subject.replace(':', "-"),
    );
    let mut index = match c.pull_manifest_raw(&tag_ref, auth, &[INDEX_TYPE]).await {
        Ok((bytes, _)) => serde_json::from_slice::<Index>(&bytes).map_err(|e| Error::Registry {
            action: "read the referrers index".into(),
            reference: tag_ref.whole(),
            message: format!("not an image index: {e}"),
        })?,
        Err(
            OciDistributionError::ImageManifestNotFoundError(_)
            | OciDistributionError::RegistryError { .. }
            | OciDistributionError::ServerError { code: 404, .. },
        ) => Index {
            schema_version: 2,
            media_type: Some(INDEX_TYPE.to_string()),
            manifests: Vec::new(),
        },
        Err(e) => return Err(registry_error("read the referrers index", &tag_ref, &e)),
    };
    if index.manifests.iter().any(|m| m.digest == entry.digest) {
        return Ok(());
    }
    index.manifests.push(entry);
    index.media_type = Some(INDEX_TYPE.to_string());
    let bytes = serde_json::to_vec(&index).map_err(|e| Error::Input {
        origin: "referrers index".into(),
        message: e.to_string(),
    })?;
    c.push_manifest_raw(
        &tag_ref,
        bytes,
        reqwest::header::HeaderValue::from_static(INDEX_TYPE),
    )
    .await
    .map_err(|e| registry_error("push the referrers index", &tag_ref, &e))?;
    Ok(())
}

/// What [`pull`] fetched.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The manifest digest.
    pub digest: String,
    /// The run directory.
    pub run: RunDir,
}

/// Fetch a published run into `dir` (created if missing): the manifest
/// (its digest checked when the reference has one), every layer (each
/// checked against its digest and size before it is kept), then the
/// record's own SHA-256s of the files.
pub async fn pull(
    reference_text: &str,
    dir: &Path,
    options: &RegistryOptions,
) -> Result<Pulled, Error> {
    let reference = parse_reference(reference_text)?.reference;
    let c = client(reference.registry(), options);
    let auth = resolve_auth(&reference, options);
    let (bytes, _) = c
        .pull_manifest_raw(&reference, &auth, &[MANIFEST_TYPE])
        .await
        .map_err(|e| registry_error("pull the manifest", &reference, &e))?;
    let digest = record::sha256_bytes(&bytes);
    if let Some(want) = reference.digest()
        && want != digest
    {
        return Err(Error::Registry {
            action: "pull the manifest".into(),
            reference: reference.whole(),
            message: format!("the manifest's digest is {digest}, not {want}: refused"),
        });
    }
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Registry {
        action: "pull the manifest".into(),
        reference: reference.whole(),
        message: format!("not an OCI image manifest: {e}"),
    })?;
    if manifest.artifact_type.as_deref() != Some(ARTIFACT_TYPE) {
        return Err(Error::Registry {
            action: "pull".into(),
            reference: reference.whole(),
            message: format!(
                "not a RefStack run (artifactType {:?}, expected {ARTIFACT_TYPE})",
                manifest.artifact_type
            ),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })?;
    let by_digest = reference.clone_with_digest(digest.clone());
    let mut known = Vec::new();
    for layer in &manifest.layers {
        let title = layer
            .annotations
            .get(ANN_TITLE)
            .cloned()
            .unwrap_or_default();
        if !record::plain_file_name(&title) || !valid_digest(&layer.digest) {
            return Err(Error::Registry {
                action: "pull".into(),
                reference: reference.whole(),
                message: format!(
                    "layer {} has no usable file name ({ANN_TITLE} '{title}')",
                    layer.digest
                ),
            });
        }
        let partial = dir.join(format!(".{title}.partial"));
        let file = tokio::fs::File::create(&partial)
            .await
            .map_err(|source| Error::Io {
                action: "create",
                path: partial.clone(),
                source,
            })?;
        let fetched = c
            .pull_blob(
                &by_digest,
                layer.digest.as_str(),
                tokio::io::BufWriter::new(file),
            )
            .await;
        if let Err(e) = fetched {
            let _ = std::fs::remove_file(&partial);
            return Err(match e {
                OciDistributionError::DigestError(d) => Error::Registry {
                    action: format!("pull {title}"),
                    reference: reference.whole(),
                    message: format!("blob refused, its content does not match its digest: {d}"),
                },
                other => registry_error(&format!("pull {title}"), &reference, &other),
            });
        }
        // The digest was checked while the bytes came (oci-client); the
        // size on disk too.
        let size = std::fs::metadata(&partial)
            .map(|m| m.len())
            .unwrap_or(u64::MAX);
        if size != layer.size {
            let _ = std::fs::remove_file(&partial);
            return Err(Error::Registry {
                action: format!("pull {title}"),
                reference: reference.whole(),
                message: format!(
                    "blob refused: {size} bytes, the manifest says {} bytes",
                    layer.size
                ),
            });
        }
        known.push((title.clone(), layer.digest.clone()));
        let dest = dir.join(&title);
        std::fs::rename(&partial, &dest).map_err(|source| Error::Io {
            action: "write",
            path: dest,
            source,
        })?;
    }
    let run = RunDir::open(dir)?;
    // The record's SHA-256s against the layers' digests, checked above.
    run.verify_against(&known)?;
    Ok(Pulled { digest, run })
}

/// One run in a [`runs`] listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunEntry {
    /// The manifest digest.
    pub digest: String,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
}

/// The runs in `repository` made with the runner image `subject` (a
/// digest): the referrers API, else the referrers tag schema.
pub async fn runs(
    repository: &str,
    subject: &str,
    options: &RegistryOptions,
) -> Result<Vec<RunEntry>, Error> {
    if !valid_digest(subject) {
        return Err(Error::Input {
            origin: subject.to_string(),
            message: "not a sha256:<64 hex digits> digest".into(),
        });
    }
    let parsed = parse_reference(repository)?.reference;
    let reference = Reference::with_digest(
        parsed.registry().to_string(),
        parsed.repository().to_string(),
        subject.to_string(),
    );
    let c = client(reference.registry(), options);
    let auth = resolve_auth(&reference, options);
    c.store_auth_if_needed(reference.registry(), &auth).await;
    let index = c
        .pull_referrers(&reference, Some(ARTIFACT_TYPE))
        .await
        .map_err(|e| registry_error("list the referrers", &reference, &e))?;
    Ok(index
        .manifests
        .into_iter()
        .map(|m| RunEntry {
            digest: m.digest,
            annotations: m.annotations.unwrap_or_default().into_iter().collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let t = parse_reference("oci://127.0.0.1:5000/runs/cloud").unwrap();
        assert!(!t.explicit);
        assert_eq!(t.reference.registry(), "127.0.0.1:5000");
        assert_eq!(t.reference.repository(), "runs/cloud");
        assert!(parse_reference("127.0.0.1:5000/runs:tag").unwrap().explicit);
        let d = format!("localhost:5000/runs@sha256:{}", "a".repeat(64));
        assert!(parse_reference(&d).unwrap().explicit);
        assert!(parse_reference("runs").is_err());
        assert!(
            is_loopback("127.0.0.1:5000") && is_loopback("localhost") && is_loopback("[::1]:5000")
        );
        assert!(!is_loopback("registry.example:5000"));
    }

    #[test]
    fn tags_are_valid() {
        assert_eq!(
            sanitize_tag("2020.06-platform-abc-20261208T020000Z"),
            "2020.06-platform-abc-20261208T020000Z"
        );
        assert_eq!(sanitize_tag(".x/y z"), "_.x-y-z");
        assert!(valid_tag(&sanitize_tag(&"é".repeat(300))));
        assert!(!valid_tag("-x") && !valid_tag("") && !valid_tag("a:b"));
    }

    #[test]
    fn auth_json_entries() {
        let json = r#"{"auths": {
            "reg.example": {"auth": "dXNlcjpwYXNzOndpdGg6Y29sb25z"},
            "reg.example/team/runs": {"username": "team", "password": "tp"},
            "https://tok.example": {"registrytoken": "abc"}
        }}"#;
        assert_eq!(
            auth_from_json(json, "reg.example", "other"),
            Some(RegistryAuth::Basic(
                "user".into(),
                "pass:with:colons".into()
            ))
        );
        assert_eq!(
            auth_from_json(json, "reg.example", "team/runs"),
            Some(RegistryAuth::Basic("team".into(), "tp".into()))
        );
        assert_eq!(
            auth_from_json(json, "tok.example", "x"),
            Some(RegistryAuth::Bearer("abc".into()))
        );
        assert_eq!(auth_from_json(json, "none.example", "x"), None);
        let helpers = r#"{"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud", "bad.example": "../x"}}"#;
        assert_eq!(
            credential_helper(helpers, "gcr.io").as_deref(),
            Some("gcloud")
        );
        assert_eq!(
            credential_helper(helpers, "other.example").as_deref(),
            Some("desktop")
        );
        assert_eq!(credential_helper(helpers, "bad.example"), None);
        assert_eq!(credential_helper(r#"{"auths": {}}"#, "gcr.io"), None);
        assert_eq!(auth_from_json("not json", "reg.example", "x"), None);
    }
}
