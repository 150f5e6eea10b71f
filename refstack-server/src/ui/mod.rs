//! The public web UI: a small single-page application of plain HTML, CSS
//! and JavaScript ES modules (no build step), embedded in the binary.
//!
//! Routes (outside the API, before the API's URL normalisation):
//!
//! * `GET /` and `/index.html`: the page, with asset URLs versioned by a
//!   hash of every embedded asset; `Cache-Control: no-cache` plus an ETag.
//! * `GET /config.json`: where the API is, as upstream's UI reads it
//!   (`{"refstackApiUrl": "api/v1"}`, relative to the page, following the
//!   configured `api_prefix`), plus a few display options.
//! * `GET /assets/<version>/<path>`: the embedded assets, immutable for a
//!   year (a new binary changes the version); a stale version is a 404.
//!
//! Every answer carries an ETag and honours `If-None-Match`. The page and
//! the assets are compressed once, at first use: a client that accepts
//! gzip gets those bytes (`Content-Encoding: gzip`, its own ETag), the
//! others the plain ones (`Vary: Accept-Encoding` either way). The page's
//! Content-Security-Policy only allows resources of its own origin.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use md5::{Digest, Md5};

use crate::config::Config;

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ct:expr) => {
        Asset {
            path: $path,
            content_type: $ct,
            body: include_bytes!(concat!("../../ui/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every asset below `/assets/<version>/`.
static ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/errors.js", JS),
    asset!("js/app.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/targets.js", JS),
    asset!("js/pages/home.js", JS),
    asset!("js/pages/guidelines.js", JS),
    asset!("js/pages/results.js", JS),
    asset!("js/pages/report.js", JS),
    asset!("js/pages/compare.js", JS),
    asset!("js/pages/catalog.js", JS),
    asset!("js/runedit.js", JS),
    asset!("js/pages/myresults.js", JS),
    asset!("js/pages/profile.js", JS),
    asset!("js/pages/vendors.js", JS),
    asset!("js/pages/products.js", JS),
];

const INDEX: &str = include_str!("../../ui/index.html");

/// The page's Content-Security-Policy: own origin only, no inline code.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; object-src 'none'; \
                   base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn md5_hex(parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// The asset version: a hash over every asset's path and content.
pub fn asset_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(ASSETS.len() * 2);
        for a in ASSETS {
            parts.push(a.path.as_bytes());
            parts.push(a.body);
        }
        md5_hex(&parts)[..12].to_owned()
    })
}

/// A static body ready to send, plain or gzipped, with each one's ETag.
struct Prepared {
    body: &'static [u8],
    etag: String,
    /// The gzip encoding and its ETag, when it is the smaller.
    gzip: Option<(Vec<u8>, String)>,
}

impl Prepared {
    fn new(body: &'static [u8]) -> Self {
        let tag = &md5_hex(&[body])[..16];
        let gzip = gzip(body)
            .filter(|gz| gz.len() < body.len())
            .map(|gz| (gz, format!("\"{tag}-gz\"")));
        Self {
            body,
            etag: format!("\"{tag}\""),
            gzip,
        }
    }
}

/// `body` gzipped (best compression: it is done once per body).
fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// Whether the request's `Accept-Encoding` allows gzip: named with a
/// non-zero quality, or `*` when gzip is not named.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut star = false;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return !refused;
        }
        if coding == "*" {
            star = !refused;
        }
    }
    star
}

/// The rendered `index.html`, prepared (rendered once, kept for the
/// process's life).
fn index() -> &'static Prepared {
    static I: OnceLock<Prepared> = OnceLock::new();
    I.get_or_init(|| {
        let html = INDEX.replace("{{ASSETS}}", &format!("assets/{}", asset_version()));
        Prepared::new(html.leak().as_bytes())
    })
}

/// An asset, prepared (all of them at once, at first use).
fn prepared(a: &Asset) -> Option<&'static Prepared> {
    static ALL: OnceLock<Vec<(&'static str, Prepared)>> = OnceLock::new();
    ALL.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| (a.path, Prepared::new(a.body)))
            .collect()
    })
    .iter()
    .find(|(p, _)| *p == a.path)
    .map(|(_, prepared)| prepared)
}

/// What the UI reads from `config.json`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct UiConfig {
    /// The API root relative to the page (`api/v1`), as upstream's key.
    refstack_api_url: String,
    /// Page size of `GET /v1/results`.
    results_per_page: u32,
    /// Whether sign-in is available (OpenID Connect configured, or `--dev-login`).
    sign_in_available: bool,
}

/// The state of the UI routes: the generated `config.json` and its ETag.
#[derive(Clone)]
struct UiState {
    config_json: std::sync::Arc<(String, String)>,
}

fn config_json(cfg: &Config) -> (String, String) {
    let ui = UiConfig {
        refstack_api_url: format!("{}/v1", cfg.api_prefix)
            .trim_start_matches('/')
            .to_owned(),
        results_per_page: cfg.results_per_page,
        sign_in_available: cfg.dev_login || cfg.oidc.enabled(),
    };
    let body = serde_json::to_string(&ui).unwrap_or_else(|_| "{}".to_owned());
    let etag = format!("\"{}\"", &md5_hex(&[body.as_bytes()])[..16]);
    (body, etag)
}

/// The UI routes for a configuration. Merge them before the API fallback.
pub fn router(cfg: &Config) -> Router {
    let state = UiState {
        config_json: std::sync::Arc::new(config_json(cfg)),
    };
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/config.json", get(config))
        .route("/favicon.ico", get(favicon))
        .route("/assets/{version}/{*path}", get(asset))
        .with_state(state)
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn respond(
    headers: &HeaderMap,
    etag: &str,
    content_type: &'static str,
    cache: &'static str,
    body: impl IntoResponse,
) -> Response {
    let mut resp = if not_modified(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// [`respond`] with `prepared`'s encoding the request accepts.
fn respond_prepared(
    headers: &HeaderMap,
    prepared: &'static Prepared,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let gzip = prepared.gzip.as_ref().filter(|_| accepts_gzip(headers));
    let (body, etag) = match gzip {
        Some((gz, etag)) => (gz.as_slice(), etag.as_str()),
        None => (prepared.body, prepared.etag.as_str()),
    };
    let mut resp = respond(headers, etag, content_type, cache, body);
    let h = resp.headers_mut();
    if prepared.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if gzip.is_some() && resp.status() == StatusCode::OK {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

async fn page(headers: HeaderMap) -> Response {
    let mut resp = respond_prepared(&headers, index(), "text/html; charset=utf-8", "no-cache");
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

async fn config(State(state): State<UiState>, headers: HeaderMap) -> Response {
    let (body, etag) = state.config_json.as_ref();
    respond(&headers, etag, "application/json", "no-cache", body.clone())
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

async fn asset(Path((version, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    match find(&path).and_then(|a| Some((a, prepared(a)?))) {
        Some((a, prepared)) if version == asset_version() => respond_prepared(
            &headers,
            prepared,
            a.content_type,
            "public, max-age=31536000, immutable",
        ),
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "Not Found",
        )
            .into_response(),
    }
}

async fn favicon(headers: HeaderMap) -> Response {
    match find("favicon.svg").and_then(|a| Some((a, prepared(a)?))) {
        Some((a, prepared)) => {
            respond_prepared(&headers, prepared, a.content_type, "public, max-age=86400")
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_references_versioned_assets_that_exist() {
        let html = std::str::from_utf8(index().body).unwrap_or_default();
        assert!(!html.contains("{{ASSETS}}"));
        let prefix = format!("assets/{}/", asset_version());
        let mut refs = 0;
        for part in html.split(&prefix).skip(1) {
            let path = part.split('"').next().unwrap_or_default();
            assert!(find(path).is_some(), "index.html references {path}");
            refs += 1;
        }
        assert!(refs >= 3);
    }

    #[test]
    fn every_module_import_resolves() {
        // Relative imports of the ES modules must name embedded assets.
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(a.body).unwrap_or_default();
            let dir = a.path.rsplit_once('/').map_or("", |(d, _)| d);
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let resolved = parts.join("/");
                assert!(
                    find(&resolved).is_some(),
                    "{}: import {spec} -> {resolved}",
                    a.path
                );
            }
        }
    }

    #[test]
    fn gzip_is_chosen_from_accept_encoding() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(!accepts_gzip(&HeaderMap::new()));
        assert!(with("gzip"));
        assert!(with("br, gzip, deflate"));
        assert!(with("GZIP;q=0.5"));
        assert!(with("x-gzip"));
        assert!(with("*"));
        assert!(!with("identity"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0"));
        assert!(!with("gzip; q=0.0, *"));
        assert!(!with("*;q=0"));
    }

    #[test]
    fn prepared_gzip_inflates_to_the_body() {
        use std::io::Read;
        for a in ASSETS {
            let p = prepared(a).unwrap();
            if let Some((gz, etag)) = &p.gzip {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(gz.as_slice())
                    .read_to_end(&mut plain)
                    .unwrap();
                assert_eq!(plain, a.body, "{}", a.path);
                assert_ne!(etag, &p.etag);
            }
        }
        // Text compresses: the scripts and the page have a gzip form.
        assert!(index().gzip.is_some());
        assert!(
            ASSETS
                .iter()
                .filter(|a| a.path.ends_with(".js"))
                .all(|a| prepared(a).is_some_and(|p| p.gzip.is_some()))
        );
    }

    #[test]
    fn config_follows_the_prefix() {
        let mut cfg = Config::default();
        assert!(config_json(&cfg).0.contains(r#""refstackApiUrl":"api/v1""#));
        cfg.api_prefix = String::new();
        assert!(config_json(&cfg).0.contains(r#""refstackApiUrl":"v1""#));
        cfg.api_prefix = "/x/y".into();
        assert!(config_json(&cfg).0.contains(r#""refstackApiUrl":"x/y/v1""#));
        assert!(config_json(&cfg).0.contains(r#""signInAvailable":false"#));
        cfg.dev_login = true;
        assert!(config_json(&cfg).0.contains(r#""signInAvailable":true"#));
    }
}
