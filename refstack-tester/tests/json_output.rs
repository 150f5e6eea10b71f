//! `--json` on every command that prints data (issue 16 item 6), and
//! `init` (item 4): one JSON document on standard output with the field
//! names of `refstack_tester::output`, messages on standard error, and a
//! clear refusal from the commands whose output is not data.

#![cfg(feature = "fake-tempest")]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const PEM: &str = include_str!("fixtures/rsa_key_pkcs1.pem");

fn bin() -> Command {
    common::tester()
}

fn fake_tempest() -> PathBuf {
    common::fake_tempest()
}

/// Runs `cmd`, expects `code`, and parses its whole standard output as one
/// JSON document.
fn json_of(cmd: &mut Command, code: i32) -> Value {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stdout}\n{stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}\n{stderr}"))
}

fn tempest_conf(dir: &Path, keystone: &str) -> PathBuf {
    let accounts = dir.join("accounts.yaml");
    std::fs::write(
        &accounts,
        "- username: demo\n  project_name: demo\n  password: secret\n",
    )
    .unwrap();
    let conf = dir.join("tempest.conf");
    std::fs::write(
        &conf,
        format!(
            "[identity]\nuri_v3 = {keystone}\nauth_version = v3\n[auth]\ntest_accounts_file = {}\n",
            accounts.display()
        ),
    )
    .unwrap();
    conf
}

#[test]
fn every_data_command_prints_one_json_document() {
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    let conf = tempest_conf(dir.path(), &fake.url("/identity/v3"));
    let out_dir = dir.path().join("out");

    // test --json --guideline --upload: counts, files, report and upload.
    let run = json_of(
        bin()
            .current_dir(dir.path())
            .args(["test", "--json", "-c"])
            .arg(&conf)
            .arg("--tempest-bin")
            .arg(fake_tempest())
            .arg("--output-dir")
            .arg(&out_dir)
            .args(["--guideline", "2020.06", "-u", "--url"])
            .arg(fake.url("/api")),
        1,
    );
    assert_eq!(run["exit_code"], 1);
    assert_eq!(run["tempest_exit_code"], 0);
    assert_eq!(run["cpid"], "KEYSTONE-IDENTITY-SERVICE-ID");
    let o = &run["outcomes"];
    assert_eq!(o["listed"], false);
    assert_eq!(o["total"], 15);
    // The test of the class whose tearDownClass failed counts as failed.
    assert_eq!(o["passed"], 8);
    assert_eq!(o["failed"], 4);
    assert_eq!(o["failed_by_fixture"], 1);
    assert_eq!(o["skipped"], 1);
    assert_eq!(o["xfail"], 1);
    assert_eq!(o["uxsuccess"], 1);
    assert_eq!(o["not_run"], 0);
    let results_file = PathBuf::from(run["results_file"].as_str().unwrap());
    assert!(results_file.is_file(), "{run}");
    assert!(Path::new(run["subunit_file"].as_str().unwrap()).is_file());
    assert_eq!(run["compliance"]["guideline"], "2020.06");
    assert_eq!(run["compliance"]["target"], "platform");
    assert_eq!(run["compliance"]["compliant"], false);
    assert_eq!(run["upload"]["url"], "http://ui/#/results/0000-1111");
    assert_eq!(run["upload"]["id"], "0000-1111");
    assert_eq!(run["upload"]["signed"], false);
    assert_eq!(run["upload"]["passed_tests"], 8);
    assert_eq!(run["upload"]["api_url"], fake.url("/api"));
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 1);

    // upload --json: no prompt text on stdout (-y), then the answer.
    let key = dir.path().join("key");
    std::fs::write(&key, PEM).unwrap();
    let up = json_of(
        bin()
            .args(["upload", "-y", "--json", "-i"])
            .arg(&key)
            .arg("--url")
            .arg(fake.url("/api"))
            .arg(&results_file),
        0,
    );
    assert_eq!(up["signed"], true);
    assert_eq!(up["passed_tests"], 8);
    assert_eq!(up["id"], "0000-1111");
    // The prompt goes to standard error with --json; "no" is a document too.
    let out = bin()
        .args(["--json", "upload", "--url"])
        .arg(fake.url("/api"))
        .arg(&results_file)
        .write_stdin("n\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cancelled"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Ok? (yes/y)"));
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 2);

    // upload-subunit --json.
    let stream = PathBuf::from(run["subunit_file"].as_str().unwrap());
    let up = json_of(
        bin()
            .args(["upload-subunit", "-y", "--json", "--keystone-endpoint"])
            .arg("http://keystone.example.org:5000/v3")
            .arg("--url")
            .arg(fake.url("/api"))
            .arg(&stream),
        0,
    );
    assert_eq!(up["passed_tests"], 9);

    // sign --json.
    let signed = json_of(bin().args(["sign", "--json"]).arg(&key), 0);
    assert!(
        signed["public_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-rsa ")
    );
    // A 4096-bit key: 512 signature bytes in hex.
    assert_eq!(signed["self_signature"].as_str().unwrap().len(), 1024);
    assert_eq!(signed["derived_public_key"], true);

    // testlist --json: the text list's lines, in order.
    let text = bin()
        .args(["testlist", "--guideline", "2020.06", "--type", "required"])
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(text).unwrap();
    let list = json_of(
        bin().args([
            "testlist",
            "--guideline",
            "2020.06",
            "--type",
            "required",
            "--json",
        ]),
        0,
    );
    assert_eq!(list["guideline"], "2020.06");
    assert_eq!(list["target"], "platform");
    let tests: Vec<&str> = list["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tests.len() > 100);
    assert_eq!(tests, text.lines().collect::<Vec<_>>());

    // report --json is report --format json; another --format is refused.
    let a = bin()
        .args(["report", "--guideline", "2020.06", "--format", "json"])
        .arg(&results_file)
        .output()
        .unwrap();
    let b = bin()
        .args(["report", "--guideline", "2020.06", "--json"])
        .arg(&results_file)
        .output()
        .unwrap();
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
    let v: Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(v["compliant"], false);
    let out = bin()
        .args([
            "report",
            "--guideline",
            "2020.06",
            "--json",
            "--format",
            "html",
        ])
        .arg(&results_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());

    // subunit stats --json: the text's numbers under stable names.
    let stats = json_of(bin().args(["subunit", "stats", "--json"]).arg(&stream), 0);
    for (field, n) in [
        ("tests", 15),
        ("passed", 9),
        ("failed", 3),
        ("skipped", 1),
        ("xfail", 1),
        ("uxsuccess", 1),
        ("corrupt", 0),
        ("noise_bytes", 0),
    ] {
        assert_eq!(stats[field], n, "{field}: {stats}");
    }
    assert!(stats["packets"].as_u64().unwrap() > 15);
    assert!(stats["test_time_seconds"].is_number());

    // subunit ls --json: an array of {id, status}, filtered, or empty.
    let all = json_of(bin().args(["subunit", "ls", "--json"]).arg(&stream), 0);
    assert_eq!(all.as_array().unwrap().len(), 15);
    let failed = json_of(
        bin()
            .args(["subunit", "ls", "--json", "--status", "fail"])
            .arg(&stream),
        0,
    );
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|t| t["status"] == "fail"));
    assert_eq!(
        failed[1]["id"],
        "setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTestJSON)"
    );
    let none = json_of(
        bin()
            .args(["subunit", "ls", "--json", "--status", "no-such-status"])
            .arg(&stream),
        0,
    );
    assert_eq!(none, Value::Array(Vec::new()));

    // Commands whose output is not data refuse --json in one line.
    for args in [
        &["subunit", "convert", "--to", "v1"][..],
        &["subunit", "filter"],
        &["subunit", "to-junit"],
    ] {
        let out = bin()
            .args(args)
            .arg("--json")
            .arg(&stream)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--json does not apply here") && err.trim_end().lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    let out = bin()
        .args(["--json", "completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn init_makes_a_workspace_test_can_run_in() {
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    let conf = tempest_conf(dir.path(), &fake.url("/identity/v3"));
    let ws = dir.path().join("cloud");

    let made = json_of(
        bin()
            .current_dir(dir.path())
            .args(["init", "cloud", "--json", "-c"])
            .arg(&conf)
            .arg("--tempest-bin")
            .arg(fake_tempest()),
        0,
    );
    assert_eq!(made["workspace"], "cloud");
    assert_eq!(made["created"], true);
    assert_eq!(made["tempest_conf"], "cloud/etc/tempest.conf");
    assert!(ws.join(".stestr.conf").is_file());
    assert_eq!(
        std::fs::read(ws.join("etc/tempest.conf")).unwrap(),
        std::fs::read(&conf).unwrap()
    );
    // Again: already a workspace, the same configuration: nothing to do.
    let again = json_of(
        bin()
            .current_dir(dir.path())
            .args(["init", "cloud", "--json", "-c"])
            .arg(&conf)
            .arg("--tempest-bin")
            .arg(fake_tempest()),
        0,
    );
    assert_eq!(again["created"], false);
    // A different configuration is not overwritten.
    let other = dir.path().join("other.conf");
    std::fs::write(&other, "[identity]\nuri_v3 = http://elsewhere/v3\n").unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["init", "cloud", "-c"])
        .arg(&other)
        .arg("--tempest-bin")
        .arg(fake_tempest())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exists and differs"), "{err}");
    // A non-empty directory that is not a workspace: said before Tempest runs.
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "x").unwrap();
    let out = bin()
        .args(["init"])
        .arg(&busy)
        .arg("--tempest-bin")
        .arg(fake_tempest())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not empty and not a Tempest workspace"),
        "{err}"
    );
    assert!(!busy.join(".stestr.conf").exists());
    // Text mode says what to do next.
    let out = bin()
        .current_dir(dir.path())
        .args(["init", "fresh", "--tempest-bin"])
        .arg(fake_tempest())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Put the cloud's tempest.conf at fresh/etc/tempest.conf")
            && text.contains("refstack-tester test -c fresh/etc/tempest.conf --tempest-dir fresh"),
        "{text}"
    );

    // The workspace is where `test` runs.
    let log = dir.path().join("argv.log");
    bin()
        .current_dir(dir.path())
        .env("FAKE_TEMPEST_LOG", &log)
        .args([
            "test",
            "-c",
            "cloud/etc/tempest.conf",
            "--tempest-dir",
            "cloud",
        ])
        .arg("--tempest-bin")
        .arg(fake_tempest())
        .assert()
        .code(1);
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.lines()
            .any(|l| l.contains("\"run\"") && l.ends_with(&format!("cwd={}", ws.display()))),
        "{argv}"
    );
    assert!(ws.join(".stestr").is_dir());
}

/// Issue 13 item 7: `test -u -i KEY` also sends the run's whole subunit
/// stream when the server offers `PUT /v1/results/{id}/stream` (found in its
/// OpenAPI document), gzip-compressed and signed over those exact bytes;
/// an unsigned upload or a server without the endpoint (upstream) gets none.
#[test]
fn test_upload_sends_the_full_stream_where_the_server_takes_it() {
    use std::io::Read as _;
    let (fake, _rt) = common::start_background();
    *fake.state.offers_stream.lock().unwrap() = true;
    *fake.state.verify.lock().unwrap() = Some(Box::new(|r| {
        let (Some(sig), Some(key)) = (&r.signature, &r.public_key) else {
            return Ok(());
        };
        let key =
            refstack_core::signature::PublicKey::from_openssh(key).map_err(|e| e.to_string())?;
        key.verify_hex(&r.body, sig)
            .map_err(|e| format!("signature: {e}"))
    }));
    let dir = tempfile::tempdir().unwrap();
    let conf = tempest_conf(dir.path(), &fake.url("/identity/v3"));
    let key = dir.path().join("key");
    std::fs::write(&key, PEM).unwrap();
    let run = |signed: bool, json: bool| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .args(["test", "-c"])
            .arg(&conf)
            .arg("--tempest-bin")
            .arg(fake_tempest())
            .arg("--output-dir")
            .arg(dir.path().join("out"))
            .args(["-u", "--url"])
            .arg(fake.url("/api"));
        if signed {
            cmd.arg("-i").arg(&key);
        }
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };

    // Signed, text: the stream is sent and the answer summarised.
    let out = run(true, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("Full results uploaded: 15 tests (9 passed, 4 failed, 1 skipped, 1 other)"),
        "{stdout}"
    );
    {
        let streams = fake.state.streams.lock().unwrap();
        assert_eq!(streams.len(), 1);
        let (id, rec, encoding) = &streams[0];
        assert_eq!(id, "0000-1111");
        assert_eq!(encoding.as_deref(), Some("gzip"));
        assert!(rec.signature.is_some(), "signed like the upload");
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&rec.body[..])
            .read_to_end(&mut raw)
            .unwrap();
        let kept = std::fs::read(dir.path().join("out/0.subunit")).unwrap();
        assert_eq!(raw, kept, "the stream as Tempest wrote it");
    }
    // Signed, JSON: the answer is in the document.
    let out = run(true, true);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["stream_upload"]["tests"], 15);
    assert_eq!(doc["stream_upload"]["test_id"], "0000-1111");
    assert_eq!(fake.state.streams.lock().unwrap().len(), 2);
    // Unsigned: no owner, no stream; said once on stderr.
    let out = run(false, false);
    assert_eq!(fake.state.streams.lock().unwrap().len(), 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("upload with -i KEY to send them"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A server without the endpoint (upstream): nothing sent, nothing said.
    *fake.state.offers_stream.lock().unwrap() = false;
    let out = run(true, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("Test results uploaded!"), "{stdout}");
    assert!(!stdout.contains("Full results"), "{stdout}");
    assert!(!stderr.contains("stream"), "{stderr}");
    assert_eq!(fake.state.streams.lock().unwrap().len(), 2);
}

/// Issue 13 item 7: `report --server URL RUN_ID` prints the server's report
/// of a run (each required test that did not pass, with its outcome, skip
/// reason and traceback's last line) and `compare A B` what changed; both
/// as JSON with `--json`, as a token's user with `--token`.
#[test]
fn server_reports_and_comparisons() {
    let (fake, _rt) = common::start_background();
    let api = fake.url("/api");
    let out = bin()
        .args(["report", "--server", &api, "r1", "--guideline", "2020.06"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for line in [
        "Run r1 against guideline 2020.06.json (OpenStack Powered Platform, target platform)",
        "NOT COMPLIANT",
        "Required: 2 capabilities, 1/3 tests passed (33.3%)",
        "Full results: 15 tests in the uploaded stream",
        "Failing required capabilities (2): compute-servers-create, images-list",
        "compute-servers-create tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details: failed: AssertionError: 404 != 200",
        "images-list tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params: skipped: Glance v2 is disabled",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(!text.contains("test_list_servers"), "{text}");
    // --check: not compliant is exit 1; --json is the server's document.
    let doc = json_of(
        bin().args(["report", "--server", &api, "r1", "--json", "--check"]),
        1,
    );
    assert_eq!(
        doc["statuses"][0]["capabilities"][1]["tests"][0]["skip_reason"],
        "Glance v2 is disabled"
    );
    // A private run: the token goes along.
    let out = bin()
        .args(["report", "--server", &api, "private"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Sign in to see this run"));
    bin()
        .args(["report", "--server", &api, "private", "--token", "rst_abc"])
        .assert()
        .success();
    {
        let requests = fake.state.report_requests.lock().unwrap();
        assert_eq!(requests[0].0, "/api/v1/results/r1/compliance");
        assert_eq!(requests[0].1, "guideline=2020.06");
        assert_eq!(
            requests.last().unwrap().2.as_deref(),
            Some("Bearer rst_abc")
        );
    }
    // Local results still need a guideline; junit is local only.
    let out = bin().args(["report", "some.json"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--guideline FILE|VERSION is needed"));
    let out = bin()
        .args(["report", "--server", &api, "r1", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));

    // compare A B.
    let out = bin()
        .args(["compare", "r1", "r2", "--target", "platform", "--url", &api])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "Guideline 2020.06.json (OpenStack Powered Platform, target platform)",
        "A r1: not compliant, 1/3 required tests passed (33.3%)",
        "B r2: compliant, 3/3 required tests passed (100.0%) (passed tests only)",
        "Capabilities that changed: 1\n  required images-list: fails -> passes",
        "Tests that changed: 1\n  images-list tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params: skipped -> passed",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let doc = json_of(
        bin().args(["compare", "r1", "r2", "--json", "--url", &api]),
        0,
    );
    assert_eq!(doc["after"]["compliant"], true);
    let requests = fake.state.report_requests.lock().unwrap();
    let compare = requests.iter().find(|r| r.0.contains("/compare/")).unwrap();
    assert_eq!(compare.0, "/api/v1/results/r1/compare/r2");
    assert_eq!(compare.1, "target=platform");
}
