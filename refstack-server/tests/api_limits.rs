//! Hostile input (issue 15 items 3 and 7): NUL characters anywhere and
//! oversized stored strings get the same 400 on every backend, and nothing is
//! stored.

mod common;

use common::{TestApp, Who, upload_body};
use refstack_server::db;
use serde_json::json;

const NUL_URL: &str = "URL must not contain a NUL character (%00)";
const NUL_BODY: &str = "Request body must not contain a NUL character";

/// A JWT claiming `openid`, signed by alice's key.
fn jwt_claiming(openid: &str) -> String {
    common::jwt_for(Who::Alice, openid, 3600)
}

#[tokio::test]
async fn nul_characters_are_a_400_everywhere() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let run = t.upload(Who::Alice, "cpid-a", &["t.a"]).await;
        let runs_before =
            db::results::list_runs(t.dbh(), &db::results::RunFilter::default(), 1, 100)
                .await
                .expect("list")
                .total;

        // In the URL: filters, ids, meta keys, base64 openids.
        for url in [
            "/v1/results?cpid=a%00b".to_owned(),
            "/v1/results?start_date=%00".to_owned(),
            "/v1/vendors/%00".to_owned(),
            "/v1/products/%00/versions".to_owned(),
            format!("/v1/results/{run}%00"),
            format!("/v1/results/{run}/meta/shared%00"),
            "/v1/guidelines/2020.06%00/tests".to_owned(),
        ] {
            t.get(&url)
                .send()
                .await
                .exc_error(400, NUL_URL, &format!("{l} {url}"));
        }
        t.post(&format!("/v1/results/{run}/meta/shared%00"))
            .as_(Who::Alice)
            .raw("true")
            .send()
            .await
            .exc_error(400, NUL_URL, &l);

        // In a JWT's openid.
        let token = jwt_claiming("https://openstackid.org/a\u{0}b");
        t.get("/v1/results")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await
            .exc_error(400, "Token is not valid", &l);

        // In JSON bodies: cpid, test names, vendor and product fields,
        // a product version id, key comments.
        let run_url = format!("/v1/results/{run}");
        let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
            ("POST", "/v1/results", upload_body("a\u{0}b", &["t.a"])),
            ("POST", "/v1/results", upload_body("c", &["t.a\u{0}"])),
            (
                "POST",
                "/v1/vendors",
                json!({"name": "v\u{0}"}).to_string().into_bytes(),
            ),
            (
                "POST",
                "/v1/vendors",
                json!({"name": "v", "description": "\u{0}"})
                    .to_string()
                    .into_bytes(),
            ),
            (
                "POST",
                "/v1/products",
                json!({"name": "p", "product_type": 0, "properties": {"k": "\u{0}"}})
                    .to_string()
                    .into_bytes(),
            ),
            (
                "PUT",
                &run_url,
                json!({"product_version_id": "\u{0}"})
                    .to_string()
                    .into_bytes(),
            ),
            (
                "POST",
                "/v1/profile/pubkeys",
                json!({"raw_key": "ssh-rsa AAAA x\u{0}", "self_signature": "00"})
                    .to_string()
                    .into_bytes(),
            ),
        ];
        for (method, url, body) in bodies {
            let ctx = format!("{l} {method} {url} {}", String::from_utf8_lossy(&body));
            let req = match method {
                "POST" => t.post(url),
                _ => t.put(url),
            };
            req.as_(Who::Alice)
                .header("content-type", "application/json")
                .raw(body)
                .send()
                .await
                .exc_error(400, NUL_BODY, &ctx);
        }
        // A form-encoded PUT.
        t.put(&format!("/v1/results/{run}"))
            .as_(Who::Alice)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw("product_version_id=%00")
            .send()
            .await
            .exc_error(400, NUL_BODY, &l);
        // A meta value is plain text: a NUL byte is refused by the storage
        // check, the six characters `\u0000` are just text.
        t.post(&format!("/v1/results/{run}/meta/guideline"))
            .as_(Who::Alice)
            .raw(b"2020.06\0.json".to_vec())
            .send()
            .await
            .exc_error(400, "meta value must not contain a NUL character", &l);
        t.post(&format!("/v1/results/{run}/meta/target"))
            .as_(Who::Alice)
            .raw(r"plat\u0000form")
            .send()
            .await
            .expect(201, &l);

        // Nothing else was stored.
        let after = db::results::list_runs(t.dbh(), &db::results::RunFilter::default(), 1, 100)
            .await
            .expect("list");
        assert_eq!(after.total, runs_before, "{l}");
        let meta = db::meta::get_all(t.dbh(), &run).await.expect("meta");
        assert!(!meta.contains_key("guideline"), "{l}: {meta:?}");
        let r = t
            .get("/v1/vendors")
            .as_(Who::Dave)
            .send()
            .await
            .expect(200, &l);
        assert!(
            !r.text().contains("\\u0000"),
            "{l}: no vendor with a NUL was created: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn stored_strings_have_documented_limits() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let run = t.upload(Who::Alice, "cpid-a", &["t.a"]).await;
        // Meta values: 256 characters at most.
        let meta_url = format!("/v1/results/{run}/meta/guideline");
        t.post(&meta_url)
            .as_(Who::Alice)
            .raw("é".repeat(db::meta::MAX_VALUE_LEN))
            .send()
            .await
            .expect(201, &l);
        t.post(&meta_url)
            .as_(Who::Alice)
            .raw("x".repeat(20 << 20))
            .send()
            .await
            .exc_error(400, "meta value is longer than 256 characters", &l);
        let r = t
            .get(&format!("/v1/results/{run}/meta/guideline"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(
            r.json(),
            json!("é".repeat(db::meta::MAX_VALUE_LEN)),
            "{l}: the long value did not replace the stored one"
        );

        // Descriptions and properties of vendors and products.
        let long_desc = "d".repeat(db::MAX_DESCRIPTION_LEN + 1);
        t.post("/v1/vendors")
            .as_(Who::Alice)
            .json(json!({"name": "v", "description": long_desc}))
            .send()
            .await
            .exc_error(400, "description is longer than 4096 characters", &l);
        let r = t
            .post("/v1/vendors")
            .as_(Who::Alice)
            .json(json!({"name": "v", "description": "d".repeat(db::MAX_DESCRIPTION_LEN)}))
            .send()
            .await
            .expect(201, &l);
        let vendor = r.json()["id"].as_str().unwrap_or_default().to_owned();
        t.put(&format!("/v1/vendors/{vendor}"))
            .as_(Who::Alice)
            .json(json!({"description": long_desc}))
            .send()
            .await
            .exc_error(400, "description is longer than 4096 characters", &l);
        t.put(&format!("/v1/vendors/{vendor}"))
            .as_(Who::Alice)
            .json(json!({"properties": {"k": "p".repeat(db::MAX_PROPERTIES_LEN)}}))
            .send()
            .await
            .exc_error(400, "properties is longer than 8192 characters", &l);
        t.post("/v1/products")
            .as_(Who::Alice)
            .json(json!({"name": "p", "product_type": 0, "description": long_desc}))
            .send()
            .await
            .exc_error(400, "description is longer than 4096 characters", &l);
        let r = t
            .post("/v1/products")
            .as_(Who::Alice)
            .json(json!({"name": "p", "product_type": 0}))
            .send()
            .await
            .expect(201, &l);
        let product = r.json()["id"].as_str().unwrap_or_default().to_owned();
        t.put(&format!("/v1/products/{product}"))
            .as_(Who::Alice)
            .json(json!({"description": long_desc}))
            .send()
            .await
            .exc_error(400, "description is longer than 4096 characters", &l);
        t.put(&format!("/v1/products/{product}"))
            .as_(Who::Alice)
            .json(json!({"properties": {"k": "p".repeat(db::MAX_PROPERTIES_LEN)}}))
            .send()
            .await
            .exc_error(400, "properties is longer than 8192 characters", &l);

        // A decline reason.
        t.post(&format!("/v1/vendors/{vendor}/action"))
            .as_(Who::Alice)
            .json(json!({"register": null}))
            .send()
            .await
            .expect(200, &l);
        t.post(&format!("/v1/vendors/{vendor}/action"))
            .as_(Who::Dave)
            .json(json!({"deny": null, "registration_decline_reason": "r".repeat(db::vendors::MAX_REASON_LEN + 1)}))
            .send()
            .await
            .exc_error(400, "reason is longer than 1024 characters", &l);

        // A results list page stays small whatever was attempted: 20 runs
        // with the longest meta values allowed.
        for i in 0..20 {
            let id = t.upload(Who::Alice, &format!("c{i}"), &["t.a"]).await;
            for key in ["shared", "guideline", "target"] {
                t.post(&format!("/v1/results/{id}/meta/{key}"))
                    .as_(Who::Alice)
                    .raw("x".repeat(db::meta::MAX_VALUE_LEN))
                    .send()
                    .await
                    .expect(201, &l);
            }
        }
        let r = t.get("/v1/results").send().await.expect(200, &l);
        assert!(
            r.body.len() < 64 * 1024,
            "{l}: a list page is bounded ({} bytes)",
            r.body.len()
        );
    }
}
