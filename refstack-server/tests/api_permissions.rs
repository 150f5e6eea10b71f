//! The permission matrix (reference §2 "Auth" column, §8.4, §10 items 3, 8,
//! 15): every endpoint × anonymous, owner (alice, uploader of a private run),
//! user (bob), vendor admin (carol), foundation admin (dave), on every backend,
//! with each way of authenticating: RS256 JWT, personal API token, session
//! cookie (with its CSRF token).

mod common;

use base64::Engine;
use common::{ALICE, Auth, TestApp, Who};
use refstack_server::db;
use refstack_subunit::PacketStatus;
use serde_json::json;

const WHO: [Who; 5] = [Who::Anon, Who::Alice, Who::Bob, Who::Carol, Who::Dave];

/// A private (unshared, signed) run of alice.
async fn private_run(t: &TestApp) -> String {
    t.upload(Who::Alice, "cpid-alice", &["t.a"]).await
}

async fn alice_vendor(t: &TestApp) -> String {
    db::vendors::create(
        t.dbh(),
        &db::vendors::NewOrganization {
            name: "Alice Private".into(),
            description: None,
            created_by: ALICE.into(),
            kind: db::vendors::OrgType::PrivateVendor,
            properties: None,
        },
    )
    .await
    .expect("vendor")
    .id
}

async fn product_of(t: &TestApp, org: &str, by: &str) -> (String, String) {
    let (p, v) = db::products::create(
        t.dbh(),
        &db::products::NewProduct {
            name: "P".into(),
            description: None,
            organization_id: org.into(),
            created_by: by.into(),
            product_type: 0,
            version: None,
            properties: None,
        },
    )
    .await
    .expect("product");
    (p.id, v.id)
}

async fn version_of(t: &TestApp, product: &str, name: &str) -> String {
    db::versions::create(
        t.dbh(),
        &db::versions::NewVersion {
            product_id: product.into(),
            version: Some(name.into()),
            cpid: None,
            created_by: common::CAROL.into(),
        },
    )
    .await
    .expect("version")
    .id
}

/// A named version of a fresh private product of alice's private vendor.
async fn alice_version(t: &TestApp) -> String {
    let v = alice_vendor(t).await;
    let (p, _) = product_of(t, &v, ALICE).await;
    db::versions::create(
        t.dbh(),
        &db::versions::NewVersion {
            product_id: p,
            version: Some("a1".into()),
            cpid: Some("cpid-a".into()),
            created_by: ALICE.into(),
        },
    )
    .await
    .expect("version")
    .id
}

/// A user outside every group (so membership rows do not change the
/// matrix), base64-encoded for the URL.
async fn erin(t: &TestApp) -> String {
    let openid = "https://openstackid.org/erin";
    db::users::upsert(
        t.dbh(),
        &db::users::NewUser {
            openid: openid.into(),
            email: None,
            fullname: None,
        },
    )
    .await
    .expect("erin");
    base64::engine::general_purpose::STANDARD.encode(openid)
}

/// Runs row `row` as `who` against fresh resources; returns the status.
async fn probe(t: &TestApp, row: &str, who: Who, n: usize) -> u16 {
    let vendor = t.vendor_id.clone();
    let product = t.product_id.clone();
    let r = match row {
        "GET /results" => t.get("/v1/results").as_(who).send().await,
        "POST /results" => {
            let body = common::upload_body("c", &["t.a"]);
            t.post("/v1/results").as_(who).raw(body).send().await
        }
        "GET /results/schema" => t.get("/v1/results/schema").as_(who).send().await,
        "GET /results?signed" => t.get("/v1/results?signed").as_(who).send().await,
        "GET /results/{private}" => {
            let id = private_run(t).await;
            t.get(&format!("/v1/results/{id}")).as_(who).send().await
        }
        "PUT /results/{private}/stream" => {
            let id = private_run(t).await;
            let stream = common::v2_stream(&[("t.a", PacketStatus::Success, None)]);
            t.put(&format!("/v1/results/{id}/stream"))
                .as_(who)
                .raw(stream)
                .send()
                .await
        }
        "GET /results/{private}/compare/{private}" => {
            let id = private_run(t).await;
            t.get(&format!("/v1/results/{id}/compare/{id}"))
                .as_(who)
                .send()
                .await
        }
        "GET /results/{anonymous}" => {
            let id = t.upload(Who::Anon, "c", &["t.a"]).await;
            t.get(&format!("/v1/results/{id}")).as_(who).send().await
        }
        "PUT /results/{private}" => {
            let id = private_run(t).await;
            t.put(&format!("/v1/results/{id}"))
                .as_(who)
                .json(json!({}))
                .send()
                .await
        }
        "DELETE /results/{private}" => {
            let id = private_run(t).await;
            t.delete(&format!("/v1/results/{id}")).as_(who).send().await
        }
        "GET /results/{private}/meta" => {
            let id = private_run(t).await;
            t.get(&format!("/v1/results/{id}/meta"))
                .as_(who)
                .send()
                .await
        }
        "GET /results/{private}/meta/user" => {
            let id = private_run(t).await;
            t.get(&format!("/v1/results/{id}/meta/user"))
                .as_(who)
                .send()
                .await
        }
        "POST /results/{private}/meta/shared" => {
            let id = private_run(t).await;
            t.post(&format!("/v1/results/{id}/meta/shared"))
                .as_(who)
                .raw("true")
                .send()
                .await
        }
        "DELETE /results/{private}/meta/target" => {
            let id = private_run(t).await;
            db::meta::set(t.dbh(), &id, "target", "platform")
                .await
                .expect("meta");
            t.delete(&format!("/v1/results/{id}/meta/target"))
                .as_(who)
                .send()
                .await
        }
        "GET /guidelines" => t.get("/v1/guidelines").as_(who).send().await,
        "GET /guidelines/{file}" => t.get("/v1/guidelines/2020.06").as_(who).send().await,
        "GET /guidelines/{v}/tests" => t.get("/v1/guidelines/2020.06/tests").as_(who).send().await,
        "GET /profile" => t.get("/v1/profile").as_(who).send().await,
        "GET /profile/pubkeys" => t.get("/v1/profile/pubkeys").as_(who).send().await,
        "POST /profile/pubkeys" => {
            t.post("/v1/profile/pubkeys")
                .as_(who)
                .json(json!({"raw_key": "ssh-rsa AAAA", "self_signature": "zz"}))
                .send()
                .await
        }
        "DELETE /profile/pubkeys/{own}" => {
            let id = match who.openid() {
                Some(o) => db::pubkeys::list_for_user(t.dbh(), o).await.expect("keys")[0]
                    .id
                    .clone(),
                None => "none".into(),
            };
            t.delete(&format!("/v1/profile/pubkeys/{id}"))
                .as_(who)
                .send()
                .await
        }
        "GET /profile/tokens" => t.get("/v1/profile/tokens").as_(who).send().await,
        "POST /profile/tokens" => {
            t.post("/v1/profile/tokens")
                .as_(who)
                .json(json!({"name": format!("t{n}")}))
                .send()
                .await
        }
        "DELETE /profile/tokens/{own}" => {
            let id = match who.openid() {
                Some(o) => {
                    common::token_for(t.dbh(), o, "to revoke", None).await;
                    db::tokens::list_for_user(t.dbh(), o)
                        .await
                        .expect("tokens")
                        .into_iter()
                        .find(|k| k.name == "to revoke")
                        .map(|k| k.id)
                        .unwrap_or_default()
                }
                None => "none".into(),
            };
            t.delete(&format!("/v1/profile/tokens/{id}"))
                .as_(who)
                .send()
                .await
        }
        "DELETE /profile/tokens/{bob's}" => {
            common::token_for(t.dbh(), common::BOB, "victim", None).await;
            let id = db::tokens::list_for_user(t.dbh(), common::BOB)
                .await
                .expect("tokens")
                .into_iter()
                .find(|k| k.name == "victim")
                .map(|k| k.id)
                .unwrap_or_default();
            t.delete(&format!("/v1/profile/tokens/{id}"))
                .as_(who)
                .send()
                .await
        }
        "GET /vendors" => t.get("/v1/vendors").as_(who).send().await,
        "POST /vendors" => {
            t.post("/v1/vendors")
                .as_(who)
                .json(json!({"name": format!("v{n}")}))
                .send()
                .await
        }
        "GET /vendors/{private}" => {
            let v = alice_vendor(t).await;
            t.get(&format!("/v1/vendors/{v}")).as_(who).send().await
        }
        "GET /vendors/{official}" => {
            t.get(&format!("/v1/vendors/{vendor}"))
                .as_(who)
                .send()
                .await
        }
        "PUT /vendors/{official}" => {
            t.put(&format!("/v1/vendors/{vendor}"))
                .as_(who)
                .json(json!({}))
                .send()
                .await
        }
        "DELETE /vendors/{private}" => {
            let v = alice_vendor(t).await;
            t.delete(&format!("/v1/vendors/{v}")).as_(who).send().await
        }
        "POST /vendors/{private}/action register" => {
            let v = alice_vendor(t).await;
            t.post(&format!("/v1/vendors/{v}/action"))
                .as_(who)
                .json(json!({"register": null}))
                .send()
                .await
        }
        "GET /vendors/{official}/users" => {
            t.get(&format!("/v1/vendors/{vendor}/users"))
                .as_(who)
                .send()
                .await
        }
        "PUT /vendors/{official}/users/{erin}" => {
            let b = erin(t).await;
            t.put(&format!("/v1/vendors/{vendor}/users/{b}"))
                .as_(who)
                .send()
                .await
        }
        "DELETE /vendors/{official}/users/{erin}" => {
            let b = erin(t).await;
            t.delete(&format!("/v1/vendors/{vendor}/users/{b}"))
                .as_(who)
                .send()
                .await
        }
        "GET /products" => t.get("/v1/products").as_(who).send().await,
        "POST /products" => {
            t.post("/v1/products")
                .as_(who)
                .json(json!({"name": "p", "product_type": 1}))
                .send()
                .await
        }
        "GET /products/{public}" => {
            t.get(&format!("/v1/products/{product}"))
                .as_(who)
                .send()
                .await
        }
        "GET /products/{private}" => {
            let v = alice_vendor(t).await;
            let (p, _) = product_of(t, &v, ALICE).await;
            t.get(&format!("/v1/products/{p}")).as_(who).send().await
        }
        "PUT /products/{public}" => {
            t.put(&format!("/v1/products/{product}"))
                .as_(who)
                .json(json!({}))
                .send()
                .await
        }
        "DELETE /products/{vendor's}" => {
            let (p, _) = product_of(t, &vendor, common::CAROL).await;
            t.delete(&format!("/v1/products/{p}")).as_(who).send().await
        }
        "GET /products/{public}/versions" => {
            t.get(&format!("/v1/products/{product}/versions"))
                .as_(who)
                .send()
                .await
        }
        "GET /products/{public}/versions/{v}" => {
            t.get(&format!("/v1/products/{product}/versions/{}", t.version_id))
                .as_(who)
                .send()
                .await
        }
        "POST /products/{public}/versions" => {
            t.post(&format!("/v1/products/{product}/versions"))
                .as_(who)
                .json(json!({"version": format!("v{n}")}))
                .send()
                .await
        }
        "PUT /products/{public}/versions/{v}" => {
            t.put(&format!("/v1/products/{product}/versions/{}", t.version_id))
                .as_(who)
                .json(json!({}))
                .send()
                .await
        }
        "DELETE /products/{public}/versions/{v}" => {
            let v = version_of(t, &product, &format!("d{n}")).await;
            t.delete(&format!("/v1/products/{product}/versions/{v}"))
                .as_(who)
                .send()
                .await
        }
        // Two ids that do not belong together (issue 15 item 1): a
        // version of alice's private product under carol's public product.
        "GET /products/{public}/versions/{alice's}" => {
            let v = alice_version(t).await;
            t.get(&format!("/v1/products/{product}/versions/{v}"))
                .as_(who)
                .send()
                .await
        }
        "PUT /products/{public}/versions/{alice's}" => {
            let v = alice_version(t).await;
            t.put(&format!("/v1/products/{product}/versions/{v}"))
                .as_(who)
                .json(json!({"cpid": "x"}))
                .send()
                .await
        }
        "DELETE /products/{public}/versions/{alice's}" => {
            let v = alice_version(t).await;
            t.delete(&format!("/v1/products/{product}/versions/{v}"))
                .as_(who)
                .send()
                .await
        }
        "DELETE /profile/pubkeys/{another user's}" => {
            let other = if who == Who::Dave {
                ALICE
            } else {
                common::DAVE
            };
            let id = db::pubkeys::list_for_user(t.dbh(), other)
                .await
                .expect("keys")[0]
                .id
                .clone();
            t.delete(&format!("/v1/profile/pubkeys/{id}"))
                .as_(who)
                .send()
                .await
        }
        other => panic!("unknown row {other}"),
    };
    r.status.as_u16()
}

/// `[anonymous, owner, user, vendor admin, foundation admin]`.
const MATRIX: &[(&str, [u16; 5])] = &[
    ("GET /results", [200, 200, 200, 200, 200]),
    ("POST /results", [201, 201, 201, 201, 201]),
    ("GET /results/schema", [200, 200, 200, 200, 200]),
    ("GET /results?signed", [400, 200, 200, 200, 200]),
    ("GET /results/{private}", [401, 200, 403, 403, 200]),
    ("GET /results/{anonymous}", [200, 200, 200, 200, 200]),
    (
        "GET /results/{private}/compare/{private}",
        [401, 200, 403, 403, 200],
    ),
    // Only the run's owner sends its stream (not even the foundation).
    ("PUT /results/{private}/stream", [401, 201, 403, 403, 403]),
    ("PUT /results/{private}", [401, 201, 403, 403, 201]),
    ("DELETE /results/{private}", [401, 204, 403, 403, 204]),
    ("GET /results/{private}/meta", [401, 200, 403, 403, 200]),
    (
        "GET /results/{private}/meta/user",
        [401, 200, 403, 403, 200],
    ),
    (
        "POST /results/{private}/meta/shared",
        [401, 201, 403, 403, 201],
    ),
    (
        "DELETE /results/{private}/meta/target",
        [401, 204, 403, 403, 204],
    ),
    ("GET /guidelines", [200, 200, 200, 200, 200]),
    ("GET /guidelines/{file}", [200, 200, 200, 200, 200]),
    ("GET /guidelines/{v}/tests", [200, 200, 200, 200, 200]),
    ("GET /profile", [401, 200, 200, 200, 200]),
    ("GET /profile/pubkeys", [401, 200, 200, 200, 200]),
    ("POST /profile/pubkeys", [401, 400, 400, 400, 400]),
    ("GET /profile/tokens", [401, 200, 200, 200, 200]),
    ("POST /profile/tokens", [401, 201, 201, 201, 201]),
    ("DELETE /profile/tokens/{own}", [401, 204, 204, 204, 204]),
    ("DELETE /profile/tokens/{bob's}", [401, 404, 204, 404, 404]),
    ("GET /vendors", [200, 200, 200, 200, 200]),
    ("POST /vendors", [401, 201, 201, 201, 201]),
    ("GET /vendors/{private}", [403, 200, 403, 403, 200]),
    ("GET /vendors/{official}", [200, 200, 200, 200, 200]),
    ("PUT /vendors/{official}", [401, 403, 403, 200, 200]),
    ("DELETE /vendors/{private}", [401, 204, 403, 403, 204]),
    (
        "POST /vendors/{private}/action register",
        [401, 200, 403, 403, 403],
    ),
    ("GET /vendors/{official}/users", [401, 403, 403, 200, 200]),
    (
        "PUT /vendors/{official}/users/{erin}",
        [401, 403, 403, 204, 204],
    ),
    (
        "DELETE /vendors/{official}/users/{erin}",
        [401, 403, 403, 204, 204],
    ),
    ("GET /products", [200, 200, 200, 200, 200]),
    ("POST /products", [401, 201, 201, 201, 201]),
    ("GET /products/{public}", [200, 200, 200, 200, 200]),
    ("GET /products/{private}", [403, 200, 403, 403, 200]),
    ("PUT /products/{public}", [401, 403, 403, 200, 200]),
    ("DELETE /products/{vendor's}", [401, 403, 403, 204, 204]),
    ("GET /products/{public}/versions", [200, 200, 200, 200, 200]),
    (
        "GET /products/{public}/versions/{v}",
        [200, 200, 200, 200, 200],
    ),
    (
        "POST /products/{public}/versions",
        [401, 403, 403, 201, 201],
    ),
    (
        "PUT /products/{public}/versions/{v}",
        [401, 403, 403, 200, 200],
    ),
    (
        "DELETE /products/{public}/versions/{v}",
        [401, 403, 403, 204, 204],
    ),
    (
        "GET /products/{public}/versions/{alice's}",
        [404, 404, 404, 404, 404],
    ),
    (
        "PUT /products/{public}/versions/{alice's}",
        [401, 403, 403, 404, 404],
    ),
    (
        "DELETE /products/{public}/versions/{alice's}",
        [401, 403, 403, 404, 404],
    ),
    (
        "DELETE /profile/pubkeys/{another user's}",
        [401, 404, 404, 404, 404],
    ),
    // Last: it removes the keys the JWTs are verified with.
    ("DELETE /profile/pubkeys/{own}", [401, 204, 204, 204, 204]),
];

async fn run_matrix(auth: Auth) {
    for mut t in TestApp::all().await {
        t.auth = auth;
        let mut failures = Vec::new();
        let mut n = 0;
        for (row, expected) in MATRIX {
            for (who, want) in WHO.iter().zip(expected) {
                n += 1;
                let got = probe(&t, row, *who, n).await;
                if got != *want {
                    failures.push(format!("{row} as {who:?}: want {want}, got {got}"));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} ({auth:?}):\n{}",
            t.label(),
            failures.join("\n")
        );
    }
}

#[tokio::test]
async fn permission_matrix() {
    run_matrix(Auth::Jwt).await;
}

#[tokio::test]
async fn permission_matrix_api_token() {
    run_matrix(Auth::Token).await;
}

#[tokio::test]
async fn permission_matrix_session_cookie() {
    run_matrix(Auth::Cookie).await;
}

/// Every state-changing row, signed in by the cookie alone without the CSRF
/// header: 403 before the handler runs, nothing changed.
#[tokio::test]
async fn cookie_without_csrf_token_is_refused() {
    for t in TestApp::all().await {
        let b = t.browsers.get(ALICE).cloned().expect("alice");
        let run = private_run(&t).await;
        for (method, path, body) in [
            (
                "POST",
                "/v1/profile/tokens".to_owned(),
                json!({"name": "x"}),
            ),
            ("POST", "/v1/vendors".to_owned(), json!({"name": "v"})),
            ("PUT", format!("/v1/results/{run}"), json!({})),
            ("DELETE", format!("/v1/results/{run}"), json!(null)),
            (
                "POST",
                format!("/v1/results/{run}/meta/shared"),
                json!(true),
            ),
        ] {
            let m = axum::http::Method::from_bytes(method.as_bytes()).expect("method");
            let r = t
                .req(m.clone(), &path)
                .cookie(&b.cookie)
                .json(body.clone())
                .send()
                .await;
            let ctx = format!("{}: {method} {path} without the token", t.label());
            r.http_error(403, Some("CSRF token missing or wrong: send the value of the refstack_csrf cookie in an X-CSRF-Token header"), &ctx);
            let r = t
                .req(m, &path)
                .cookie(&b.cookie)
                .header("x-csrf-token", "wrong")
                .json(body)
                .send()
                .await;
            r.expect(
                403,
                &format!("{}: {method} {path} with a wrong token", t.label()),
            );
        }
        // Nothing happened: the run is still there, unshared.
        let meta = db::meta::get_all(t.dbh(), &run).await.expect("meta");
        assert!(!meta.contains_key("shared"), "{}", t.label());
        assert!(
            db::tokens::list_for_user(t.dbh(), ALICE)
                .await
                .expect("tokens")
                .len()
                == 1
        );
    }
}
