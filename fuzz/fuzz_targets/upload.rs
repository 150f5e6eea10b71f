//! `POST /v1/results` through `refstack_server::app` (tower `oneshot`, one
//! current-thread runtime and one in-memory SQLite database per process):
//! signature over the exact bytes, then JSON, schema, identity, store.
//!
//! The first input byte picks the headers, the rest is the body:
//! `0` unsigned; `1` signed with a registered key; `2` signed with a key
//! nobody registered; `3` the body starts with the `X-Signature` and
//! `X-Public-Key` values, one line each (either left out when not a valid
//! header value). Every answer is a 2xx or a 4xx (a panic would be a 500 from
//! the catch-panic layer); an unregistered key is never a 201; a 201 names a
//! run that is stored with the cpid and as many results as distinct names
//! were sent.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use refstack_api_types::results::UploadRequest;
use refstack_core::signature::PrivateKey;
use refstack_server::db::{self, Db};
use refstack_server::{AppState, Config};
use tokio::runtime::Runtime;
use tower::ServiceExt;

const REGISTERED: &str = include_str!("../../refstack-server/tests/fixtures/alice.pem");
const UNREGISTERED: &str = include_str!("../../refstack-server/tests/fixtures/bob.pem");

struct Harness {
    rt: Runtime,
    app: Router,
    db: Db,
    registered: PrivateKey,
    unregistered: PrivateKey,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let registered = PrivateKey::from_pem(REGISTERED).expect("fixture key");
        let unregistered = PrivateKey::from_pem(UNREGISTERED).expect("fixture key");
        let (app, db) = rt.block_on(async {
            let db = Db::connect("sqlite::memory:").await.expect("sqlite");
            db.migrate().await.expect("migrate");
            let openid = "https://openstackid.org/fuzz".to_owned();
            db::users::upsert(
                &db,
                &db::users::NewUser {
                    openid: openid.clone(),
                    email: None,
                    fullname: Some("Fuzz".into()),
                },
            )
            .await
            .expect("user");
            let line = registered.public_key().to_openssh();
            let mut parts = line.split_whitespace();
            db::pubkeys::add(
                &db,
                &db::pubkeys::NewPubkey {
                    openid,
                    format: parts.next().unwrap_or_default().to_owned(),
                    pubkey: parts.next().unwrap_or_default().to_owned(),
                    comment: None,
                },
            )
            .await
            .expect("pubkey");
            let app = refstack_server::app(AppState::new(Config::default(), db.clone()));
            (app, db)
        });
        Harness {
            rt,
            app,
            db,
            registered,
            unregistered,
        }
    })
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .expect("in-memory body");
    (status, body)
}

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let h = harness();
    let mode = mode % 4;
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v1/results")
        .header("content-type", "application/json");
    let body: &[u8] = match mode {
        1 | 2 => {
            let key = if mode == 1 {
                &h.registered
            } else {
                &h.unregistered
            };
            let sig = key.sign_hex(rest).expect("sign");
            req = req
                .header("x-signature", sig)
                .header("x-public-key", key.public_key().to_openssh());
            rest
        }
        3 => {
            let (sig, rest) = split_line(rest);
            let (key, body) = split_line(rest);
            if let Ok(v) = HeaderValue::from_bytes(sig) {
                req = req.header("x-signature", v);
            }
            if let Ok(v) = HeaderValue::from_bytes(key) {
                req = req.header("x-public-key", v);
            }
            body
        }
        _ => rest,
    };
    let req = req.body(Body::from(body.to_vec())).expect("request");
    h.rt.block_on(async {
        let (status, answer) = send(&h.app, req).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{status}: {}",
            String::from_utf8_lossy(&answer)
        );
        if mode == 2 {
            assert_ne!(
                status,
                StatusCode::CREATED,
                "an unregistered key stored a run"
            );
        }
        if status != StatusCode::CREATED {
            return;
        }
        let sent: UploadRequest = serde_json::from_slice(body).expect("a 201 body is an upload");
        let distinct: HashSet<&str> = sent.results.iter().map(|r| r.name.as_str()).collect();
        let answer: serde_json::Value = serde_json::from_slice(&answer).expect("201 JSON");
        let id = answer["test_id"].as_str().expect("test_id");
        // Through the storage layer: a signed run is not readable anonymously.
        let run = db::results::get_test_run(&h.db, id)
            .await
            .expect("stored run");
        assert_eq!(run.cpid, sent.cpid);
        let names = db::results::result_names(&h.db, id).await.expect("results");
        assert_eq!(names.len(), distinct.len(), "stored results of {id}");
    });
});
