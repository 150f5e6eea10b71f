//! `/v1/results` on every backend (reference §2.1, §3, §8.4, §10).

mod common;

use common::{ALICE, TestApp, Who, upload_body};
use serde_json::json;

const NAMES: [&str; 2] = ["tempest.api.compute.test_a", "tempest.api.compute.test_b"];

#[tokio::test]
async fn upload_contract() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        // §3.1: anonymous upload → 201 {"test_id", "url"}.
        let body = upload_body("cpid-1", &NAMES);
        let r = t
            .post("/v1/results/")
            .raw(body)
            .send()
            .await
            .expect(201, &l);
        let j = r.json();
        let id = j["test_id"].as_str().unwrap_or_default();
        // ui_url unset: this server's own URL (the listen address).
        assert_eq!(
            j["url"],
            format!("http://127.0.0.1:8000/#/results/{id}"),
            "{l}"
        );
        assert_eq!(j.as_object().map(|o| o.len()), Some(2), "{l}");

        // §3.1 step 1/2: malformed JSON, schema violations.
        for (body, title) in [
            (&b"{"[..], "Malformed request"),
            (b"", "Malformed request"),
            (b"[1]", "Request doesnt correspond to schema"),
            // A wrong type before broken syntax is still malformed JSON.
            (br#"{"cpid": 5, "results": ["#, "Malformed request"),
            (
                br#"{"cpid":"x","duration_seconds":"10","results":[{"name":"a"}]}"#,
                "Request doesnt correspond to schema",
            ),
            (
                br#"{"cpid":"x","duration_seconds":1,"results":[{"name":"a"}],"extra":1}"#,
                "Request doesnt correspond to schema",
            ),
            (
                br#"{"cpid":"x","duration_seconds":1,"results":[{"uuid":"u"}]}"#,
                "Request doesnt correspond to schema",
            ),
            (
                br#"{"cpid":"x","duration_seconds":1,"results":[]}"#,
                "Uploaded results must contain at least one passing test.",
            ),
        ] {
            t.post("/v1/results")
                .raw(body.to_vec())
                .send()
                .await
                .exc_error(400, title, &l);
        }
        // §10 item 4: an over-long cpid is a 400, not a 500.
        let long = "c".repeat(129);
        t.post("/v1/results")
            .raw(upload_body(&long, &NAMES))
            .send()
            .await
            .expect(400, &l);
        // Duplicate names in one upload are stored once (§10 item 4).
        let id = t.upload(Who::Anon, "dup", &["t.a", "t.a", "t.b"]).await;
        let r = t
            .get(&format!("/v1/results/{id}"))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["results"], json!(["t.a", "t.b"]), "{l}");
    }
}

#[tokio::test]
async fn signed_uploads() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let body = upload_body("cpid-x", &NAMES);
        // §3.1 step 3: signature checks before anything else.
        t.post("/v1/results")
            .raw(b"{not json".to_vec())
            .header("x-signature", "zz")
            .header("x-public-key", &common::public_line(Who::Alice))
            .send()
            .await
            .exc_error(400, "Malformed signature", &l);
        t.post("/v1/results")
            .raw(body.clone())
            .header("x-signature", "abcd")
            .send()
            .await
            .exc_error(400, "Malformed public key", &l);
        t.post("/v1/results")
            .raw(body.clone())
            .header("x-signature", "abcd")
            .header("x-public-key", "ssh-rsa !!!")
            .send()
            .await
            .exc_error(400, "Malformed public key", &l);
        // Signature over other bytes.
        let sig = common::private_key(Who::Alice)
            .sign_hex(b"other bytes")
            .expect("sign");
        t.post("/v1/results")
            .raw(body.clone())
            .header("x-signature", &sig)
            .header("x-public-key", &common::public_line(Who::Alice))
            .send()
            .await
            .exc_error(400, "Signature verification failed", &l);
        // §3.1 step 5: valid signature, unknown key → 401 shape 1.
        let mut unknown = common::public_line(Who::Alice);
        db_delete_keys(&t, ALICE).await;
        unknown.push_str(" comment");
        let sig = common::private_key(Who::Alice)
            .sign_hex(&body)
            .expect("sign");
        t.post("/v1/results")
            .raw(body.clone())
            .header("x-signature", &sig)
            .header("x-public-key", &unknown)
            .send()
            .await
            .http_error(
                401,
                Some(
                    "User with specified key not found. Please sign in at \
                     http://127.0.0.1:8000/#/profile and import your public key on \
                     your profile page.",
                ),
                &l,
            );
        // Bob's signed upload: meta user = bob, owner sees cpid.
        let id = t.upload(Who::Bob, "cpid-b", &NAMES).await;
        let r = t
            .get(&format!("/v1/results/{id}"))
            .as_(Who::Bob)
            .send()
            .await
            .expect(200, &l);
        let j = r.json();
        assert_eq!(j["user_role"], "owner", "{l}");
        assert_eq!(j["cpid"], "cpid-b", "{l}");
        assert_eq!(j["meta"], json!({"user": common::BOB}), "{l}");
        assert_eq!(j["product_version"], json!(null), "{l}");
        // §8.4: private run: anonymous → 401, other user → 403 (§10 item 15),
        // foundation → role foundation.
        t.get(&format!("/v1/results/{id}"))
            .send()
            .await
            .http_error(401, Some(""), &l);
        t.get(&format!("/v1/results/{id}"))
            .as_(Who::Carol)
            .send()
            .await
            .http_error(403, Some(""), &l);
        let r = t
            .get(&format!("/v1/results/{id}"))
            .as_(Who::Dave)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["user_role"], "foundation", "{l}");
    }
}

async fn db_delete_keys(t: &TestApp, openid: &str) {
    for k in refstack_server::db::pubkeys::list_for_user(t.dbh(), openid)
        .await
        .unwrap_or_default()
    {
        let _ = refstack_server::db::pubkeys::delete_for_user(t.dbh(), openid, &k.id).await;
    }
}

#[tokio::test]
async fn anonymous_upload_can_be_disabled() {
    let cfg = || {
        let mut c = common::base_config();
        c.enable_anonymous_upload = false;
        c
    };
    for t in TestApp::all_with(cfg).await {
        let l = t.label().to_owned();
        t.post("/v1/results")
            .raw(upload_body("c", &NAMES))
            .send()
            .await
            .http_error(
                401,
                Some(
                    "Anonymous result uploads are disabled. Please create a user account and \
                     an api key at http://127.0.0.1:8000/#/",
                ),
                &l,
            );
        t.upload(Who::Alice, "c", &NAMES).await;
    }
}

#[tokio::test]
async fn auto_association_by_cpid() {
    // §3.1 step 6: a signed upload from a vendor admin whose cpid matches
    // exactly one version is associated with it; others are not.
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let id = t.upload(Who::Carol, "cpid-carol", &NAMES).await;
        let r = t
            .get(&format!("/v1/results/{id}"))
            .as_(Who::Carol)
            .send()
            .await
            .expect(200, &l);
        let pv = &r.json()["product_version"];
        assert_eq!(pv["id"], t.version_id, "{l}");
        assert_eq!(pv["version"], "1.0", "{l}");
        assert_eq!(pv["product_info"]["id"], t.product_id, "{l}");
        assert_eq!(pv["product_info"]["public"], true, "{l}");
        let id = t.upload(Who::Alice, "cpid-carol", &NAMES).await;
        let r = t
            .get(&format!("/v1/results/{id}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["product_version"], json!(null), "{l}");
    }
}

#[tokio::test]
async fn private_products_are_hidden_from_plain_users() {
    // §2.1: for role `user`, `product_version` is null when its product is
    // private and meta is filtered to shared/guideline/target.
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let id = t.upload(Who::Carol, "cpid-carol", &NAMES).await;
        t.post(&format!("/v1/results/{id}/meta/shared"))
            .as_(Who::Carol)
            .raw("true")
            .send()
            .await
            .expect(201, &l);
        let r = t
            .get(&format!("/v1/results/{id}"))
            .send()
            .await
            .expect(200, &l);
        let j = r.json();
        assert_eq!(j["user_role"], "user", "{l}");
        assert!(j.get("cpid").is_none(), "{l}");
        assert_eq!(j["meta"], json!({"shared": "true"}), "{l}");
        assert_eq!(
            j["product_version"]["id"], t.version_id,
            "{l}: public product shown"
        );
        t.put(&format!("/v1/products/{}", t.product_id))
            .as_(Who::Carol)
            .json(json!({"public": false}))
            .send()
            .await
            .expect(200, &l);
        let r = t
            .get(&format!("/v1/results/{id}"))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["product_version"], json!(null), "{l}");
        let r = t.get("/v1/results").send().await.expect(200, &l);
        assert_eq!(
            r.json()["results"][0]["product_version"],
            json!(null),
            "{l}"
        );
        // Owner and foundation still see it.
        for who in [Who::Carol, Who::Dave] {
            let r = t
                .get(&format!("/v1/results/{id}"))
                .as_(who)
                .send()
                .await
                .expect(200, &l);
            assert_eq!(
                r.json()["product_version"]["id"],
                t.version_id,
                "{l}: {who:?}"
            );
        }
    }
}

#[tokio::test]
async fn listing_filters_and_visibility() {
    let cfg = || {
        let mut c = common::base_config();
        c.results_per_page = 2;
        c
    };
    for t in TestApp::all_with(cfg).await {
        let l = t.label().to_owned();
        // §2.1 empty DB.
        let r = t.get("/v1/results").send().await.expect(200, &l);
        assert_eq!(
            r.json(),
            json!({"results": [], "pagination": {"current_page": 1, "total_pages": 0}}),
            "{l}"
        );
        let anon1 = t.upload(Who::Anon, "cpid-a", &NAMES).await;
        let anon2 = t.upload(Who::Anon, "cpid-b", &NAMES).await;
        let private = t.upload(Who::Alice, "cpid-a", &NAMES).await;
        let shared = t.upload(Who::Alice, "cpid-a", &NAMES).await;
        t.post(&format!("/v1/results/{shared}/meta/shared"))
            .as_(Who::Alice)
            .raw("true")
            .send()
            .await
            .expect(201, &l);
        // Default visibility: anonymous + shared, newest first, paged by 2.
        let r = t.get("/v1/results?page=1").send().await.expect(200, &l);
        let j = r.json();
        assert_eq!(
            j["pagination"],
            json!({"current_page": 1, "total_pages": 2}),
            "{l}"
        );
        let mut ids: Vec<String> = j["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let item = &j["results"][0];
        assert!(
            item.get("cpid").is_none(),
            "{l}: list items never carry cpid"
        );
        assert!(
            item["url"]
                .as_str()
                .unwrap_or_default()
                .ends_with(item["id"].as_str().unwrap_or("?")),
            "{l}"
        );
        let r = t
            .get("/v1/results.json?page=2")
            .send()
            .await
            .expect(200, &l);
        ids.extend(
            r.json()["results"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned()),
        );
        ids.sort();
        let mut want = vec![anon1.clone(), anon2.clone(), shared.clone()];
        want.sort();
        assert_eq!(ids, want, "{l}");
        // Meta of someone else's shared run is filtered (no `user`).
        let r = t
            .get("/v1/results?page=1&cpid=cpid-a")
            .send()
            .await
            .expect(200, &l);
        for item in r.json()["results"].as_array().into_iter().flatten() {
            assert!(item["meta"].get("user").is_none(), "{l}: {item}");
        }
        // Page errors (§2.1).
        t.get("/v1/results?page=x").send().await.exc_error(
            400,
            "Invalid page number: The page number can not be converted to an integer",
            &l,
        );
        t.get("/v1/results?page=0").send().await.exc_error(
            400,
            "Invalid page number: The page number less or equal zero.",
            &l,
        );
        t.get("/v1/results?page=3").send().await.exc_error(
            400,
            "Invalid page number: The page number is greater than the total number of pages.",
            &l,
        );
        // Dates.
        t.get("/v1/results?start_date=2020-01-01")
            .send()
            .await
            .exc_error(
                400,
                "Invalid date format: time data '2020-01-01' does not match format '%Y-%m-%d %H:%M:%S'",
                &l,
            );
        t.get("/v1/results?start_date=2020-01-02%2000:00:00&end_date=2020-01-01%2000:00:00")
            .send()
            .await
            .exc_error(400, "Invalid dates: start_date more than end_date", &l);
        let r = t
            .get("/v1/results?end_date=2000-01-01%2000:00:00")
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["pagination"]["total_pages"], 0, "{l}");
        let r = t
            .get("/v1/results?start_date=2000-01-01%2000:00:00&end_date=2999-01-01%2000:00:00&cpid=cpid-b")
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["results"][0]["id"], anon2, "{l}");
        // `signed` needs authentication; presence only (§10 item 7).
        t.get("/v1/results?signed").send().await.exc_error(
            400,
            "To see signed test results you need to authenticate",
            &l,
        );
        let r = t
            .get("/v1/results?signed=false")
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        let j = r.json();
        let mut mine: Vec<&str> = j["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"].as_str())
            .collect();
        mine.sort();
        let mut want = vec![private.as_str(), shared.as_str()];
        want.sort();
        assert_eq!(mine, want, "{l}");
        assert_eq!(
            j["results"][0]["meta"]["user"], ALICE,
            "{l}: owner sees all meta"
        );
        // verification_status filter; bad value is a 400 (§10 item 16).
        let r = t
            .get("/v1/results?verification_status=1")
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["pagination"]["total_pages"], 0, "{l}");
        t.get("/v1/results?verification_status=x")
            .send()
            .await
            .exc_error(400, "Invalid verification_status value: x", &l);
        // product_id: unknown → 404; vendor admin sees all runs of the product.
        t.get("/v1/results?product_id=nope").send().await.exc_error(
            404,
            "Product with id \"nope\" not found",
            &l,
        );
        let assoc = t.upload(Who::Carol, "cpid-carol", &NAMES).await;
        let r = t
            .get(&format!("/v1/results?product_id={}", t.product_id))
            .as_(Who::Carol)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["results"][0]["id"], assoc, "{l}");
        let r = t
            .get(&format!("/v1/results?product_id={}", t.product_id))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(
            r.json()["pagination"]["total_pages"],
            0,
            "{l}: private run hidden"
        );
    }
}

#[tokio::test]
async fn update_verify_delete_and_meta() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let id = t.upload(Who::Alice, "cpid-x", &NAMES).await;
        let url = format!("/v1/results/{id}");
        // §2.1 PUT: owner level; 201 with unfiltered meta.
        t.put(&url)
            .json(json!({}))
            .send()
            .await
            .http_error(401, Some(""), &l);
        t.put(&url)
            .as_(Who::Bob)
            .json(json!({}))
            .send()
            .await
            .http_error(403, Some(""), &l);
        let r = t
            .put(&url)
            .as_(Who::Alice)
            .json(json!({}))
            .send()
            .await
            .expect(201, &l);
        let j = r.json();
        assert_eq!(j["meta"]["user"], ALICE, "{l}");
        assert!(
            j.get("results").is_none() && j.get("user_role").is_none(),
            "{l}"
        );
        // Association needs vendor admin rights on the version.
        t.put(&url)
            .as_(Who::Alice)
            .json(json!({"product_version_id": t.version_id}))
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.put(&url)
            .as_(Who::Alice)
            .json(json!({"product_version_id": "nope"}))
            .send()
            .await
            .exc_error(404, "Version with id \"nope\" not found", &l);
        let r = t
            .put(&url)
            .as_(Who::Dave)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(format!("product_version_id={}", t.version_id))
            .send()
            .await
            .expect(201, &l);
        assert_eq!(r.json()["product_version"]["id"], t.version_id, "{l}");
        // Verification: foundation only, 0/1, meta preconditions.
        t.put(&url)
            .as_(Who::Alice)
            .json(json!({"verification_status": 1}))
            .send()
            .await
            .http_error(
                403,
                Some("You do not have permission to change a verification status."),
                &l,
            );
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"verification_status": 5}))
            .send()
            .await
            .http_error(400, Some("Invalid verification_status value: 5"), &l);
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"verification_status": "yes"}))
            .send()
            .await
            .http_error(400, Some("Invalid verification_status value: yes"), &l);
        // Issue 16: a string is a 400 even when it reads as 0 or 1 (query
        // strings and form fields are strings too).
        for body in [
            json!({"verification_status": "1"}),
            json!({"verification_status": "0"}),
        ] {
            t.put(&url)
                .as_(Who::Dave)
                .json(body.clone())
                .send()
                .await
                .expect(400, &format!("{l}: {body}"));
        }
        t.put(&format!("{url}?verification_status=1"))
            .as_(Who::Dave)
            .send()
            .await
            .http_error(400, Some("Invalid verification_status value: 1"), &l);
        t.put(&url)
            .as_(Who::Dave)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw("verification_status=1")
            .send()
            .await
            .http_error(400, Some("Invalid verification_status value: 1"), &l);
        // `false` is 0, as upstream stored it.
        let r = t
            .put(&url)
            .as_(Who::Dave)
            .json(json!({"verification_status": false}))
            .send()
            .await
            .expect(201, &l);
        assert_eq!(r.json()["verification_status"], 0, "{l}");
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"verification_status": 1}))
            .send()
            .await
            .http_error(
                403,
                Some("In order to mark a test verified, the test must be shared and have been associated to a guideline and target program."),
                &l,
            );
        // Meta: raw body stored; only rw keys; owner level.
        for (k, v) in [
            ("shared", "true"),
            ("guideline", "2020.06.json"),
            ("target", "platform"),
        ] {
            let r = t
                .post(&format!("{url}/meta/{k}"))
                .as_(Who::Alice)
                .raw(v)
                .send()
                .await
                .expect(201, &l);
            assert_eq!(r.text(), "null", "{l}");
        }
        t.post(&format!("{url}/meta/user"))
            .as_(Who::Alice)
            .raw("x")
            .send()
            .await
            .http_error(403, Some(""), &l);
        t.post(&format!("{url}/meta/shared"))
            .as_(Who::Bob)
            .raw("x")
            .send()
            .await
            .http_error(403, Some(""), &l);
        let r = t
            .get(&format!("{url}/meta/guideline"))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json(), json!("2020.06.json"), "{l}");
        let r = t.get(&format!("{url}/meta")).send().await.expect(200, &l);
        assert_eq!(
            r.json(),
            json!({"shared": "true", "guideline": "2020.06.json", "target": "platform"}),
            "{l}"
        );
        t.get(&format!("{url}/meta/user"))
            .send()
            .await
            .http_error(403, Some(""), &l);
        let r = t
            .get(&format!("{url}/meta/user"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json(), json!(ALICE), "{l}");
        // Verify, then the run is frozen.
        let r = t
            .put(&url)
            .as_(Who::Dave)
            .json(json!({"verification_status": 1}))
            .send()
            .await
            .expect(201, &l);
        assert_eq!(r.json()["verification_status"], 1, "{l}");
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"product_version_id": null}))
            .send()
            .await
            .http_error(
                403,
                Some("Can not update product_version_id for a verified test run."),
                &l,
            );
        t.post(&format!("{url}/meta/target"))
            .as_(Who::Alice)
            .raw("compute")
            .send()
            .await
            .http_error(
                403,
                Some("Can not add/alter a new metadata key for a verified test run."),
                &l,
            );
        t.delete(&format!("{url}/meta/target"))
            .as_(Who::Alice)
            .send()
            .await
            .http_error(
                403,
                Some("Can not delete a metadata key for a verified test run."),
                &l,
            );
        t.delete(&url).as_(Who::Alice).send().await.http_error(
            403,
            Some("Can not delete a verified test run."),
            &l,
        );
        // Unverify, delete meta, delete run.
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"verification_status": 0}))
            .send()
            .await
            .expect(201, &l);
        t.delete(&format!("{url}/meta/target"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(204, &l);
        t.delete(&format!("{url}/meta/target"))
            .as_(Who::Alice)
            .send()
            .await
            .exc_error(
                404,
                &format!("Metadata key target not found for test run {id}"),
                &l,
            );
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"product_version_id": ""}))
            .send()
            .await
            .expect(201, &l);
        t.delete(&url)
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some(""), &l);
        let r = t.delete(&url).as_(Who::Alice).send().await.expect(204, &l);
        assert!(r.body.is_empty(), "{l}: empty 204");
        t.delete(&url).as_(Who::Alice).send().await.exc_error(
            404,
            &format!("Test result {id} not found"),
            &l,
        );
        t.get(&url)
            .send()
            .await
            .exc_error(404, &format!("Test result {id} not found"), &l);
    }
}

#[tokio::test]
async fn schema_endpoint() {
    let t = TestApp::new(
        refstack_server::db::testing::sqlite().await,
        common::base_config(),
    )
    .await;
    // §3.2: served verbatim.
    let r = t
        .get("/v1/results/schema")
        .send()
        .await
        .expect(200, "schema");
    assert_eq!(r.text(), refstack_api_types::schemas::RESULTS_SCHEMA);
}
