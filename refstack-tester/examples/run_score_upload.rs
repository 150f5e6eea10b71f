//! The library end to end, without Tempest or a cloud: extract the results
//! of a subunit stream, score them against a guideline, sign the upload
//! body and (optionally) upload it.
//!
//! ```text
//! cargo run -p refstack-tester --example run_score_upload -- STREAM GUIDELINE.json [KEY] [URL]
//! ```
//!
//! With no arguments it builds a tiny stream and guideline in memory.
//! Running Tempest itself is `refstack_tester::run::run_tests` (see the
//! `refstack-tester test` command).

use std::path::PathBuf;

use refstack_core::score::{self, Results};
use refstack_core::{Guideline, Target};
use refstack_subunit::{Packet, PacketStatus};
use refstack_tester::{http, report, results, sign};

const GUIDELINE: &str = r#"{
  "id": "example", "schema": "2.0",
  "metadata": {"id": "example", "schema": "2.0", "source": "x", "os_trademark_approval":
    {"target_approval": "x", "replaces": "x", "releases": [], "status": "approved"}},
  "platforms": {"OpenStack Powered Platform": {"description": "", "components": [
    {"name": "os_powered_compute", "status": "required"}]}},
  "components": {"os_powered_compute": {"capabilities": {
    "required": ["compute-flavors-list"], "advisory": [], "deprecated": [], "removed": []}}},
  "capabilities": {"compute-flavors-list": {"status": "approved", "description": "List flavors",
    "project": "nova", "achievements": [], "admin": false, "required-since": "", "tests": {
      "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors":
        {"idempotent_id": "id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59"}}}}
}"#;

fn demo_stream() -> Vec<u8> {
    let mut s = Vec::new();
    let id = "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59,smoke]";
    for status in [PacketStatus::InProgress, PacketStatus::Success] {
        if Packet::new(status).with_test_id(id).encode(&mut s).is_err() {
            return Vec::new();
        }
    }
    s
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stream = match args.first() {
        Some(p) => std::fs::read(p)?,
        None => demo_stream(),
    };
    let guideline = match args.get(1) {
        Some(p) => Guideline::from_json(&std::fs::read(p)?)?,
        None => Guideline::from_json(GUIDELINE.as_bytes())?,
    };

    // Extract: records and the upload payload (passed tests only).
    let records = results::records_from_bytes(&stream, false);
    let payload = results::payload(&records, "example-cpid", 0);
    println!("{} tests, {} passed", records.len(), payload.results.len());

    // Score.
    let scored = Results::from_records(&records);
    let compliance = score::score(&guideline, Target::Platform, &scored)?;
    print!("{}", report::text(&compliance));

    // Sign and upload (only when a key and a URL are given).
    if let (Some(key), Some(url)) = (args.get(2), args.get(3)) {
        let body = serde_json::to_vec(&payload)?;
        let key = sign::load_private_key(&PathBuf::from(key))?;
        let headers = sign::signature_headers(&key, &body)?;
        let client = http::client(&http::HttpOptions::default())?;
        let answer = http::upload_bytes(&client, url, body, Some(&headers)).await?;
        println!("uploaded: {}", answer.url);
    }
    Ok(())
}
