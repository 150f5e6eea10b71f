//! Global HTTP behaviour (reference §1), JWT resolution (§8.3), and the
//! tests that need a real socket: body limit, CORS, graceful shutdown.

mod common;

use std::time::Duration;

use common::{ALICE, TestApp, Who, base_config, jwt_for, upload_body};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn sqlite_app(cfg: refstack_server::Config) -> TestApp {
    TestApp::new(refstack_server::db::testing::sqlite().await, cfg).await
}

#[tokio::test]
async fn routing_errors_and_url_forms() {
    let t = sqlite_app(base_config()).await;
    // §1.1: unknown paths and /v1 itself → 404 detail null (`/` is the web
    // UI, tests/ui_assets.rs).
    for p in ["/v1", "/v1/nope", "/api", "/api/v1/results/x/y/z/w"] {
        t.get(p).send().await.http_error(404, None, p);
    }
    // Unsupported method → 405 detail "".
    t.req(axum::http::Method::PATCH, "/v1/results")
        .send()
        .await
        .http_error(405, Some(""), "patch");
    // Prefix, trailing slash and .json suffix all reach the same handler.
    for p in [
        "/v1/results",
        "/v1/results/",
        "/api/v1/results",
        "/api/v1/results.json",
        "/v1/results.json/",
    ] {
        let r = t.get(p).send().await.expect(200, p);
        assert_eq!(r.json()["pagination"]["current_page"], 1, "{p}");
    }
    let r = t.get("/v1/results").send().await;
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
}

#[tokio::test]
async fn jwt_resolution() {
    let t = sqlite_app(base_config()).await;
    // §8.3: any Authorization header must be a valid token, even on public endpoints.
    let cases: Vec<(String, &str)> = vec![
        (
            "Basic abc".into(),
            "Authorization schema 'Bearer' should be used",
        ),
        ("Bearer".into(), "Token is not valid"),
        ("Bearer not.a.jwt".into(), "Token is not valid"),
        (
            format!("Bearer {}", jwt_without_openid()),
            "Token does not contain user's openid",
        ),
        // Signed by bob's key, claiming alice.
        (
            format!("Bearer {}", jwt_for(Who::Bob, ALICE, 3600)),
            "Token is not valid",
        ),
        // Expired beyond the 42 s leeway.
        (
            format!("Bearer {}", jwt_for(Who::Alice, ALICE, -120)),
            "Token is not valid",
        ),
    ];
    for (header, title) in cases {
        t.get("/v1/results")
            .header("authorization", &header)
            .send()
            .await
            .exc_error(400, title, &header);
    }
    // Within the leeway: accepted.
    let token = jwt_for(Who::Alice, ALICE, -10);
    let r = t
        .get("/v1/profile")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await
        .expect(200, "leeway");
    assert_eq!(r.json()["openid"], ALICE);
    // No token → not authenticated.
    t.get("/v1/profile")
        .send()
        .await
        .http_error(401, None, "anon");
}

/// Issue 15 item 2: `nbf` and `iat` are checked (42 s leeway, as PyJWT).
#[tokio::test]
async fn jwt_not_before_and_issued_at() {
    let t = sqlite_app(base_config()).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let exp = now + 7200;
    let refused = [
        ("nbf in 50 minutes", json!({"nbf": now + 3000})),
        ("nbf beyond the leeway", json!({"nbf": now + 120})),
        ("iat in 50 minutes", json!({"iat": now + 3000})),
        ("iat not a number", json!({"iat": "yesterday"})),
    ];
    for (what, extra) in refused {
        let token = alice_jwt_with(exp, extra);
        t.get("/v1/profile")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await
            .exc_error(400, "Token is not valid", what);
    }
    let accepted = [
        ("nbf within the leeway", json!({"nbf": now + 20})),
        ("nbf past", json!({"nbf": now - 60})),
        ("iat now", json!({"iat": now})),
        ("iat within the leeway", json!({"iat": now + 20})),
        ("iat as a float", json!({"iat": now as f64 - 0.5})),
    ];
    for (what, extra) in accepted {
        let token = alice_jwt_with(exp, extra);
        let r = t
            .get("/v1/profile")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await
            .expect(200, what);
        assert_eq!(r.json()["openid"], ALICE, "{what}");
    }
}

/// A JWT for alice with `exp` and the claims of `extra`.
fn alice_jwt_with(exp: i64, extra: serde_json::Value) -> String {
    let pem = std::fs::read(common::fixture("alice.pem")).expect("pem");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("pem");
    let mut claims = json!({"user_openid": ALICE, "exp": exp});
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("jwt")
}

fn jwt_without_openid() -> String {
    let pem = std::fs::read(common::fixture("alice.pem")).expect("pem");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("pem");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &serde_json::json!({"exp": 4_000_000_000u64}),
        &key,
    )
    .expect("jwt")
}

/// Starts the app on 127.0.0.1:0; returns its address and a shutdown trigger.
async fn spawn(
    t: &TestApp,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = t.app.clone();
    let handle = tokio::spawn(refstack_server::serve(listener, app, async move {
        let _ = rx.await;
    }));
    (addr, tx, handle)
}

async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn cors_over_a_socket() {
    let t = sqlite_app(base_config()).await;
    let (addr, stop, handle) = spawn(&t).await;
    // §1.4: allowed origin gets the headers, also on errors.
    let resp = raw_http(
        addr,
        b"GET /v1/nope HTTP/1.1\r\nHost: x\r\nOrigin: https://ui.example.org\r\nConnection: close\r\n\r\n",
    )
    .await
    .to_ascii_lowercase();
    assert!(resp.starts_with("http/1.1 404"), "{resp}");
    assert!(
        resp.contains("access-control-allow-origin: https://ui.example.org"),
        "{resp}"
    );
    assert!(
        resp.contains("access-control-allow-credentials: true"),
        "{resp}"
    );
    // Preflight OPTIONS is answered (§10 item 25).
    let resp = raw_http(
        addr,
        b"OPTIONS /api/v1/results/ HTTP/1.1\r\nHost: x\r\nOrigin: https://ui.example.org\r\n\
          Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\
          Connection: close\r\n\r\n",
    )
    .await
    .to_ascii_lowercase();
    assert!(resp.starts_with("http/1.1 200"), "{resp}");
    assert!(resp.contains("access-control-allow-methods:"), "{resp}");
    assert!(resp.contains("put"), "{resp}");
    // Unknown origin: no CORS headers.
    let resp = raw_http(
        addr,
        b"GET /v1/results HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n",
    )
    .await
    .to_ascii_lowercase();
    assert!(resp.starts_with("http/1.1 200"), "{resp}");
    assert!(!resp.contains("access-control-allow-origin"), "{resp}");
    let _ = stop.send(());
    handle.await.expect("join").expect("serve");
}

#[tokio::test]
async fn body_limit_over_a_socket() {
    let mut cfg = base_config();
    cfg.body_limit = 64 * 1024;
    let t = sqlite_app(cfg).await;
    let (addr, stop, handle) = spawn(&t).await;
    let names: Vec<String> = (0..2000)
        .map(|i| format!("tempest.api.test_{i:05}"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let body = upload_body("big", &refs);
    assert!(body.len() > 64 * 1024);
    let mut req = format!(
        "POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let resp = raw_http(addr, &req).await;
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("\"code\":413"), "{resp}");
    let _ = stop.send(());
    handle.await.expect("join").expect("serve");
}

/// Issue 15 item 6: a declared length over the limit is refused at once,
/// without waiting for a body that will never be accepted (it used to be
/// held until the 120 s request timeout and then answered 408).
#[tokio::test]
async fn declared_oversize_is_refused_before_the_body() {
    let t = sqlite_app(base_config()).await;
    let (addr, stop, handle) = spawn(&t).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(
        b"POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000000000\r\n\r\n{\"cpid\"",
    )
    .await
    .expect("head");
    let mut out = Vec::new();
    // A hang guard, not a timing: the default request timeout is 120 s.
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
        .await
        .expect("answered without waiting for the body")
        .expect("read");
    let resp = String::from_utf8_lossy(&out);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("\"code\":413"), "{resp}");
    let _ = stop.send(());
    handle.await.expect("join").expect("serve");
}

#[tokio::test]
async fn default_body_limit_takes_a_100k_test_upload() {
    // Issue 5 "Limits": the default limit is large enough for 100k tests, and every
    // backend stores and returns them all, in order (100 result parts each).
    let names: Vec<String> = (0..100_000)
        .map(|i| {
            format!("tempest.api.compute.servers.test_servers.ServersTestJSON.test_case_{i:06}")
        })
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let body = upload_body("huge", &refs);
    assert!(body.len() > 2 << 20, "bigger than axum's 2 MB default");
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let r = t
            .post("/v1/results")
            .raw(body.clone())
            .send()
            .await
            .expect(201, &l);
        let id = r.json()["test_id"].as_str().unwrap_or_default().to_owned();
        let r = t
            .get(&format!("/v1/results/{id}"))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["results"], serde_json::json!(names), "{l}");
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_an_inflight_upload() {
    let t = sqlite_app(base_config()).await;
    let (addr, stop, handle) = spawn(&t).await;
    let body = upload_body("inflight", &["t.a", "t.b"]);
    let head = format!(
        "POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("head");
    s.write_all(&body[..10]).await.expect("part");
    s.flush().await.expect("flush");
    // Let the server start reading the request, then ask it to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !handle.is_finished(),
        "the server waits for the in-flight request"
    );
    s.write_all(&body[10..]).await.expect("rest");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let resp = String::from_utf8_lossy(&out);
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    handle.await.expect("join").expect("serve");
    let page = refstack_server::db::results::list_runs(
        t.dbh(),
        &refstack_server::db::results::RunFilter::default(),
        1,
        20,
    )
    .await
    .expect("list");
    assert_eq!(page.total, 1, "the in-flight upload was stored");
}

#[tokio::test]
async fn internal_errors_and_dev_mode_detail() {
    // §1.3 shape 2: a failing database is a 500 "Internal Server Error";
    // `app_dev_mode` adds the message as `detail`.
    for dev in [false, true] {
        let mut cfg = base_config();
        cfg.app_dev_mode = dev;
        let t = sqlite_app(cfg).await;
        t.dbh().close().await;
        let r = t.get("/v1/results").send().await.expect(500, "closed db");
        let j = r.json();
        assert_eq!(j["title"], "Internal Server Error");
        assert_eq!(j["code"], 500);
        assert_eq!(j.get("detail").is_some(), dev, "{j}");
    }
}

#[tokio::test]
async fn request_timeout_answers_the_json_error_shape() {
    // A request still unfinished after `request_timeout_secs` (here: its body
    // never completes) is answered 408 in the HTTP error shape, like every
    // other error, and nothing is stored.
    let mut cfg = base_config();
    cfg.request_timeout_secs = 1;
    let t = sqlite_app(cfg).await;
    let (addr, stop, handle) = spawn(&t).await;
    let body = upload_body("slow", &["t.a", "t.b"]);
    let head = format!(
        "POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("head");
    s.write_all(&body[..10]).await.expect("part");
    s.flush().await.expect("flush");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let resp = String::from_utf8_lossy(&out);
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{resp}"
    );
    let json = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let parsed: refstack_api_types::ErrorBody = serde_json::from_str(json).expect("error body");
    let refstack_api_types::ErrorBody::Http(e) = parsed else {
        panic!("not the HTTP error shape: {json}");
    };
    assert_eq!(e.code, 408);
    assert_eq!(e.title, "Request Timeout");
    assert_eq!(
        e.detail.as_deref(),
        Some("The request was not handled within 1 s.")
    );
    let _ = stop.send(());
    handle.await.expect("join").expect("serve");
    let page = refstack_server::db::results::list_runs(
        t.dbh(),
        &refstack_server::db::results::RunFilter::default(),
        1,
        20,
    )
    .await
    .expect("list");
    assert_eq!(page.total, 0, "the timed-out upload was not stored");
}
