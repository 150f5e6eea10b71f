//! The tester's input readers on arbitrary bytes: the results JSON that
//! `upload` sends (`results::parse_results_json`, then the bytes the tester
//! writes for it) and what `report` scores (`report::results_from_bytes`: a
//! results JSON or a subunit stream), scored against a small guideline and
//! rendered in all four formats. No panic; a parsed results JSON written
//! out reads back as the same value; the JSON report is JSON.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use refstack_core::guideline::Guideline;
use refstack_core::score;
use refstack_core::target::Target;
use refstack_tester::{report, results};

/// The API tests' 2.0 guideline (platforms, flags, aliases, uuids).
const GUIDELINE: &[u8] =
    include_bytes!("../../refstack-server/tests/fixtures/guidelines/2020.06.json");

fn guideline() -> &'static Guideline {
    static G: OnceLock<Guideline> = OnceLock::new();
    G.get_or_init(|| Guideline::from_json(GUIDELINE).expect("fixture guideline parses"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = results::parse_results_json(data, "fuzz") {
        let written = results::results_json_bytes(&req);
        let back = results::parse_results_json(&written, "written").expect("written JSON reads");
        assert_eq!(back, req, "results JSON round trip");
        let compact = serde_json::to_vec(&req).expect("serialises");
        let back = results::parse_results_json(&compact, "compact").expect("compact JSON reads");
        assert_eq!(back, req, "upload body round trip");
    }
    let Ok(res) = report::results_from_bytes(data, "fuzz") else {
        return;
    };
    for target in [Target::Platform, Target::Compute, Target::Object] {
        let r = score::score(guideline(), target, &res).expect("fixture defines the target");
        let _ = report::text(&r);
        let _ = report::junit(&r);
        let _ = report::html(&r);
        let json = report::json(&r).expect("report serialises");
        serde_json::from_str::<serde_json::Value>(&json).expect("JSON report is JSON");
    }
});
