//! Server configuration: a TOML file, then `REFSTACK_*` environment
//! variables, then command line flags (each layer overrides the previous).
//!
//! The options cover upstream's `refstack.conf` (reference §9) under plain
//! names; see `refstack-server/README.md` for a complete example file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Errors while loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for [`Config`].
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error.
        source: Box<toml::de::Error>,
    },
    /// An environment variable has an invalid value.
    #[error("invalid value for {name}: {value:?}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The complete server configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:8000`).
    pub listen: SocketAddr,
    /// sqlx database URL: `sqlite://...`, `postgres://...`, `mysql://...`. On the
    /// database's own host a Unix socket avoids TCP and TLS altogether:
    /// `postgres://user@localhost/refstack?host=/var/run/postgresql`,
    /// `mysql://user:pw@localhost/refstack?socket=/run/mysqld/mysqld.sock`.
    pub database_url: String,
    /// Base URL of the web UI (upstream `[DEFAULT] ui_url`): result URLs.
    /// Empty (the default) means this server's own URL,
    /// [`Config::public_ui_url`]; `AppState::new` fills it in.
    pub ui_url: String,
    /// Public URL of the API (upstream `[api] api_url`): the OpenID Connect redirect
    /// URL and the session cookie's `Secure` flag derive from it. Empty (the default):
    /// [`Config::public_api_url`]; `AppState::new` fills it in.
    pub api_url: String,
    /// Extra mount prefix of `/v1` (upstream deployments use `/api`).
    /// `/v1` is always served as well. Empty disables the prefix.
    pub api_prefix: String,
    /// Origins allowed by CORS, compared exactly (`[api] allowed_cors_origins`).
    pub allowed_cors_origins: Vec<String>,
    /// Result URL pattern joined to `ui_url`; `%s` is the test id.
    pub test_results_url: String,
    /// Accept unsigned uploads (`[api] enable_anonymous_upload`).
    pub enable_anonymous_upload: bool,
    /// Page size of `GET /v1/results` (`[api] results_per_page`).
    pub results_per_page: u32,
    /// strftime format of `start_date` / `end_date` (`[api] input_date_format`).
    pub input_date_format: String,
    /// Add the internal error message as `detail` to 500 answers
    /// (`[api] app_dev_mode`).
    pub app_dev_mode: bool,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// Seconds after which a request is answered with 408.
    pub request_timeout_secs: u64,
    /// Guideline sources.
    pub guidelines: GuidelinesConfig,
    /// Lifetime of a browser session in seconds (upstream: 7 days).
    pub session_ttl_secs: u64,
    /// `serve --dev-login`: `GET /v1/auth/signin` shows a form that signs in as any
    /// openid. Only for trying the server and for tests; `serve` refuses it unless the
    /// server listens on loopback only.
    pub dev_login: bool,
    /// OpenID Connect sign-in; off while `oidc.issuer_url` is empty.
    pub oidc: OidcConfig,
    /// Connection limits and timeouts (`[connections]`).
    pub connections: ConnectionsConfig,
    /// Full subunit streams (`[streams]`, `PUT /v1/results/{id}/stream`).
    pub streams: StreamsConfig,
}

/// Uploaded subunit streams (`[streams]`; `REFSTACK_STREAM_*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamsConfig {
    /// Largest accepted stream in bytes, counted after decompression as the
    /// bytes arrive (413, nothing stored); also the largest compressed body.
    pub limit: u64,
    /// Longest traceback kept per test, in bytes (its end is kept).
    pub traceback_limit: usize,
    /// Where raw streams are kept (compressed, content-addressed): a directory
    /// path or `file://` URL, or with the `s3` / `gcs` / `azure` features an
    /// `s3://bucket/prefix`, `gs://...` or `az://...` URL.
    pub blob_store: String,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            limit: 512 << 20,
            traceback_limit: 16 << 10,
            blob_store: "refstack-data/blobs".into(),
        }
    }
}

/// A secret read from the configuration: never printed (`Debug` shows `***`).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: pass it on, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// OpenID Connect sign-in (`[oidc]`; `REFSTACK_OIDC_*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL (discovery at `<issuer_url>/.well-known/openid-configuration`).
    /// Empty: sign-in with OpenID Connect is off.
    pub issuer_url: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret (prefer `client_secret_file` or `REFSTACK_OIDC_CLIENT_SECRET`);
    /// empty for a public client (PKCE only).
    pub client_secret: Secret,
    /// A file whose content (trimmed) is the client secret; read at startup.
    pub client_secret_file: Option<PathBuf>,
    /// The redirect URL registered at the provider; default
    /// `<api_url>/v1/auth/signin_return`.
    pub redirect_url: Option<String>,
    /// Scopes asked for (`openid` is always sent).
    pub scopes: Vec<String>,
    /// How a user's openid is made from the id_token's claims: empty = `{iss}#{sub}`;
    /// a claim name (`preferred_username`); or a template with `{claim}` placeholders,
    /// e.g. `https://openstackid.org/{preferred_username}` so that users migrated from
    /// upstream keep their openid and their data.
    pub openid_claim: String,
    /// The claim holding the e-mail address.
    pub email_claim: String,
    /// The claim holding the full name.
    pub name_claim: String,
    /// Timeout of each request to the provider, in seconds.
    pub timeout_secs: u64,
    /// How long provider metadata (discovery document and keys) is kept before it is
    /// fetched again, in seconds. An id_token signed with an unknown key refetches the
    /// keys at once (key rotation).
    pub metadata_ttl_secs: u64,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret: Secret::default(),
            client_secret_file: None,
            redirect_url: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            openid_claim: String::new(),
            email_claim: "email".into(),
            name_claim: "name".into(),
            timeout_secs: 10,
            metadata_ttl_secs: 3600,
        }
    }
}

/// Connection limits and timeouts (see `crate::serve`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionsConfig {
    /// Most connections served at once; 0 = the open-file limit minus 128.
    pub max_connections: usize,
    /// Seconds a request head may take from when the connection is ready
    /// for it until it has fully arrived.
    pub header_timeout_secs: u64,
    /// Seconds a kept-alive connection may stay idle between requests.
    pub keepalive_timeout_secs: u64,
    /// Seconds a request body may go without a byte arriving (408).
    pub body_timeout_secs: u64,
    /// Seconds open connections get to finish after SIGTERM / Ctrl-C.
    pub shutdown_grace_secs: u64,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        Self {
            max_connections: 0,
            header_timeout_secs: 20,
            keepalive_timeout_secs: 15,
            body_timeout_secs: 30,
            shutdown_grace_secs: 30,
        }
    }
}

impl OidcConfig {
    /// Whether OpenID Connect sign-in is configured.
    pub fn enabled(&self) -> bool {
        !self.issuer_url.trim().is_empty()
    }
}

impl ConnectionsConfig {
    /// The body progress timeout.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }
}

/// Where guideline files come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuidelinesConfig {
    /// A local directory of guideline files (`<dir>/*.json`,
    /// `<dir>/add-ons/*.json`); consulted before the remote sources.
    pub dir: Option<PathBuf>,
    /// Remote sources in order, consulted after `dir`. None by default:
    /// the built-in files need no network.
    pub sources: Option<Vec<SourceConfig>>,
    /// Serve the published guideline files compiled into the binary
    /// (`refstack-guidelines`) after `dir` and `sources`: a file any of
    /// those has overrides the built-in one of the same name.
    pub builtin: bool,
    /// How long fetched listings and files are cached (upstream: 12 h).
    pub cache_ttl_secs: u64,
    /// Timeout of one remote request.
    pub fetch_timeout_secs: u64,
}

/// One remote guideline source.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceConfig {
    /// Gitea contents API (opendev.org, upstream 2.1.0): listings at
    /// `<repo_url>/contents/guidelines` and `<repo_url>/contents/add-ons/guidelines`,
    /// files at `<repo_url>/raw/<path>`.
    Gitea {
        /// `https://opendev.org/api/v1/repos/openinfra/interop`.
        repo_url: String,
        /// Branch, tag or commit (`?ref=`); the default branch when absent.
        #[serde(default, rename = "ref")]
        git_ref: Option<String>,
    },
    /// GitHub contents API (servers before 2.1.0): listings at
    /// `<repo_url>/contents` and `<repo_url>/contents/add-ons`, files at
    /// `<raw_url>/<ref>/<path>`.
    Github {
        /// `https://api.github.com/repos/openstack/interop`.
        repo_url: String,
        /// `https://raw.githubusercontent.com/openstack/interop`.
        raw_url: String,
        /// Branch, tag or commit (default `master`).
        #[serde(default, rename = "ref")]
        git_ref: Option<String>,
    },
}

impl SourceConfig {
    /// Upstream 2.1.0's default source (opendev.org, Gitea).
    pub fn opendev() -> Self {
        Self::Gitea {
            repo_url: "https://opendev.org/api/v1/repos/openinfra/interop".into(),
            git_ref: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: "sqlite://refstack-data/refstack.sqlite".into(),
            ui_url: String::new(),
            api_url: String::new(),
            api_prefix: "/api".into(),
            allowed_cors_origins: Vec::new(),
            test_results_url: "/#/results/%s".into(),
            enable_anonymous_upload: true,
            results_per_page: 20,
            input_date_format: "%Y-%m-%d %H:%M:%S".into(),
            app_dev_mode: false,
            body_limit: 64 << 20,
            request_timeout_secs: 120,
            guidelines: GuidelinesConfig::default(),
            session_ttl_secs: 7 * 24 * 3600,
            dev_login: false,
            oidc: OidcConfig::default(),
            connections: ConnectionsConfig::default(),
            streams: StreamsConfig::default(),
        }
    }
}

impl Default for GuidelinesConfig {
    fn default() -> Self {
        Self {
            dir: None,
            sources: None,
            builtin: true,
            cache_ttl_secs: 43_200,
            fetch_timeout_secs: 20,
        }
    }
}

impl GuidelinesConfig {
    /// The remote sources in effect (see [`GuidelinesConfig::sources`]).
    pub fn remote_sources(&self) -> Vec<SourceConfig> {
        self.sources.clone().unwrap_or_default()
    }
}

/// Environment variables read by [`Config::apply_env`].
pub const ENV_VARS: &[&str] = &[
    "REFSTACK_LISTEN",
    "REFSTACK_DATABASE_URL",
    "REFSTACK_UI_URL",
    "REFSTACK_API_URL",
    "REFSTACK_API_PREFIX",
    "REFSTACK_ALLOWED_CORS_ORIGINS",
    "REFSTACK_ENABLE_ANONYMOUS_UPLOAD",
    "REFSTACK_RESULTS_PER_PAGE",
    "REFSTACK_GUIDELINES_DIR",
    "REFSTACK_BODY_LIMIT",
    "REFSTACK_STREAM_LIMIT",
    "REFSTACK_TRACEBACK_LIMIT",
    "REFSTACK_BLOB_STORE",
    "REFSTACK_SESSION_TTL_SECS",
    "REFSTACK_DEV_LOGIN",
    "REFSTACK_OIDC_ISSUER_URL",
    "REFSTACK_OIDC_CLIENT_ID",
    "REFSTACK_OIDC_CLIENT_SECRET",
    "REFSTACK_OIDC_CLIENT_SECRET_FILE",
    "REFSTACK_OIDC_REDIRECT_URL",
    "REFSTACK_OIDC_SCOPES",
    "REFSTACK_OIDC_OPENID_CLAIM",
    "REFSTACK_OIDC_EMAIL_CLAIM",
    "REFSTACK_OIDC_NAME_CLAIM",
    "REFSTACK_MAX_CONNECTIONS",
    "REFSTACK_HEADER_TIMEOUT_SECS",
    "REFSTACK_KEEPALIVE_TIMEOUT_SECS",
    "REFSTACK_BODY_TIMEOUT_SECS",
    "REFSTACK_SHUTDOWN_GRACE_SECS",
];

impl Config {
    /// Reads a TOML configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// Parses a TOML configuration text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Applies `REFSTACK_*` environment variables through `get` (normally
    /// `std::env::var`), so tests can pass a map.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, v: String) -> Result<T, ConfigError> {
            v.trim()
                .parse()
                .map_err(|_| ConfigError::Env { name, value: v })
        }
        if let Some(v) = get("REFSTACK_LISTEN") {
            self.listen = parse("REFSTACK_LISTEN", v)?;
        }
        if let Some(v) = get("REFSTACK_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("REFSTACK_UI_URL") {
            self.ui_url = v;
        }
        if let Some(v) = get("REFSTACK_API_URL") {
            self.api_url = v;
        }
        if let Some(v) = get("REFSTACK_API_PREFIX") {
            self.api_prefix = v;
        }
        if let Some(v) = get("REFSTACK_ALLOWED_CORS_ORIGINS") {
            self.allowed_cors_origins = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(v) = get("REFSTACK_ENABLE_ANONYMOUS_UPLOAD") {
            self.enable_anonymous_upload = parse_bool(&v).ok_or(ConfigError::Env {
                name: "REFSTACK_ENABLE_ANONYMOUS_UPLOAD",
                value: v,
            })?;
        }
        if let Some(v) = get("REFSTACK_RESULTS_PER_PAGE") {
            self.results_per_page = parse("REFSTACK_RESULTS_PER_PAGE", v)?;
        }
        if let Some(v) = get("REFSTACK_GUIDELINES_DIR") {
            self.guidelines.dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("REFSTACK_BODY_LIMIT") {
            self.body_limit = parse("REFSTACK_BODY_LIMIT", v)?;
        }
        if let Some(v) = get("REFSTACK_STREAM_LIMIT") {
            self.streams.limit = parse("REFSTACK_STREAM_LIMIT", v)?;
        }
        if let Some(v) = get("REFSTACK_TRACEBACK_LIMIT") {
            self.streams.traceback_limit = parse("REFSTACK_TRACEBACK_LIMIT", v)?;
        }
        if let Some(v) = get("REFSTACK_BLOB_STORE") {
            self.streams.blob_store = v;
        }
        if let Some(v) = get("REFSTACK_SESSION_TTL_SECS") {
            self.session_ttl_secs = parse("REFSTACK_SESSION_TTL_SECS", v)?;
        }
        if let Some(v) = get("REFSTACK_DEV_LOGIN") {
            self.dev_login = parse_bool(&v).ok_or(ConfigError::Env {
                name: "REFSTACK_DEV_LOGIN",
                value: v,
            })?;
        }
        let o = &mut self.oidc;
        for (name, field) in [
            ("REFSTACK_OIDC_ISSUER_URL", &mut o.issuer_url),
            ("REFSTACK_OIDC_CLIENT_ID", &mut o.client_id),
            ("REFSTACK_OIDC_OPENID_CLAIM", &mut o.openid_claim),
            ("REFSTACK_OIDC_EMAIL_CLAIM", &mut o.email_claim),
            ("REFSTACK_OIDC_NAME_CLAIM", &mut o.name_claim),
        ] {
            if let Some(v) = get(name) {
                *field = v.trim().to_owned();
            }
        }
        if let Some(v) = get("REFSTACK_OIDC_CLIENT_SECRET") {
            o.client_secret = Secret::new(v.trim());
        }
        if let Some(v) = get("REFSTACK_OIDC_CLIENT_SECRET_FILE") {
            o.client_secret_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("REFSTACK_OIDC_REDIRECT_URL") {
            o.redirect_url = Some(v.trim().to_owned());
        }
        if let Some(v) = get("REFSTACK_OIDC_SCOPES") {
            o.scopes = v
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        let c = &mut self.connections;
        for (name, field) in [
            ("REFSTACK_HEADER_TIMEOUT_SECS", &mut c.header_timeout_secs),
            (
                "REFSTACK_KEEPALIVE_TIMEOUT_SECS",
                &mut c.keepalive_timeout_secs,
            ),
            ("REFSTACK_BODY_TIMEOUT_SECS", &mut c.body_timeout_secs),
            ("REFSTACK_SHUTDOWN_GRACE_SECS", &mut c.shutdown_grace_secs),
        ] {
            if let Some(v) = get(name) {
                *field = parse(name, v)?;
            }
        }
        if let Some(v) = get("REFSTACK_MAX_CONNECTIONS") {
            c.max_connections = parse("REFSTACK_MAX_CONNECTIONS", v)?;
        }
        Ok(())
    }

    /// Reads the files named by the configuration (the OpenID Connect client secret).
    pub fn read_secret_files(&mut self) -> Result<(), ConfigError> {
        if let Some(path) = &self.oidc.client_secret_file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            self.oidc.client_secret = Secret::new(text.trim());
        }
        Ok(())
    }

    /// Whether the session cookie gets `Secure`: when the public URL (`api_url`) is
    /// https, except with `dev_login`, which only serves plain HTTP on loopback.
    pub fn cookie_secure(&self) -> bool {
        self.public_api_url().starts_with("https://") && !self.dev_login
    }

    /// The OpenID Connect redirect URL in effect.
    pub fn oidc_redirect_url(&self) -> String {
        match &self.oidc.redirect_url {
            Some(u) if !u.is_empty() => u.clone(),
            _ => format!(
                "{}/v1/auth/signin_return",
                self.public_api_url().trim_end_matches('/')
            ),
        }
    }

    /// `urljoin(ui_url, path)`: an absolute path replaces the path of `ui_url`.
    pub fn ui_link(&self, path: &str) -> String {
        url_join(&self.ui_url, path)
    }

    /// Checks value ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.connections;
        if c.header_timeout_secs == 0 || c.keepalive_timeout_secs == 0 || c.body_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "connection timeouts ([connections] *_timeout_secs) must be > 0".into(),
            ));
        }
        if self.results_per_page == 0 {
            return Err(ConfigError::Invalid("results_per_page must be > 0".into()));
        }
        if self.streams.limit == 0 || self.streams.blob_store.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "streams.limit must be > 0 and streams.blob_store must not be empty".into(),
            ));
        }
        if !self.api_prefix.is_empty()
            && (!self.api_prefix.starts_with('/') || self.api_prefix.ends_with('/'))
        {
            return Err(ConfigError::Invalid(format!(
                "api_prefix must start and must not end with '/': {:?}",
                self.api_prefix
            )));
        }
        if self.api_prefix == "/v1" {
            return Err(ConfigError::Invalid("api_prefix cannot be /v1".into()));
        }
        if self.session_ttl_secs == 0 {
            return Err(ConfigError::Invalid("session_ttl_secs must be > 0".into()));
        }
        if self.oidc.enabled() {
            if self.oidc.client_id.is_empty() {
                return Err(ConfigError::Invalid(
                    "oidc.client_id is required with oidc.issuer_url".into(),
                ));
            }
            if !self.oidc.issuer_url.starts_with("https://")
                && !self.oidc.issuer_url.starts_with("http://")
            {
                return Err(ConfigError::Invalid(format!(
                    "oidc.issuer_url must be an http(s) URL: {:?}",
                    self.oidc.issuer_url
                )));
            }
        }
        if !self.test_results_url.contains("%s") {
            return Err(ConfigError::Invalid(
                "test_results_url must contain %s".into(),
            ));
        }
        Ok(())
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// The API's public URL: `api_url`, or when it is empty the web UI's base URL
    /// ([`Config::public_ui_url`]) followed by `api_prefix`.
    pub fn public_api_url(&self) -> String {
        if !self.api_url.is_empty() {
            return self.api_url.clone();
        }
        format!(
            "{}{}",
            self.public_ui_url().trim_end_matches('/'),
            self.api_prefix
        )
    }

    /// The web UI's base URL: `ui_url`, or when it is empty this server's
    /// own, `http://<listen>` (an unspecified address, `0.0.0.0` or `::`,
    /// as the loopback one of its family).
    pub fn public_ui_url(&self) -> String {
        if !self.ui_url.is_empty() {
            return self.ui_url.clone();
        }
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// The public URL of a test run (`urljoin(ui_url, test_results_url) % id`).
    pub fn result_url(&self, test_id: &str) -> String {
        let path = self.test_results_url.replace("%s", test_id);
        url_join(&self.public_ui_url(), &path)
    }
}

/// Parses upstream's boolean spellings.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Python's `urljoin` for the cases that matter: an absolute path replaces
/// the path of `base` (reference §10 item 14), anything else is appended.
fn url_join(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    if let Some(rest) = path.strip_prefix('/') {
        // Keep scheme://host of base.
        let origin_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        return format!("{}/{}", &base[..origin_end], rest);
    }
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") && !base[..i].ends_with('/') => {
            format!("{}/{}", &base[..i], path)
        }
        _ => format!("{}/{}", base.trim_end_matches('/'), path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_upstream() {
        // Reference §9.
        let c = Config::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(c.results_per_page, 20);
        assert!(c.enable_anonymous_upload);
        assert_eq!(c.input_date_format, "%Y-%m-%d %H:%M:%S");
        // Beyond upstream: result URLs point at this server, guidelines are
        // the built-in files (no network).
        assert_eq!(c.result_url("abc"), "http://127.0.0.1:8000/#/results/abc");
        assert!(c.guidelines.remote_sources().is_empty());
        assert!(c.guidelines.builtin);
        c.validate().unwrap();
    }

    #[test]
    fn toml_then_env() {
        let mut c = Config::from_toml(
            r#"
            listen = "127.0.0.1:9000"
            ui_url = "https://example.org/ui"
            results_per_page = 5
            [guidelines]
            dir = "/tmp/g"
            [[guidelines.sources]]
            type = "github"
            repo_url = "http://127.0.0.1:1/repos/o/r"
            raw_url = "http://127.0.0.1:1/raw"
            ref = "v1"
            "#,
        )
        .unwrap();
        assert_eq!(c.results_per_page, 5);
        assert_eq!(c.guidelines.remote_sources().len(), 1);
        c.apply_env(|k| match k {
            "REFSTACK_LISTEN" => Some("127.0.0.1:9100".into()),
            "REFSTACK_ENABLE_ANONYMOUS_UPLOAD" => Some("false".into()),
            "REFSTACK_ALLOWED_CORS_ORIGINS" => Some("http://a, http://b".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert!(!c.enable_anonymous_upload);
        assert_eq!(c.allowed_cors_origins, ["http://a", "http://b"]);
        // urljoin with an absolute path drops the path of ui_url (§10 item 14).
        assert_eq!(c.result_url("x"), "https://example.org/#/results/x");
    }

    #[test]
    fn unknown_keys_and_bad_env_are_errors() {
        assert!(Config::from_toml("nope = 1").is_err());
        let mut c = Config::default();
        assert!(
            c.apply_env(|k| (k == "REFSTACK_LISTEN").then(|| "nowhere".to_string()))
                .is_err()
        );
    }

    #[test]
    fn sign_in_settings() {
        let mut c = Config::from_toml(
            r#"
            session_ttl_secs = 3600
            [oidc]
            issuer_url = "https://id.example.org/realms/refstack"
            client_id = "refstack"
            client_secret = "from-the-file"
            openid_claim = "https://openstackid.org/{preferred_username}"
            "#,
        )
        .unwrap();
        assert!(c.oidc.enabled());
        assert_eq!(c.oidc.scopes, ["openid", "email", "profile"]);
        assert_eq!(
            c.oidc_redirect_url(),
            "http://127.0.0.1:8000/api/v1/auth/signin_return"
        );
        // The secret never shows in logs or debug output.
        let shown = format!("{c:?}");
        assert!(!shown.contains("from-the-file"), "{shown}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-a-file\n").unwrap();
        c.apply_env(|k| match k {
            "REFSTACK_OIDC_CLIENT_SECRET_FILE" => Some(file.display().to_string()),
            "REFSTACK_OIDC_SCOPES" => Some("openid email".into()),
            "REFSTACK_OIDC_REDIRECT_URL" => Some("https://r.example.org/cb".into()),
            "REFSTACK_DEV_LOGIN" => Some("yes".into()),
            _ => None,
        })
        .unwrap();
        c.read_secret_files().unwrap();
        assert_eq!(c.oidc.client_secret.expose(), "from-a-file");
        assert!(!format!("{c:?}").contains("from-a-file"));
        assert_eq!(c.oidc.scopes, ["openid", "email"]);
        assert_eq!(c.oidc_redirect_url(), "https://r.example.org/cb");
        assert!(c.dev_login && !c.cookie_secure());
        c.validate().unwrap();
        c.oidc.client_id.clear();
        assert!(c.validate().is_err());
        assert!(Config::from_toml("[oidc]\nclient_secrets = 1").is_err());
    }

    #[test]
    fn ui_url_defaults_to_the_listen_address() {
        let mut c = Config {
            listen: "0.0.0.0:9000".parse().unwrap(),
            ..Config::default()
        };
        assert_eq!(c.public_ui_url(), "http://127.0.0.1:9000");
        c.listen = "[::]:9000".parse().unwrap();
        assert_eq!(c.public_ui_url(), "http://[::1]:9000");
        c.listen = "192.0.2.7:80".parse().unwrap();
        assert_eq!(c.result_url("x"), "http://192.0.2.7:80/#/results/x");
        c.ui_url = "https://refstack.example.org".into();
        assert_eq!(
            c.result_url("x"),
            "https://refstack.example.org/#/results/x"
        );
    }

    #[test]
    fn dir_only_disables_remote_default() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "REFSTACK_GUIDELINES_DIR").then(|| "/x".to_string()))
            .unwrap();
        assert!(c.guidelines.remote_sources().is_empty());
    }
}
