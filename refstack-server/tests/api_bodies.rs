//! Property tests of the request bodies (issue 15 item 14): arbitrary JSON
//! values, JSON-shaped objects over the API's own field names, and raw
//! bytes sent to every endpoint that reads a body (upload, run update and
//! meta, vendor, vendor action, product, version, pubkey), by a caller
//! allowed to get past authorization, on every backend. No answer is a 5xx
//! (a panic would be one: the catch-panic layer answers 500), and every
//! error answer is JSON in one of the upstream shapes (or empty).

mod common;

use axum::http::{Method, StatusCode};
use common::{TestApp, Who};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

/// Field names of the v1 request bodies, so generated objects reach past
/// "unknown key" checks into each field's validation.
const KEYS: &[&str] = &[
    "cpid",
    "duration_seconds",
    "results",
    "name",
    "uuid",
    "description",
    "properties",
    "type",
    "product_type",
    "organization_id",
    "version",
    "public",
    "raw_key",
    "self_signature",
    "reason",
    "product_version_id",
    "verification_status",
    "required",
    "openid",
    "email",
    "fullname",
    "comment",
];

/// Strings that mean something to some field.
const WORDS: &[&str] = &[
    "",
    "1",
    "true",
    "register",
    "approve",
    "deny",
    "cancel",
    "ssh-rsa",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
    "2020.06",
    "platform",
    "tempest.api.compute.test_list.ListTest.test_list",
    "00000000-0000-4000-8000-000000000000",
    "\u{0}",
    "a\u{0}b",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(String::from),
        1 => ".{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0i64), Just(-1), Just(1), Just(i64::from(i32::MAX) + 1)]
            .prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(WORDS).prop_map(|s| Value::String(s.into())),
        (0usize..9000).prop_map(|n| Value::String("x".repeat(n))),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An upload-shaped object: the three schema keys with arbitrary values,
/// results as objects with arbitrary `name`/`uuid` (and sometimes more).
fn upload_like() -> impl Strategy<Value = Value> {
    let result = (json_value(), json_value(), any::<u8>()).prop_map(|(name, uuid, pick)| {
        let mut m = Map::new();
        if !pick.is_multiple_of(4) {
            m.insert("name".into(), name);
        }
        if pick.is_multiple_of(3) {
            m.insert("uuid".into(), uuid);
        }
        if pick.is_multiple_of(7) {
            m.insert("extra".into(), Value::Null);
        }
        Value::Object(m)
    });
    let name = prop_oneof![
        ".{0,30}".prop_map(|s| serde_json::json!({ "name": s })),
        result,
    ];
    (
        json_value(),
        json_value(),
        prop::collection::vec(name, 0..5),
        any::<u8>(),
    )
        .prop_map(|(cpid, duration, results, pick)| {
            let mut m = Map::new();
            m.insert("cpid".into(), cpid);
            if !pick.is_multiple_of(5) {
                m.insert("duration_seconds".into(), duration);
            }
            m.insert("results".into(), Value::Array(results));
            Value::Object(m)
        })
}

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        3 => json_value().prop_map(Body::Json),
        2 => prop::collection::btree_map(key(), json_value(), 0..5)
            .prop_map(|m| Body::Json(Value::Object(m.into_iter().collect()))),
        2 => upload_like().prop_map(Body::Json),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Body::Raw),
    ]
}

/// The endpoints that read a body, with a caller allowed to send it.
const ENDPOINTS: usize = 13;

fn endpoint(app: &TestApp, run: &str, i: usize) -> (Method, String, Who) {
    let (v, p, ver) = (&app.vendor_id, &app.product_id, &app.version_id);
    match i {
        0 => (Method::POST, "/v1/results".into(), Who::Anon),
        1 => (Method::POST, "/v1/results".into(), Who::Bob),
        2 => (Method::PUT, format!("/v1/results/{run}"), Who::Alice),
        3 => (
            Method::POST,
            format!("/v1/results/{run}/meta/shared"),
            Who::Alice,
        ),
        4 => (Method::POST, "/v1/vendors".into(), Who::Bob),
        5 => (Method::PUT, format!("/v1/vendors/{v}"), Who::Carol),
        6 => (Method::POST, format!("/v1/vendors/{v}/action"), Who::Dave),
        7 => (Method::POST, "/v1/products".into(), Who::Carol),
        8 => (Method::PUT, format!("/v1/products/{p}"), Who::Carol),
        9 => (
            Method::POST,
            format!("/v1/products/{p}/versions"),
            Who::Carol,
        ),
        10 => (
            Method::PUT,
            format!("/v1/products/{p}/versions/{ver}"),
            Who::Carol,
        ),
        11 => (Method::POST, "/v1/profile/pubkeys".into(), Who::Bob),
        // A stream: any bytes (JSON, raw, a gzip or zstd magic) are a 4xx
        // (no test events, corrupt compression; 409 once one was stored).
        _ => (Method::PUT, format!("/v1/results/{run}/stream"), Who::Alice),
    }
}

#[test]
fn request_bodies_never_give_a_5xx() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let apps = rt.block_on(TestApp::all());
    let runs: Vec<String> = rt.block_on(async {
        let mut runs = Vec::new();
        for app in &apps {
            runs.push(app.upload(Who::Alice, "cpid-props", &["t.a", "t.b"]).await);
        }
        runs
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(384);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&(0..ENDPOINTS, body()), |(i, body)| {
        for (app, run) in apps.iter().zip(&runs) {
            let (method, path, who) = endpoint(app, run, i);
            let bytes = match &body {
                Body::Json(v) => serde_json::to_vec(v).unwrap_or_default(),
                Body::Raw(b) => b.clone(),
            };
            let resp = rt.block_on(
                app.req(method.clone(), &path)
                    .as_(who)
                    .header("content-type", "application/json")
                    .raw(bytes)
                    .send(),
            );
            prop_assert!(
                resp.status.as_u16() < 500,
                "{}: {method} {path} as {who:?} with {body:?}: {} {}",
                app.label(),
                resp.status,
                resp.text()
            );
            if resp.status.is_client_error() && !resp.body.is_empty() {
                prop_assert!(
                    serde_json::from_slice::<Value>(&resp.body).is_ok(),
                    "{}: {method} {path}: {} is not JSON: {}",
                    app.label(),
                    resp.status,
                    resp.text()
                );
            }
            prop_assert_ne!(resp.status, StatusCode::INTERNAL_SERVER_ERROR);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
