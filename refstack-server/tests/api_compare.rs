//! `GET /v1/results/{a}/compare/{b}` (issue 13 item 4), on every backend:
//! changed capabilities and tests between two runs with and without their
//! streams, access rules, and unknown guideline or target (upstream error
//! shapes).

mod common;

use common::{TestApp, Who, v2_stream};
use refstack_subunit::PacketStatus::{Fail, Skip, Success};
use serde_json::json;

const LIST: &str = "tempest.api.compute.test_list.ListTest.test_list";
const FLAGGED: &str = "tempest.api.compute.test_list.ListTest.test_flagged";
const OBJ: &str = "tempest.api.object_storage.test_list.ObjTest.test_list";
const ADV: &str = "tempest.api.compute.test_adv.AdvTest.test_adv";

#[tokio::test]
async fn compare_two_runs() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        // Last week everything passed; today compute-list's test fails and
        // the advisory test is skipped.
        let week = t.upload(Who::Alice, "cpid-c", &[LIST, OBJ, ADV]).await;
        let today = t.upload(Who::Alice, "cpid-c", &[OBJ]).await;
        let stream = v2_stream(&[
            (LIST, Fail, Some(("traceback", "boom"))),
            (OBJ, Success, None),
            (ADV, Skip, Some(("reason", "no"))),
            (FLAGGED, Skip, Some(("reason", "no"))),
        ]);
        t.put(&format!("/v1/results/{today}/stream"))
            .as_(Who::Alice)
            .raw(stream)
            .send()
            .await
            .expect(201, &l);
        let r = t
            .get(&format!("/v1/results/{week}/compare/{today}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(r["guideline"], "2020.06.json", "{l}");
        assert_eq!(r["target"], "platform", "{l}");
        assert_eq!(
            (&r["before"]["compliant"], &r["after"]["compliant"]),
            (&json!(true), &json!(false)),
            "{l}"
        );
        assert_eq!(
            (&r["before"]["full_results"], &r["after"]["full_results"]),
            (&json!(false), &json!(true)),
            "{l}"
        );
        assert_eq!(
            r["capabilities"],
            json!([{"status": "required", "id": "compute-list", "before": true, "after": false},
                   {"status": "advisory", "id": "compute-adv", "before": true, "after": false}]),
            "{l}"
        );
        assert_eq!(
            r["tests"],
            json!([
                {"status": "required", "capability": "compute-list", "name": LIST, "flagged": false,
                 "passed_before": true, "passed_after": false, "before": "passed", "after": "failed"},
                {"status": "required", "capability": "compute-list", "name": FLAGGED, "flagged": true,
                 "passed_before": false, "passed_after": false, "before": "not_run", "after": "skipped"},
                {"status": "advisory", "capability": "compute-adv", "name": ADV, "flagged": false,
                 "passed_before": true, "passed_after": false, "before": "passed", "after": "skipped"}
            ]),
            "{l}"
        );
        // The other way round, and a run with itself.
        let back = t
            .get(&format!("/v1/results/{today}/compare/{week}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(back["tests"][0]["after"], "passed", "{l}");
        let same = t
            .get(&format!(
                "/v1/results/{today}/compare/{today}?target=compute"
            ))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(
            (same["capabilities"].clone(), same["tests"].clone()),
            (json!([]), json!([])),
            "{l}"
        );
        assert_eq!(same["target"], "compute", "{l}");

        // Who may compare: whoever may read both runs.
        let url = format!("/v1/results/{week}/compare/{today}");
        t.get(&url).send().await.http_error(401, Some(""), &l);
        t.get(&url)
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some(""), &l);
        t.get(&url).as_(Who::Dave).send().await.expect(200, &l);
        let anon = t.upload(Who::Anon, "c", &[OBJ]).await;
        t.get(&format!("/v1/results/{anon}/compare/{week}"))
            .as_(Who::Bob)
            .send()
            .await
            .http_error(403, Some(""), &l);
        t.get(&format!("/v1/results/{anon}/compare/nope"))
            .send()
            .await
            .exc_error(404, "Test result nope not found", &l);
        // Unknown guideline or target: the compliance report's answers.
        t.get(&format!("{url}?guideline=1999.01"))
            .as_(Who::Alice)
            .send()
            .await
            .http_error(404, Some("Guideline 1999.01.json not found"), &l);
        t.get(&format!("{url}?target=bogus"))
            .as_(Who::Alice)
            .send()
            .await
            .http_error(400, Some("Invalid target: bogus"), &l);
        t.get(&format!("{url}?guideline=dns.2020.06.json&target=platform"))
            .as_(Who::Alice)
            .send()
            .await
            .http_error(
                400,
                Some("Invalid target: platform (not defined by dns.2020.06.json)"),
                &l,
            );
    }
}
