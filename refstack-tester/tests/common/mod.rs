//! Loopback fakes shared by the integration tests: a Keystone (v2 and v3)
//! and a RefStack results API that records uploads.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

/// The `refstack-tester` binary with none of this machine's settings: no
/// server, configuration file or Tempest location from the environment.
pub fn tester() -> assert_cmd::Command {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("refstack-tester");
    c.env_remove("REFSTACK_URL")
        .env(
            "REFSTACK_TESTER_CONFIG",
            "/nonexistent/refstack-tester/config.toml",
        )
        .env_remove("REFSTACK_TEMPEST_DIR")
        .env_remove("REFSTACK_CLIENT_TEMPEST_DIR")
        .env_remove("REFSTACK_TEMPEST_BIN");
    c
}

/// The fake `tempest` binary (feature `fake-tempest`).
#[cfg(feature = "fake-tempest")]
pub fn fake_tempest() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_fake-tempest"))
}

/// An upload as the fake server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub public_key: Option<String>,
    pub content_type: Option<String>,
}

/// A check run on each upload; an error text makes the server answer 400.
pub type Verifier = Box<dyn Fn(&Received) -> Result<(), String> + Send>;

/// Shared state of the fake servers.
#[derive(Default)]
pub struct FakeState {
    pub uploads: Mutex<Vec<Received>>,
    pub token_requests: Mutex<Vec<Value>>,
    /// Status the upload endpoint answers with (default 201).
    pub upload_status: Mutex<Option<u16>>,
    /// Number of result pages the list endpoint serves.
    pub pages: Mutex<u64>,
    /// Extra verification hook run on each upload: returns an error text to answer 400.
    pub verify: Mutex<Option<Verifier>>,
    /// Whether `/v1/openapi.json` lists `PUT /v1/results/{id}/stream` (else 404, as upstream).
    pub offers_stream: Mutex<bool>,
    /// Report requests received: (path, query, `Authorization`).
    pub report_requests: Mutex<Vec<(String, String, Option<String>)>>,
    /// Streams received: (test id, request, `Content-Encoding`).
    pub streams: Mutex<Vec<(String, Received, Option<String>)>>,
}

/// `GET /v1/results/{id}/compliance` and `/v1/results/{a}/compare/{b}`:
/// fixed answers in the server's shapes; a run id `private` needs a token.
async fn server_report(
    State(s): State<Arc<FakeState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> impl IntoResponse {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.report_requests.lock().unwrap().push((
        uri.path().to_string(),
        uri.query().unwrap_or_default().to_string(),
        auth.clone(),
    ));
    if uri.path().contains("private") && auth.is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"code": 401, "title": "Unauthorized", "detail": "Sign in to see this run."}),
            ),
        );
    }
    let test = |name: &str, passed: bool, status: &str| json!({"name": name, "passed": passed, "flagged": false, "status": status});
    if uri.path().ends_with("/compliance") {
        let mut failed = test(
            "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details",
            false,
            "failed",
        );
        failed["traceback"] = json!(
            "Traceback (most recent call last):\n  File \"x.py\"\nAssertionError: 404 != 200\n"
        );
        let mut skipped = test(
            "tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params",
            false,
            "skipped",
        );
        skipped["skip_reason"] = json!("Glance v2 is disabled");
        return (
            StatusCode::OK,
            axum::Json(json!({
                "test_id": "r1", "guideline": "2020.06.json", "schema": "2.0",
                "target": "platform", "program": "OpenStack Powered Platform",
                "compliant": false,
                "required": {"capabilities": 2, "count": 3, "passed": 1, "not_passed": 2,
                    "flagged_passed": 0, "flagged_failed": 0, "non_flagged_total": 3,
                    "non_flagged_passed": 1, "pass_percent": 33.3, "non_flagged_pass_percent": 33.3},
                "failing_required_capabilities": ["compute-servers-create", "images-list"],
                "statuses": [{"status": "required", "count": 3, "passed": 1, "flagged_passed": 0,
                    "flagged_failed": 0, "capabilities": [
                    {"id": "compute-servers-create", "defined": true, "total": 2, "passed": 1,
                     "flagged_passed": 0, "flagged_failed": 0, "passes": false,
                     "tests": [test("tempest.api.compute.servers.test_list_servers", true, "passed"), failed]},
                    {"id": "images-list", "defined": true, "total": 1, "passed": 0,
                     "flagged_passed": 0, "flagged_failed": 0, "passes": false, "tests": [skipped]}]}],
                "stream": {"tests": 15, "rejected_packets": 0, "mismatches": 0}
            })),
        );
    }
    (
        StatusCode::OK,
        axum::Json(json!({
            "guideline": "2020.06.json", "target": "platform",
            "program": "OpenStack Powered Platform",
            "before": {"test_id": "r1", "compliant": false, "passed": 1, "count": 3,
                       "pass_percent": 33.3, "full_results": true},
            "after": {"test_id": "r2", "compliant": true, "passed": 3, "count": 3,
                      "pass_percent": 100.0, "full_results": false},
            "capabilities": [{"status": "required", "id": "images-list", "before": false, "after": true}],
            "tests": [{"status": "required", "capability": "images-list",
                       "name": "tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params",
                       "flagged": false, "passed_before": false, "passed_after": true,
                       "before": "skipped", "after": "passed"}]
        })),
    )
}

async fn openapi(State(s): State<Arc<FakeState>>) -> impl IntoResponse {
    if *s.offers_stream.lock().unwrap() {
        (
            StatusCode::OK,
            axum::Json(json!({"openapi": "3.1.0", "paths": {
                "/v1/results/{id}": {"get": {}},
                "/v1/results/{id}/stream": {"put": {"operationId": "upload_stream"}}
            }})),
        )
    } else {
        (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"code": 404, "title": "Not Found"})),
        )
    }
}

async fn stream(
    State(s): State<Arc<FakeState>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let rec = Received {
        body: body.to_vec(),
        signature: h("x-signature"),
        public_key: h("x-public-key"),
        content_type: h("content-type"),
    };
    let verdict = s.verify.lock().unwrap().as_ref().map(|v| v(&rec));
    s.streams
        .lock()
        .unwrap()
        .push((id.clone(), rec, h("content-encoding")));
    if let Some(Err(e)) = verdict {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"code": 403, "title": e})),
        );
    }
    (
        StatusCode::CREATED,
        axum::Json(
            json!({"test_id": id, "format": "v2", "encoding": "gzip", "bytes": 100,
            "stored_bytes": body.len(), "sha256": "00", "packets": 40, "rejected_packets": 0,
            "tests": 15, "passed": 9, "failed": 4, "skipped": 1, "other": 1, "mismatches": 0}),
        ),
    )
}

/// A running fake server.
pub struct Fake {
    pub addr: SocketAddr,
    pub state: Arc<FakeState>,
}

impl Fake {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

async fn v3_tokens(State(s): State<Arc<FakeState>>, body: Bytes) -> impl IntoResponse {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.token_requests.lock().unwrap().push(req.clone());
    if req.pointer("/auth/identity/password/user/password") != Some(&json!("secret")) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"error": {"code": 401, "message": "The request you have made requires authentication."}}),
            ),
        );
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({"token": {"catalog": [
            {"type": "compute", "id": "NOVA-ID", "endpoints": []},
            {"type": "identity", "id": "KEYSTONE-IDENTITY-SERVICE-ID", "endpoints": [{"id": "EP"}]}
        ]}})),
    )
}

async fn v3_no_catalog(body: Bytes) -> impl IntoResponse {
    let _ = body;
    (StatusCode::CREATED, axum::Json(json!({"token": {}})))
}

async fn v2_tokens(State(s): State<Arc<FakeState>>, body: Bytes) -> impl IntoResponse {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.token_requests.lock().unwrap().push(req);
    (
        StatusCode::OK,
        axum::Json(json!({"access": {"serviceCatalog": [
            {"type": "identity", "id": "svc", "endpoints": [{"id": "V2-IDENTITY-ENDPOINT-ID"}]}
        ]}})),
    )
}

async fn upload(
    State(s): State<Arc<FakeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let rec = Received {
        body: body.to_vec(),
        signature: h("x-signature"),
        public_key: h("x-public-key"),
        content_type: h("content-type"),
    };
    if let Some(status) = *s.upload_status.lock().unwrap() {
        s.uploads.lock().unwrap().push(rec);
        return (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(json!({"code": status, "title": "Bad Request",
                "detail": "Uploaded results must contain at least one passing test."})),
        );
    }
    let verdict = s.verify.lock().unwrap().as_ref().map(|v| v(&rec));
    if let Some(Err(e)) = verdict {
        s.uploads.lock().unwrap().push(rec);
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": 400, "title": e})),
        );
    }
    s.uploads.lock().unwrap().push(rec);
    (
        StatusCode::CREATED,
        axum::Json(json!({"test_id": "0000-1111", "url": "http://ui/#/results/0000-1111"})),
    )
}

async fn list(
    State(s): State<Arc<FakeState>>,
    Query(q): Query<Vec<(String, String)>>,
) -> impl IntoResponse {
    let pages = (*s.pages.lock().unwrap()).max(1);
    let page: u64 = q
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    if page > pages {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"code": 400, "title": "Invalid page number: The page number is greater than the total number of pages."}),
            ),
        );
    }
    let filters: Vec<String> = q
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    (
        StatusCode::OK,
        axum::Json(json!({
            "results": [{"created_at": format!("2026-01-0{page} 00:00:00"), "id": format!("id-{page}"),
                         "duration_seconds": 10, "verification_status": 0, "product_version": null,
                         "meta": {"filters": filters.join("&")},
                         "url": format!("http://ui/#/results/{page}")}],
            "pagination": {"current_page": page, "total_pages": pages}})),
    )
}

/// A tiny 2.0 guideline with one required capability of two tests.
pub const GUIDELINE: &str = r#"{
  "id": "2099.01", "schema": "2.0",
  "metadata": {"id": "2099.01", "schema": "2.0", "source": "x", "os_trademark_approval":
    {"target_approval": "x", "replaces": "x", "releases": [], "status": "approved"}},
  "platforms": {"OpenStack Powered Platform": {"description": "", "components": [
    {"name": "os_powered_compute", "status": "required"}]}},
  "components": {"os_powered_compute": {"capabilities": {
    "required": ["compute-flavors-list"], "advisory": [], "deprecated": [], "removed": []}}},
  "capabilities": {"compute-flavors-list": {"status": "approved", "description": "List flavors",
    "project": "nova", "achievements": [], "admin": false, "required-since": "", "tests": {
      "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors":
        {"idempotent_id": "id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59"},
      "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor":
        {"idempotent_id": "id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f"}}}}
}"#;

async fn guideline_file(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> impl IntoResponse {
    if file == "2099.01" || file == "2099.01.json" {
        (StatusCode::OK, GUIDELINE.to_string())
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"code": 500, "title": "Internal Server Error",
                   "detail": "The server was unable to get the JSON content for the specified guideline file."})
                .to_string(),
        )
    }
}

async fn guideline_tests(
    axum::extract::Path(version): axum::extract::Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> impl IntoResponse {
    if version != "2099.01" {
        return format!("Error getting JSON content for version: {version}");
    }
    let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]\n\
         tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59]\n# {}",
        query.join("&")
    )
}

/// Start the fakes on 127.0.0.1 (random port).
pub async fn start() -> Fake {
    let state = Arc::new(FakeState::default());
    let app = router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fake { addr, state }
}

/// The fakes over TLS on 127.0.0.1, with a fresh self-signed certificate
/// for `127.0.0.1` and `localhost` (returned as PEM). URLs are `https://`
/// ones: `Fake::url` gives `http://`, so use `tls_url`.
pub async fn start_tls() -> (Fake, String) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let state = Arc::new(FakeState::default());
    let app = router(state.clone());
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (Fake { addr, state }, cert.cert.pem())
}

/// `https://` URL of a fake started with `start_tls`.
pub fn tls_url(fake: &Fake, path: &str) -> String {
    format!("https://{}{}", fake.addr, path)
}

/// Every route of the fakes.
fn router(state: Arc<FakeState>) -> Router {
    Router::new()
        .route("/identity/v3/auth/tokens", post(v3_tokens))
        .route("/nocatalog/v3/auth/tokens", post(v3_no_catalog))
        .route("/identity/v2.0/tokens", post(v2_tokens))
        .route("/api/v1/results/", post(upload).get(list))
        .route("/api/v1/openapi.json", axum::routing::get(openapi))
        .route(
            "/api/v1/results/{id}/compliance",
            axum::routing::get(server_report),
        )
        .route(
            "/api/v1/results/{a}/compare/{b}",
            axum::routing::get(server_report),
        )
        .route("/api/v1/results/{id}/stream", axum::routing::put(stream))
        .route(
            "/api/v1/guidelines/{file}",
            axum::routing::get(guideline_file),
        )
        .route(
            "/api/v1/guidelines/{version}/tests",
            axum::routing::get(guideline_tests),
        )
        .with_state(state)
}

/// Start the fakes on a runtime thread of their own (for blocking tests
/// that run the binary).
pub fn start_background() -> (Fake, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(start());
    (fake, rt)
}

/// A port nothing listens on.
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
