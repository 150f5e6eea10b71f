//! The HTTP side: a TLS-configured client, the RefStack v1 results API
//! (upload, list) and plain-text downloads (test lists, guidelines).

use std::path::Path;
use std::time::Duration;

use refstack_api_types::results::{ResultsPage, UploadResponse};
use refstack_api_types::stream::StreamUploadResponse;
use reqwest::RequestBuilder;
use reqwest::header::CONTENT_TYPE;

use crate::error::{Error, one_line};

/// TLS and timeout settings of an HTTP client.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Accept any certificate (`-k/--insecure`, or tempest.conf's
    /// `disable_ssl_certificate_validation` for Keystone).
    pub insecure: bool,
    /// A PEM bundle of extra trusted CA certificates.
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Overall timeout per request; `None` means 120 seconds.
    pub timeout: Option<Duration>,
}

/// Installs ring as rustls's process-wide crypto provider, once: reqwest is
/// built without one (`rustls-no-provider`), so that aws-lc is not compiled.
pub fn ensure_crypto_provider() {
    // An error means a provider is installed already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Build a reqwest client (rustls) with the given options.
pub fn client(options: &HttpOptions) -> Result<reqwest::Client, Error> {
    ensure_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("refstack-tester/", env!("CARGO_PKG_VERSION")))
        .timeout(options.timeout.unwrap_or(Duration::from_secs(120)))
        .connect_timeout(Duration::from_secs(30));
    if options.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    if let Some(path) = &options.ca_bundle {
        builder = builder.tls_certs_merge(read_ca_bundle(path)?);
    }
    builder.build().map_err(|e| Error::Http {
        url: String::new(),
        message: format!("cannot build the HTTP client: {}", one_line(&e)),
    })
}

fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let pem = std::fs::read(path).map_err(|source| Error::Io {
        action: "read the CA bundle",
        path: path.to_path_buf(),
        source,
    })?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: format!("not a PEM certificate bundle: {}", one_line(&e)),
    })
}

pub(crate) fn transport(url: &str, err: &reqwest::Error) -> Error {
    Error::Http {
        url: url.to_string(),
        message: one_line(err),
    }
}

/// The message a server put in an error body: RefStack's
/// `{"title": …, "detail": …}`, Keystone's `{"error": {"message": …}}`, or
/// the first line of the body text.
pub fn server_message(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        let title = value.get("title").and_then(|v| v.as_str());
        let detail = value
            .get("detail")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty());
        match (title, detail) {
            (Some(t), Some(d)) => return format!("{t}: {d}"),
            (Some(t), None) => return t.to_string(),
            (None, Some(d)) => return d.to_string(),
            (None, None) => {}
        }
        if let Some(m) = value.pointer("/error/message").and_then(|v| v.as_str()) {
            return m.to_string();
        }
        if let Some(m) = value.get("message").and_then(|v| v.as_str()) {
            return m.to_string();
        }
    }
    let line = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(empty body)")
        .trim();
    line.chars().take(300).collect()
}

/// `<base>/v1/results/`, without doubling a trailing slash of `base`
/// (upstream produced `//v1/…`).
pub fn results_endpoint(base: &str) -> String {
    format!("{}/v1/results/", base.trim_end_matches('/'))
}

/// The signature headers of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `X-Signature`: lowercase hex of the RSA PKCS#1 v1.5 / SHA-256 signature of the body.
    pub signature_hex: String,
    /// `X-Public-Key`: `ssh-rsa AAAA…` without a comment.
    pub public_key: String,
}

/// Adds the signature headers, when given.
fn signed(request: RequestBuilder, signature: Option<&SignatureHeaders>) -> RequestBuilder {
    match signature {
        Some(sig) => request
            .header("X-Signature", sig.signature_hex.as_str())
            .header("X-Public-Key", sig.public_key.as_str()),
        None => request,
    }
}

/// Adds `Authorization: Bearer <token>` (marked sensitive), when given.
fn bearer(request: RequestBuilder, token: Option<&str>) -> Result<RequestBuilder, Error> {
    let Some(t) = token else {
        return Ok(request);
    };
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", t.trim()))
        .map_err(|_| Error::Input {
            origin: "--token".into(),
            message: "the token is not a valid header value".into(),
        })?;
    value.set_sensitive(true);
    Ok(request.header(reqwest::header::AUTHORIZATION, value))
}

/// Sends `request` and returns the answer's body; a status other than
/// `expected` (any 2xx when `None`) is an error carrying the server's message.
async fn send(
    request: RequestBuilder,
    endpoint: &str,
    expected: Option<u16>,
) -> Result<String, Error> {
    let response = request.send().await.map_err(|e| transport(endpoint, &e))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| transport(endpoint, &e))?;
    let ok = expected.map_or(status.is_success(), |code| status.as_u16() == code);
    if !ok {
        return Err(Error::Server {
            url: endpoint.to_string(),
            status: status.as_u16(),
            message: server_message(&text),
        });
    }
    Ok(text)
}

/// Parses the JSON answer of `endpoint`; `what` names it in the error.
fn parse<T: serde::de::DeserializeOwned>(
    endpoint: String,
    text: &str,
    what: &str,
) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Input {
        origin: endpoint,
        message: format!("unexpected {what}: {e}"),
    })
}

/// POST `body` (exactly these bytes) to `<base>/v1/results/`, with the
/// signature headers when given. Anything but 201 is an error carrying the
/// server's message.
pub async fn upload_bytes(
    client: &reqwest::Client,
    base: &str,
    body: Vec<u8>,
    signature: Option<&SignatureHeaders>,
) -> Result<UploadResponse, Error> {
    let endpoint = results_endpoint(base);
    let request = client
        .post(&endpoint)
        .header(CONTENT_TYPE, "application/json")
        .body(body);
    let text = send(signed(request, signature), &endpoint, Some(201)).await?;
    tracing::info!("{endpoint} Response: {text}");
    parse(endpoint, &text, "upload answer")
}

/// Whether the server takes a run's whole subunit stream
/// (`PUT /v1/results/{id}/stream`, beyond upstream's v1 API): its OpenAPI
/// document (`<base>/v1/openapi.json`) lists that operation. Any failure
/// (upstream has no such document) means no.
pub async fn offers_stream_upload(client: &reqwest::Client, base: &str) -> bool {
    let url = format!("{}/v1/openapi.json", base.trim_end_matches('/'));
    let Ok(text) = get_text(client, &url).await else {
        tracing::debug!("{url}: no OpenAPI document; the stream is not uploaded");
        return false;
    };
    serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|doc| {
        doc.pointer("/paths/~1v1~1results~1{id}~1stream/put")
            .is_some()
    })
}

/// PUT a run's subunit stream (`body`, exactly these bytes, gzip-compressed)
/// to `<base>/v1/results/<test_id>/stream`, signed like the upload. Anything
/// but 201 is an error carrying the server's message.
pub async fn upload_stream(
    client: &reqwest::Client,
    base: &str,
    test_id: &str,
    body: Vec<u8>,
    signature: Option<&SignatureHeaders>,
) -> Result<StreamUploadResponse, Error> {
    let endpoint = format!("{}/v1/results/{test_id}/stream", base.trim_end_matches('/'));
    let request = client
        .put(&endpoint)
        .header(CONTENT_TYPE, "application/octet-stream")
        .header("Content-Encoding", "gzip")
        .body(body);
    let text = send(signed(request, signature), &endpoint, Some(201)).await?;
    parse(endpoint, &text, "stream upload answer")
}

/// GET a URL and return its body as text; any status other than 2xx is an error.
pub async fn get_text(client: &reqwest::Client, url: &str) -> Result<String, Error> {
    send(client.get(url), url, None).await
}

/// GET one page of `<base>/v1/results/` (query `page`, `start_date`,
/// `end_date`, `cpid`, in upstream's order).
pub async fn get_results_page(
    client: &reqwest::Client,
    base: &str,
    page: u64,
    filters: &ListFilters,
) -> Result<ResultsPage, Error> {
    get_results_page_as(client, base, page, filters, None).await
}

/// [`get_results_page`] as the user of a personal API token (`rst_...`, made on the
/// server's profile page), sent as `Authorization: Bearer`; with
/// [`ListFilters::signed`] the user's own runs, private ones included.
pub async fn get_results_page_as(
    client: &reqwest::Client,
    base: &str,
    page: u64,
    filters: &ListFilters,
    token: Option<&str>,
) -> Result<ResultsPage, Error> {
    let endpoint = results_endpoint(base);
    let mut query: Vec<(&str, String)> = vec![("page", page.to_string())];
    if let Some(v) = &filters.start_date {
        query.push(("start_date", v.clone()));
    }
    if let Some(v) = &filters.end_date {
        query.push(("end_date", v.clone()));
    }
    if let Some(v) = &filters.cpid {
        query.push(("cpid", v.clone()));
    }
    if filters.signed {
        query.push(("signed", String::new()));
    }
    let request = client
        .get(&endpoint)
        .header(CONTENT_TYPE, "application/json")
        .query(&query);
    let text = send(bearer(request, token)?, &endpoint, None).await?;
    parse(endpoint, &text, "results page")
}

/// GET `<base><path>` with `query`, as the user of `token` when given, and
/// parse the JSON answer. Anything but 2xx is an error with the server's message.
pub async fn get_json_as<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    query: &[(&str, &str)],
    token: Option<&str>,
) -> Result<T, Error> {
    let endpoint = format!("{}{path}", base.trim_end_matches('/'));
    let request = bearer(client.get(&endpoint).query(query), token)?;
    let text = send(request, &endpoint, None).await?;
    parse(endpoint, &text, "answer")
}

/// Filters of the results list.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// `start_date`, e.g. `2015-04-24 01:23:56`.
    pub start_date: Option<String>,
    /// `end_date`.
    pub end_date: Option<String>,
    /// Exact cloud provider id.
    pub cpid: Option<String>,
    /// Only the caller's own runs (`?signed`; needs a token).
    pub signed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_and_messages() {
        assert_eq!(
            results_endpoint("http://h/api/"),
            "http://h/api/v1/results/"
        );
        assert_eq!(results_endpoint("http://h/api"), "http://h/api/v1/results/");
        assert_eq!(
            server_message(
                r#"{"code":400,"title":"Bad Request","detail":"Uploaded results must contain at least one passing test."}"#
            ),
            "Bad Request: Uploaded results must contain at least one passing test."
        );
        assert_eq!(server_message(r#"{"title":"Nope","code":401}"#), "Nope");
        assert_eq!(
            server_message(r#"{"error":{"code":401,"message":"bad creds"}}"#),
            "bad creds"
        );
        assert_eq!(server_message("\n<html>oops</html>\n"), "<html>oops</html>");
    }
}
