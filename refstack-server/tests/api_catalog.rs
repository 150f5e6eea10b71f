//! Profile + pubkeys (reference §2.4), vendors (§2.5), products and
//! versions (§2.6) on every backend.

mod common;

use base64::Engine;
use common::{ALICE, BOB, CAROL, TestApp, Who};
use serde_json::json;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn profile_and_pubkeys() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        t.get("/v1/profile").send().await.http_error(401, None, &l);
        let r = t
            .get("/v1/profile")
            .as_(Who::Dave)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(
            r.json(),
            json!({"openid": common::DAVE, "email": "dave@example.org", "fullname": "Dave", "is_admin": true})
        );
        let r = t
            .get("/v1/profile")
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["is_admin"], false, "{l}");
        let r = t
            .get("/v1/profile/pubkeys")
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        let keys = r.json();
        assert_eq!(keys.as_array().map(Vec::len), Some(1), "{l}");
        assert_eq!(keys[0]["format"], "ssh-rsa", "{l}");
        assert_eq!(keys[0]["comment"], "", "{l}");
        assert_eq!(keys[0]["openid"], ALICE, "{l}");
        // Schema served verbatim.
        let r = t
            .get("/v1/profile/pubkeys/schema")
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.text(), refstack_api_types::schemas::PUBKEY_SCHEMA, "{l}");
        // POST: auth first, then validation (§2.4).
        t.post("/v1/profile/pubkeys")
            .raw("{")
            .send()
            .await
            .http_error(401, None, &l);
        let carol_key = common::public_line(Who::Carol);
        let carol_sig = common::private_key(Who::Carol)
            .self_signature_hex()
            .expect("sig");
        // Registered to carol already: 409.
        t.post("/v1/profile/pubkeys")
            .as_(Who::Alice)
            .json(json!({"raw_key": carol_key, "self_signature": carol_sig}))
            .send()
            .await
            .exc_error(409, "Public key already exists.", &l);
        for (raw, sig, title) in [
            (
                "ssh-ed25519 AAAA",
                "ab",
                "Public key has unsupported format",
            ),
            (
                std::fs::read_to_string(common::fixture("ed25519.pub"))
                    .unwrap_or_default()
                    .leak(),
                "ab",
                "Public key has unsupported format",
            ),
            (carol_key.as_str(), "xyz", "Malformed signature"),
            ("ssh-rsa !!!", "ab", "Malformed public key"),
            (carol_key.as_str(), "abcd", "Signature verification failed"),
        ] {
            t.post("/v1/profile/pubkeys")
                .as_(Who::Bob)
                .json(json!({"raw_key": raw, "self_signature": sig}))
                .send()
                .await
                .exc_error(400, title, &format!("{l}: {raw}"));
        }
        t.post("/v1/profile/pubkeys")
            .as_(Who::Bob)
            .json(json!({"raw_key": "x"}))
            .send()
            .await
            .exc_error(400, "Request doesnt correspond to schema", &l);
        // Move carol's key to bob with a multi-word comment (§10 item 6).
        let carol_keys = refstack_server::db::pubkeys::list_for_user(t.dbh(), CAROL)
            .await
            .expect("keys");
        t.delete(&format!("/v1/profile/pubkeys/{}", carol_keys[0].id))
            .as_(Who::Bob)
            .send()
            .await
            .http_error(404, Some(""), &l);
        t.delete(&format!("/v1/profile/pubkeys/{}", carol_keys[0].id))
            .as_(Who::Carol)
            .send()
            .await
            .expect(204, &l);
        let r = t
            .post("/v1/profile/pubkeys")
            .as_(Who::Bob)
            .json(json!({"raw_key": format!("{carol_key} my laptop key"), "self_signature": carol_sig}))
            .send()
            .await
            .expect(201, &l);
        let id = r.json();
        assert!(id.is_string(), "{l}: bare string id");
        let r = t
            .get("/v1/profile/pubkeys")
            .as_(Who::Bob)
            .send()
            .await
            .expect(200, &l);
        let comments: Vec<String> = r
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| k["comment"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            comments.contains(&"my laptop key".to_owned()),
            "{l}: {comments:?}"
        );
        // The moved key now signs uploads for bob.
        let body = common::upload_body("c", &["t.a"]);
        let r = t
            .post("/v1/results")
            .raw(body.clone())
            .signed(Who::Carol, &body)
            .send()
            .await
            .expect(201, &l);
        let run = r.json()["test_id"].as_str().unwrap_or_default().to_owned();
        let r = t
            .get(&format!("/v1/results/{run}/meta/user"))
            .as_(Who::Bob)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json(), json!(BOB), "{l}");
    }
}

#[tokio::test]
async fn vendor_workflow() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        // Public listing: foundation + official vendors, can_manage false for anon.
        let r = t.get("/v1/vendors").send().await.expect(200, &l);
        let vendors = r.json()["vendors"].clone();
        assert!(
            vendors
                .as_array()
                .into_iter()
                .flatten()
                .all(|v| v["can_manage"] == false),
            "{l}"
        );
        assert!(
            vendors
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v["id"] == t.vendor_id.as_str()),
            "{l}"
        );
        // Create (§2.5).
        t.post("/v1/vendors")
            .json(json!({"name": "x"}))
            .send()
            .await
            .http_error(401, None, &l);
        t.post("/v1/vendors")
            .as_(Who::Alice)
            .json(json!({"name": "  "}))
            .send()
            .await
            .exc_error(400, "name should not be empty", &l);
        t.post("/v1/vendors")
            .as_(Who::Alice)
            .json(json!({"name": "x", "other": 1}))
            .send()
            .await
            .exc_error(400, "Request doesnt correspond to schema", &l);
        let r = t
            .post("/v1/vendors")
            .as_(Who::Alice)
            .json(json!({"name": "Alice Corp", "description": "d"}))
            .send()
            .await
            .expect(201, &l);
        let vid = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let url = format!("/v1/vendors/{vid}");
        // Private vendor: admins see everything, others 403.
        let r = t.get(&url).as_(Who::Alice).send().await.expect(200, &l);
        let j = r.json();
        assert_eq!(j["type"], 1, "{l}");
        assert_eq!(j["can_manage"], true, "{l}");
        assert_eq!(j["created_by_user"], ALICE, "{l}");
        assert!(
            j["created_at"].as_str().is_some_and(|s| s.len() == 19),
            "{l}: {j}"
        );
        t.get(&url)
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.get("/v1/vendors/nope").send().await.exc_error(
            404,
            "Organization with id nope is not found",
            &l,
        );
        // Own vendors are listed with can_manage.
        let r = t
            .get("/v1/vendors")
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert!(
            r.json()["vendors"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v["id"] == vid.as_str() && v["can_manage"] == true),
            "{l}"
        );
        // PUT.
        let r = t
            .put(&url)
            .as_(Who::Alice)
            .json(json!({"description": "new", "properties": {"k": "v"}}))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["properties"], r#"{"k": "v"}"#, "{l}");
        t.put(&url)
            .as_(Who::Bob)
            .json(json!({}))
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        // Workflow: register (member), approve/deny (foundation), cancel.
        let action = |body: serde_json::Value, who: Who| {
            t.post(&format!("{url}/action")).as_(who).json(body)
        };
        t.post(&format!("{url}/action"))
            .as_(Who::Alice)
            .raw(r#"{"register": null, "approve": null}"#)
            .send()
            .await
            .http_error(
                400,
                Some("Invalid actions in the body: ['register', 'approve']"),
                &l,
            );
        action(json!({"register": null}), Who::Dave)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        let r = action(json!({"register": null}), Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.text(), "null", "{l}");
        action(json!({"register": null}), Who::Alice)
            .send()
            .await
            .http_error(400, Some("Invalid organization state for this action."), &l);
        action(json!({"approve": null}), Who::Alice)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        action(json!({"deny": null}), Who::Dave)
            .send()
            .await
            .http_error(400, Some("The decline reason can not be empty"), &l);
        action(
            json!({"deny": null, "registration_decline_reason": "no"}),
            Who::Dave,
        )
        .send()
        .await
        .expect(200, &l);
        let r = t.get(&url).as_(Who::Alice).send().await.expect(200, &l);
        assert_eq!(r.json()["type"], 1, "{l}");
        assert!(
            r.json()["properties"]
                .as_str()
                .unwrap_or_default()
                .contains("registration_decline_reason"),
            "{l}"
        );
        action(json!({"register": null}), Who::Alice)
            .send()
            .await
            .expect(200, &l);
        action(json!({"cancel": null}), Who::Alice)
            .send()
            .await
            .expect(200, &l);
        action(json!({"register": null}), Who::Alice)
            .send()
            .await
            .expect(200, &l);
        action(json!({"approve": null}), Who::Dave)
            .send()
            .await
            .expect(200, &l);
        let r = t.get(&url).send().await.expect(200, &l);
        assert_eq!(
            r.json().as_object().map(|o| o.len()),
            Some(5),
            "{l}: public summary of an official vendor"
        );
        // Official vendor: name change needs the foundation.
        t.put(&url)
            .as_(Who::Alice)
            .json(json!({"name": "Renamed"}))
            .send()
            .await
            .http_error(
                403,
                Some("Name change for an official vendor is not allowed."),
                &l,
            );
        t.put(&url)
            .as_(Who::Dave)
            .json(json!({"name": "Renamed"}))
            .send()
            .await
            .expect(200, &l);
        // Users (§2.5, §10 item 8).
        let users = format!("{url}/users");
        t.get(&users).send().await.http_error(401, None, &l);
        t.get(&users)
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.put(&format!("{users}/{}", b64("https://nobody")))
            .as_(Who::Alice)
            .send()
            .await
            .expect(404, &l);
        t.put(&format!("{users}/{}", b64(BOB)))
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.put(&format!("{users}/{}", b64(BOB)))
            .as_(Who::Alice)
            .send()
            .await
            .expect(204, &l);
        t.put(&format!("{users}/{}", b64(BOB)))
            .as_(Who::Alice)
            .send()
            .await
            .expect(204, &l);
        let r = t.get(&users).as_(Who::Bob).send().await.expect(200, &l);
        let mut members: Vec<String> = r
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| u["openid"].as_str().unwrap_or_default().to_owned())
            .collect();
        members.sort();
        assert_eq!(members, [ALICE, BOB], "{l}");
        t.delete(&format!("{users}/{}", b64(BOB)))
            .as_(Who::Alice)
            .send()
            .await
            .expect(204, &l);
        t.get(&users).as_(Who::Bob).send().await.expect(403, &l);
        // Delete: refused with associated tests, else 204.
        t.delete(&format!("/v1/vendors/{}", t.vendor_id))
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.upload(Who::Carol, "cpid-carol", &["t.a"]).await;
        t.delete(&format!("/v1/vendors/{}", t.vendor_id))
            .as_(Who::Carol)
            .send()
            .await
            .http_error(400, Some("Unable to delete. There are still tests associated to products for this vendor."), &l);
        t.delete(&url).as_(Who::Alice).send().await.expect(204, &l);
        t.get(&url).send().await.expect(404, &l);
    }
}

#[tokio::test]
async fn products_and_versions() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        // Listing: public products for anon, can_manage for admins.
        let r = t.get("/v1/products").send().await.expect(200, &l);
        let p = &r.json()["products"][0];
        assert_eq!(p["id"], t.product_id.as_str(), "{l}");
        assert_eq!(p["can_manage"], false, "{l}");
        assert_eq!(p["type"], 0, "{l}");
        assert_eq!(p["product_type"], 1, "{l}");
        let r = t
            .get("/v1/products")
            .as_(Who::Carol)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["products"][0]["can_manage"], true, "{l}");
        // Create without organization: the caller's own vendor_<openid>.
        t.post("/v1/products")
            .json(json!({"name": "p", "product_type": 0}))
            .send()
            .await
            .http_error(401, None, &l);
        let r = t
            .post("/v1/products")
            .as_(Who::Alice)
            .json(json!({"name": "Alice Distro", "product_type": 0}))
            .send()
            .await
            .expect(201, &l);
        let pid = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let url = format!("/v1/products/{pid}");
        let r = t.get(&url).as_(Who::Alice).send().await.expect(200, &l);
        let j = r.json();
        assert_eq!(j["public"], false, "{l}");
        assert_eq!(j["type"], 1, "{l}: distro is software");
        assert_eq!(j["created_by_user"], ALICE, "{l}");
        let org = j["organization_id"].as_str().unwrap_or_default().to_owned();
        let r = t
            .get(&format!("/v1/vendors/{org}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["name"], format!("vendor_{ALICE}"), "{l}");
        t.get(&url)
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.get("/v1/products/nope").send().await.exc_error(
            404,
            "Product with id \"nope\" not found",
            &l,
        );
        // §10 item 3: creating under someone else's vendor is refused.
        t.post("/v1/products")
            .as_(Who::Alice)
            .json(json!({"name": "Sneaky", "product_type": 1, "organization_id": t.vendor_id}))
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        t.post("/v1/products")
            .as_(Who::Alice)
            .json(json!({"name": " ", "product_type": 1}))
            .send()
            .await
            .exc_error(400, "name should not be empty", &l);
        // Versions: implicit null version + v1.
        let r = t
            .get(&format!("{url}/versions"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        let versions = r.json();
        assert_eq!(
            versions.as_array().map(Vec::len),
            Some(1),
            "{l}: the implicit version"
        );
        let null_id = versions
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["version"].is_null())
            .and_then(|v| v["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        t.get(&format!("{url}/versions"))
            .send()
            .await
            .expect(403, &l);
        let r = t
            .post(&format!("{url}/versions"))
            .as_(Who::Alice)
            .json(json!({"version": "v2", "cpid": "c2"}))
            .send()
            .await
            .expect(201, &l);
        let v2 = r.json();
        assert_eq!(v2["product_id"], pid.as_str(), "{l}");
        assert_eq!(v2.as_object().map(|o| o.len()), Some(4), "{l}");
        t.post(&format!("{url}/versions"))
            .as_(Who::Alice)
            .json(json!({"version": "v2"}))
            .send()
            .await
            .expect(409, &l);
        t.post(&format!("{url}/versions"))
            .as_(Who::Bob)
            .json(json!({"version": "v3"}))
            .send()
            .await
            .expect(403, &l);
        let vurl = format!("{url}/versions/{}", v2["id"].as_str().unwrap_or_default());
        let r = t
            .put(&vurl)
            .as_(Who::Alice)
            .json(json!({"cpid": "c3", "version": "ignored"}))
            .send()
            .await
            .expect(200, &l);
        let j = r.json();
        assert_eq!(j["cpid"], "c3", "{l}");
        assert_eq!(j["version"], "v2", "{l}");
        assert_eq!(j["product_info"]["id"], pid.as_str(), "{l}");
        let r = t.get(&vurl).as_(Who::Alice).send().await.expect(200, &l);
        assert_eq!(r.json()["cpid"], "c3", "{l}");
        t.get(&format!("{url}/versions/nope"))
            .as_(Who::Alice)
            .send()
            .await
            .exc_error(404, "Version with id \"nope\" not found", &l);
        t.delete(&format!("{url}/versions/{null_id}"))
            .as_(Who::Alice)
            .send()
            .await
            .http_error(400, Some("Can not delete the empty version as it is used for basic product/test association. This version was implicitly created with the product, and so it cannot be deleted explicitly."), &l);
        t.delete(&vurl).as_(Who::Alice).send().await.expect(204, &l);
        // PUT product: public needs an official vendor.
        t.put(&url)
            .as_(Who::Alice)
            .json(json!({"public": true}))
            .send()
            .await
            .http_error(403, Some("Forbidden."), &l);
        let r = t
            .put(&url)
            .as_(Who::Alice)
            .json(json!({"name": "Alice Distro 2", "properties": {"a": 1}}))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(
            r.json(),
            json!({"id": pid, "name": "Alice Distro 2", "organization_id": org, "public": false, "can_manage": true}),
            "{l}"
        );
        t.put(&format!("/v1/products/{}", t.product_id))
            .as_(Who::Carol)
            .json(json!({"public": "false"}))
            .send()
            .await
            .expect(200, &l);
        t.get(&format!("/v1/products/{}", t.product_id))
            .send()
            .await
            .expect(403, &l);
        // Delete: refused with associated tests.
        let run = t.upload(Who::Carol, "cpid-carol", &["t.a"]).await;
        t.delete(&format!(
            "/v1/products/{}/versions/{}",
            t.product_id, t.version_id
        ))
        .as_(Who::Carol)
        .send()
        .await
        .http_error(
            400,
            Some("Unable to delete. There are still tests associated to this product version."),
            &l,
        );
        t.delete(&format!("/v1/products/{}", t.product_id))
            .as_(Who::Carol)
            .send()
            .await
            .http_error(400, Some("Unable to delete. There are still tests associated to versions of this product."), &l);
        t.delete(&format!("/v1/results/{run}"))
            .as_(Who::Carol)
            .send()
            .await
            .expect(204, &l);
        t.delete(&format!("/v1/products/{}", t.product_id))
            .as_(Who::Bob)
            .send()
            .await
            .expect(403, &l);
        t.delete(&format!("/v1/products/{}", t.product_id))
            .as_(Who::Carol)
            .send()
            .await
            .expect(204, &l);
        t.delete(&url).as_(Who::Dave).send().await.expect(204, &l);
    }
}

/// Issue 15 item 1: the version routes checked the caller's rights on the
/// product in the URL but not that the version belongs to it, so bob could
/// change, read and delete alice's private version through his own product.
#[tokio::test]
async fn versions_of_another_product_are_not_found() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let mut ids = Vec::new();
        for (who, name) in [(Who::Alice, "Alice Secret"), (Who::Bob, "Bob Distro")] {
            let r = t
                .post("/v1/products")
                .as_(who)
                .json(json!({"name": name, "product_type": 0}))
                .send()
                .await
                .expect(201, &l);
            ids.push(r.json()["id"].as_str().unwrap_or_default().to_owned());
        }
        let (alice_p, bob_p) = (&ids[0], &ids[1]);
        let r = t
            .post(&format!("/v1/products/{alice_p}/versions"))
            .as_(Who::Alice)
            .json(json!({"version": "v1", "cpid": "alice-cpid"}))
            .send()
            .await
            .expect(201, &l);
        let alice_v = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let crossed = format!("/v1/products/{bob_p}/versions/{alice_v}");
        let missing = format!("Version with id \"{alice_v}\" not found");

        let r = t
            .put(&crossed)
            .as_(Who::Bob)
            .json(json!({"cpid": "x"}))
            .send()
            .await
            .exc_error(404, &missing, &l);
        assert!(
            !r.text().contains("Alice Secret"),
            "{l}: the 404 reveals nothing of alice's product"
        );
        t.delete(&crossed)
            .as_(Who::Bob)
            .send()
            .await
            .exc_error(404, &missing, &l);
        // Public product (carol's), private version: 404 for anyone.
        t.get(&format!("/v1/products/{}/versions/{alice_v}", t.product_id))
            .send()
            .await
            .exc_error(404, &missing, &l);
        // Alice's version is untouched.
        let r = t
            .get(&format!("/v1/products/{alice_p}/versions/{alice_v}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["cpid"], "alice-cpid", "{l}");
        assert_eq!(r.json()["product_id"], alice_p.as_str(), "{l}");
    }
}
