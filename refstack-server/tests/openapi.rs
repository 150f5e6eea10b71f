//! The OpenAPI 3.1 document at `/v1/openapi.json`, snapshot-tested so any
//! contract change shows up in review (issue 5, "OpenAPI").

mod common;

use common::{TestApp, base_config};

#[tokio::test]
async fn openapi_document() {
    let t = TestApp::new(refstack_server::db::testing::sqlite().await, base_config()).await;
    let r = t
        .get("/v1/openapi.json")
        .send()
        .await
        .expect(200, "openapi");
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every endpoint of reference §2, and the personal API tokens.
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for p in [
        "/v1/results",
        "/v1/results/schema",
        "/v1/results/{id}",
        "/v1/results/{id}/meta",
        "/v1/results/{id}/meta/{key}",
        "/v1/results/{id}/compliance",
        "/v1/guidelines",
        "/v1/guidelines/{file}",
        "/v1/guidelines/{version}/tests",
        "/v1/profile",
        "/v1/profile/pubkeys",
        "/v1/profile/pubkeys/{id}",
        "/v1/profile/pubkeys/schema",
        "/v1/profile/tokens",
        "/v1/profile/tokens/{id}",
        "/v1/auth/signin",
        "/v1/auth/signin_return",
        "/v1/auth/signout",
        "/v1/vendors",
        "/v1/vendors/{id}",
        "/v1/vendors/{id}/action",
        "/v1/vendors/{id}/users",
        "/v1/vendors/{id}/users/{openid}",
        "/v1/products",
        "/v1/products/{id}",
        "/v1/products/{id}/versions",
        "/v1/products/{id}/versions/{vid}",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    assert!(doc["components"]["schemas"]["UploadRequest"].is_object());
    assert!(doc["components"]["schemas"]["ApiTokenCreated"].is_object());
    insta::assert_json_snapshot!("openapi", doc);
}
