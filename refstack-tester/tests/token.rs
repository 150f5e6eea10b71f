//! `refstack-tester list --token` / `REFSTACK_TOKEN`: the personal API token goes out as
//! `Authorization: Bearer`, `--signed` asks for the caller's own runs, and a server's 401
//! is one clear error line.

use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;

#[derive(Default)]
struct Seen {
    requests: Vec<(Option<String>, Option<String>)>,
}

async fn results(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> axum::response::Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    if let Ok(mut s) = seen.lock() {
        s.requests.push((auth.clone(), q));
    }
    if auth.as_deref() == Some("Bearer rst_revoked") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"code": 401, "title": "Unauthorized",
                "detail": "API token is not valid (unknown, revoked or expired)"})),
        )
            .into_response();
    }
    axum::Json(serde_json::json!({
        "results": [],
        "pagination": {"current_page": 1, "total_pages": 1}
    }))
    .into_response()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_with_a_token() {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let app = axum::Router::new()
        .route("/api/v1/results/", get(results))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let run = |args: Vec<String>, env: Option<&str>| {
        let mut cmd = Command::cargo_bin("refstack-tester").unwrap();
        cmd.args(args).env_remove("REFSTACK_TOKEN");
        if let Some(t) = env {
            cmd.env("REFSTACK_TOKEN", t);
        }
        cmd.output().unwrap()
    };
    let base = |extra: &[&str]| {
        let mut v: Vec<String> = vec!["list".into(), "--url".into(), url.clone(), "--json".into()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let out = tokio::task::spawn_blocking({
        let a = base(&["--token", "rst_flag", "--signed"]);
        move || run(a, None)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tokio::task::spawn_blocking({
        let a = base(&[]);
        move || run(a, Some("rst_env"))
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tokio::task::spawn_blocking({
        let a = base(&[]);
        move || run(a, None)
    })
    .await
    .unwrap();
    assert!(out.status.success());
    // --signed without a token is a usage error.
    let out = tokio::task::spawn_blocking({
        let a = base(&["--signed"]);
        move || run(a, None)
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    // A revoked token: one error line with the server's message.
    let out = tokio::task::spawn_blocking({
        let a = base(&["--token", "rst_revoked"]);
        move || run(a, None)
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("401") && err.contains("API token is not valid"),
        "{err}"
    );
    assert!(
        !err.contains("rst_revoked"),
        "the token must not be printed: {err}"
    );

    let s = seen.lock().unwrap();
    let r = &s.requests;
    assert_eq!(r[0].0.as_deref(), Some("Bearer rst_flag"));
    assert!(
        r[0].1
            .as_deref()
            .unwrap_or("")
            .split('&')
            .any(|p| p == "signed="),
        "{:?}",
        r[0]
    );
    assert_eq!(r[1].0.as_deref(), Some("Bearer rst_env"));
    assert!(!r[1].1.as_deref().unwrap_or("").contains("signed"));
    assert_eq!(r[2].0, None);
}
