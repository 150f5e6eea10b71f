//! `--guideline` takes the same paths as positional file arguments, and a
//! guideline that cannot score the target says what is wrong with it.

mod common;

use std::process::{Command, Stdio};

fn report(dir: &std::path::Path, guideline: &str, stdin: &[u8]) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_refstack-tester"))
        .current_dir(dir)
        .args(["report", "r.json", "--guideline", guideline])
        // A version would be fetched from here: nothing listens.
        .args([
            "--url",
            &format!("http://127.0.0.1:{}", common::dead_port()),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn guideline_paths_and_bad_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("r.json"),
        r#"{"cpid": "c", "duration_seconds": 0, "results": [{"name": "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors"}]}"#,
    )
    .unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    for name in ["g.json", "G.JSON", "guideline", "sub/g.json", "./g.json"] {
        std::fs::write(d.join(name), common::GUIDELINE).unwrap();
        let (code, out, err) = report(d, name, b"");
        assert_eq!(code, Some(0), "{name}: {err}");
        assert!(out.contains("2099.01"), "{name}: {out}");
    }
    // Standard input, as `-` for positional stream arguments.
    let (code, out, err) = report(d, "-", common::GUIDELINE.as_bytes());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("2099.01"), "{out}");
    // A missing `.json` path is a missing file, not a version to fetch.
    for name in ["missing.json", "sub/missing", "Missing.Json"] {
        let (code, _, err) = report(d, name, b"");
        assert_eq!(code, Some(1));
        assert!(
            err.starts_with("error: cannot read the guideline") && err.lines().count() == 1,
            "{name}: {err}"
        );
    }
    // A bare version still goes to the server.
    let (code, _, err) = report(d, "2099.01", b"");
    assert_eq!(code, Some(1));
    assert!(err.contains("/v1/guidelines/2099.01"), "{err}");

    // Empty `platforms`: what is wrong with the file, not "Invalid target".
    let mut g: serde_json::Value = serde_json::from_str(common::GUIDELINE).unwrap();
    g["platforms"] = serde_json::json!({});
    std::fs::write(d.join("empty.json"), g.to_string()).unwrap();
    let (code, _, err) = report(d, "empty.json", b"");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("empty.json: the guideline's `platforms` object is empty")
            && err.lines().count() == 1,
        "{err}"
    );
    // A program that names a missing component.
    g["platforms"] = serde_json::json!({"OpenStack Powered Platform": {"description": "",
        "components": [{"name": "os_powered_nothing", "status": "required"}]}});
    std::fs::write(d.join("bad.json"), g.to_string()).unwrap();
    let (_, _, err) = report(d, "bad.json", b"");
    assert!(
        err.contains("names the component 'os_powered_nothing', which is not in `components`"),
        "{err}"
    );
}

#[test]
fn report_names_every_category_of_required_tests_not_passed() {
    use refstack_subunit::{Packet, PacketStatus};
    let dir = tempfile::tempdir().unwrap();
    let mut s = Vec::new();
    for (id, st) in [
        (
            "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59]",
            PacketStatus::Success,
        ),
        (
            "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]",
            PacketStatus::ExpectedFail,
        ),
    ] {
        Packet::new(PacketStatus::InProgress)
            .with_test_id(id)
            .encode(&mut s)
            .unwrap();
        Packet::new(st).with_test_id(id).encode(&mut s).unwrap();
    }
    std::fs::write(dir.path().join("run.v2"), &s).unwrap();
    std::fs::write(dir.path().join("g.json"), common::GUIDELINE).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_refstack-tester"))
        .current_dir(dir.path())
        .args(["report", "run.v2", "--guideline", "g.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // An expected failure is not a pass, and is named as what it is.
    assert!(text.contains("NOT COMPLIANT"), "{text}");
    assert!(
        text.contains("Required tests not passed: 0 failed, 0 skipped, 1 expected failures, 0 unexpected successes, 0 incomplete, 0 not run"),
        "{text}"
    );
}
