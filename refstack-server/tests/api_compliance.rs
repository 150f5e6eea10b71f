//! `GET /v1/results/{id}/compliance` (beyond upstream): the server-side
//! compliance report, on every backend, over the fixture guidelines
//! (`tests/fixtures/guidelines`).

mod common;

use common::{TestApp, Who};
use serde_json::{Value, json};

const LIST: &str = "tempest.api.compute.test_list.ListTest.test_list";
const LIST_ALIAS: &str = "tempest.api.compute.old.test_list";
const FLAGGED: &str = "tempest.api.compute.test_list.ListTest.test_flagged";
const OBJ: &str = "tempest.api.object_storage.test_list.ObjTest.test_list";
const ADV: &str = "tempest.api.compute.test_adv.AdvTest.test_adv";
const DNS: &str = "designate_tempest_plugin.tests.api.v2.test_zones.ZonesTest.test_create_zone";

fn cap<'a>(report: &'a Value, status: &str, id: &str) -> &'a Value {
    report["statuses"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["status"] == status))
        .and_then(|s| s["capabilities"].as_array())
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no {status} capability {id} in {report}"))
}

#[tokio::test]
async fn compliance_report_defaults_and_verdict() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        // Passes compute-list through an alias and object-list by name; the
        // flagged required test did not pass, which never matters.
        let good = t.upload(Who::Anon, "cpid-1", &[LIST_ALIAS, OBJ, ADV]).await;
        let r = t
            .get(&format!("/v1/results/{good}/compliance"))
            .send()
            .await
            .expect(200, &l);
        let j = r.json();
        // Defaults: no meta → the newest dated powered guideline (not
        // next.json) and the platform program.
        assert_eq!(j["test_id"], good.as_str(), "{l}");
        assert_eq!(j["guideline"], "2020.06.json", "{l}");
        assert_eq!(j["guideline_id"], "2020.06", "{l}");
        assert_eq!(j["schema"], "2.0", "{l}");
        assert_eq!(j["target"], "platform", "{l}");
        assert_eq!(j["program"], "OpenStack Powered Platform", "{l}");
        assert_eq!(j["compliant"], true, "{l}");
        assert_eq!(
            j["required"],
            json!({"capabilities": 2, "count": 3, "passed": 2, "not_passed": 1,
                   "flagged_passed": 0, "flagged_failed": 1, "non_flagged_total": 2,
                   "non_flagged_passed": 2, "pass_percent": 200.0 / 3.0,
                   "non_flagged_pass_percent": 100.0}),
            "{l}"
        );
        assert_eq!(j["failing_required_capabilities"], json!([]), "{l}");
        let statuses: Vec<&str> = j["statuses"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["status"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            statuses,
            ["required", "advisory", "deprecated", "removed"],
            "{l}"
        );
        let compute = cap(&j, "required", "compute-list");
        assert_eq!(compute["total"], 2, "{l}");
        assert_eq!(compute["passed"], 1, "{l}");
        assert_eq!(compute["passes"], true, "{l}");
        let tests = compute["tests"].as_array().cloned().unwrap_or_default();
        let list = tests.iter().find(|t| t["name"] == LIST).cloned();
        assert_eq!(
            list,
            Some(
                json!({"name": LIST, "idempotent_id": "id-11111111-1111-1111-1111-111111111111",
                        "aliases": [LIST_ALIAS], "passed": true, "passed_as": LIST_ALIAS,
                        "flagged": false, "status": "passed"})
            ),
            "{l}"
        );
        let flagged = tests.iter().find(|t| t["name"] == FLAGGED).cloned();
        assert_eq!(
            flagged
                .as_ref()
                .map(|f| (&f["flagged"], &f["passed"], &f["flag_reason"])),
            Some((&json!(true), &json!(false), &json!("broken"))),
            "{l}"
        );
        assert_eq!(cap(&j, "advisory", "compute-adv")["passed"], 1, "{l}");

        // A run missing a required test: NOT compliant, the capability named.
        let bad = t.upload(Who::Anon, "cpid-2", &[OBJ]).await;
        let j = t
            .get(&format!("/v1/results/{bad}/compliance"))
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(j["compliant"], false, "{l}");
        assert_eq!(
            j["failing_required_capabilities"],
            json!(["compute-list"]),
            "{l}"
        );
        assert_eq!(j["required"]["non_flagged_passed"], 1, "{l}");

        // Explicit target: compute only has compute-list.
        let j = t
            .get(&format!(
                "/v1/results/{bad}/compliance?target=compute&guideline=2020.06"
            ))
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(j["target"], "compute", "{l}");
        assert_eq!(j["guideline"], "2020.06.json", "{l}");
        assert_eq!(j["required"]["capabilities"], 1, "{l}");
        // An add-on target takes a bare version in its own list.
        let dns = t.upload(Who::Anon, "cpid-3", &[DNS]).await;
        for query in ["target=dns", "target=dns&guideline=2020.06.json"] {
            let j = t
                .get(&format!("/v1/results/{dns}/compliance?{query}"))
                .send()
                .await
                .expect(200, &l)
                .json();
            assert_eq!(j["guideline"], "dns.2020.06.json", "{l} {query}");
            assert_eq!(j["program"], "OpenStack with DNS", "{l}");
            assert_eq!(j["compliant"], true, "{l}");
        }
        // Under the mount prefix too.
        t.get(&format!("/api/v1/results/{good}/compliance"))
            .send()
            .await
            .expect(200, &l);
    }
}

#[tokio::test]
async fn compliance_errors_and_visibility() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let id = t.upload(Who::Anon, "cpid-1", &[OBJ]).await;
        let url = format!("/v1/results/{id}/compliance");
        t.get(&format!("{url}?target=bogus"))
            .send()
            .await
            .http_error(400, Some("Invalid target: bogus"), &l);
        t.get(&format!("{url}?guideline=no-such-file"))
            .send()
            .await
            .http_error(400, Some("Invalid guideline name: no-such-file"), &l);
        t.get(&format!("{url}?guideline=1999.01"))
            .send()
            .await
            .http_error(404, Some("Guideline 1999.01.json not found"), &l);
        // A target the guideline does not define.
        t.get(&format!("{url}?guideline=dns.2020.06.json&target=platform"))
            .send()
            .await
            .http_error(
                400,
                Some("Invalid target: platform (not defined by dns.2020.06.json)"),
                &l,
            );
        t.get(&format!("{url}?guideline=next&target=object"))
            .send()
            .await
            .expect(400, &l);
        t.get("/v1/results/00000000-0000-0000-0000-000000000000/compliance")
            .send()
            .await
            .exc_error(
                404,
                "Test result 00000000-0000-0000-0000-000000000000 not found",
                &l,
            );

        // A signed upload is private: same rules as GET /v1/results/{id}.
        let private = t.upload(Who::Alice, "cpid-a", &[LIST, OBJ]).await;
        let url = format!("/v1/results/{private}/compliance");
        t.get(&url).send().await.expect(401, &l);
        for who in [Who::Anon, Who::Bob] {
            let plain = t
                .get(&format!("/v1/results/{private}"))
                .as_(who)
                .send()
                .await;
            let report = t.get(&url).as_(who).send().await;
            assert_eq!(report.status, plain.status, "{l} {who:?}");
            assert_eq!(report.json(), plain.json(), "{l} {who:?}");
        }
        // The owner's meta sets the defaults.
        for (key, value) in [("target", "compute"), ("guideline", "2020.06.json")] {
            t.post(&format!("/v1/results/{private}/meta/{key}"))
                .as_(Who::Alice)
                .raw(value)
                .send()
                .await
                .expect(201, &l);
        }
        let j = t
            .get(&url)
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(j["target"], "compute", "{l}");
        assert_eq!(j["compliant"], true, "{l}");
        t.post(&format!("/v1/results/{private}/meta/shared"))
            .as_(Who::Alice)
            .raw("true")
            .send()
            .await
            .expect(201, &l);
        let j = t.get(&url).send().await.expect(200, &l).json();
        assert_eq!(j["target"], "compute", "{l}");
        // The query overrides the meta.
        let j = t
            .get(&format!("{url}?target=platform"))
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(j["target"], "platform", "{l}");
    }
}
