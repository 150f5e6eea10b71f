//! Test-id reduction against refstack-client's Python expressions, and
//! robustness on arbitrary input.

mod shared_data;

use std::ffi::OsStr;

use proptest::prelude::*;
use refstack_core::guideline::Guideline;
use refstack_core::testid::{TestId, upload_name};

/// refstack-client's name and uuid expressions, applied to each id of a
/// JSON list; prints a JSON list of `[name, uuid or null]`.
const CLIENT_RULES: &str = r#"
import json, re, sys
out = []
for tid in json.loads(sys.argv[1]):
    name = re.sub(r'\[.*\]', '', tid)
    uuid = None
    if '[' in tid:
        for attr in tid.split('[')[1].split(']')[0].split(','):
            if attr.startswith('id-'):
                uuid = '-'.join(attr.split('-')[1:])
                break
    out.append([name, uuid])
print(json.dumps(out))
"#;

#[test]
fn names_and_uuids_match_the_client_expressions() {
    if !shared_data::python_available() {
        return;
    }
    let ids = [
        "tempest.passed.test",
        "tempest.tagged_passed.test[gate,id-0146f675-ffbd-4208-b3a4-60eb628dbc5e]",
        "a.B.test_x[id-U,smoke](scen)",
        "p.T.test_scn[id-7777,smoke](alpha)",
        "t[a]x[b]y",
        "t[a",
        "t]x[a",
        "t[a]\nu[b]v",
        "t[]",
        "t[smoke][id-x]",
        "t[id-a,id-b]",
        "t[smoke,id-x-y-z]",
        "t[id-]",
        "t(scen)[id-1]",
        "ünï.cödé[id-ä]",
        "[id-lead]name",
        "t[x[id-y]z]",
    ];
    let json = serde_json::to_string(&ids).unwrap_or_default();
    let (ok, stdout) = shared_data::python(&[
        OsStr::new("-c"),
        OsStr::new(CLIENT_RULES),
        OsStr::new(&json),
    ]);
    assert!(ok, "python failed");
    let theirs: Vec<(String, Option<String>)> = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(e) => panic!("bad python output {stdout:?}: {e}"),
    };
    for (id, (name, uuid)) in ids.iter().zip(theirs) {
        let parsed = TestId::parse(id);
        assert_eq!(parsed.upload_name(), name, "name of {id:?}");
        assert_eq!(parsed.uuid().map(str::to_owned), uuid, "uuid of {id:?}");
    }
}

proptest! {
    #[test]
    fn test_ids_never_panic(s in "\\PC*") {
        let id = TestId::parse(&s);
        let _ = (id.name(), id.uuid(), id.scenario(), id.upload_name());
        prop_assert_eq!(id.attributes().count() >= id.tags().count(), true);
        prop_assert!(upload_name(&s).len() <= s.len());
    }

    #[test]
    fn bracketed_ids_reduce_to_their_name(
        name in "[a-z_.]{1,40}",
        attrs in proptest::collection::vec("[a-z0-9-]{1,12}", 0..4),
        scenario in proptest::option::of("[a-z]{1,8}"),
    ) {
        let scen = scenario.as_ref().map(|s| format!("({s})")).unwrap_or_default();
        let id = format!("{name}[{}]{scen}", attrs.join(","));
        let parsed = TestId::parse(&id);
        prop_assert_eq!(parsed.upload_name(), format!("{name}{scen}"));
        prop_assert_eq!(parsed.name(), name.as_str());
        prop_assert_eq!(parsed.scenario(), scenario.as_deref());
        let expected_uuid = attrs.iter().find_map(|a| a.strip_prefix("id-"));
        prop_assert_eq!(parsed.uuid(), expected_uuid);
    }

    #[test]
    fn guideline_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Guideline::from_json(&bytes);
    }

    #[test]
    fn guideline_parsing_of_json_shapes_never_panics(
        schema in prop_oneof![Just("1.2"), Just("1.6"), Just("2.0"), Just("9")],
        tests in prop_oneof![Just("[]"), Just("{}"), Just("{\"t\": {\"flagged\": 1}}"), Just("3"), Just("null")],
    ) {
        let doc = format!(
            r#"{{"schema": "{schema}", "metadata": {{"schema": "{schema}"}}, "platform": {{"required": ["c"]}},
               "components": {{"c": {{"required": ["x"]}}}}, "capabilities": {{"x": {{"tests": {tests}}}}}}}"#
        );
        let _ = Guideline::from_json(doc.as_bytes());
    }
}
