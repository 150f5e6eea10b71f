//! End-to-end: the `refstack-tester` binary against the fake `tempest`
//! (our encoder), a loopback Keystone and a loopback RefStack API that
//! verifies upload signatures.

#![cfg(feature = "fake-tempest")]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use refstack_core::signature::PublicKey;

const PEM: &str = include_str!("fixtures/rsa_key_pkcs1.pem");
const OPENSSH: &str = include_str!("fixtures/rsa_key_openssh");
const PUBLIC_LINE_PREFIX: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCVt4jQ4z1QUWu3SQE4J54TGSm1";

fn bin() -> Command {
    common::tester()
}

fn fake_tempest() -> PathBuf {
    common::fake_tempest()
}

/// A tempest.conf + accounts.yaml for the fake Keystone.
fn cloud(dir: &Path, keystone: &str, password: &str) -> PathBuf {
    let accounts = dir.join("accounts.yaml");
    std::fs::write(
        &accounts,
        format!("- username: demo\n  project_name: demo\n  password: {password}\n"),
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

fn verify_with_core() -> common::Verifier {
    Box::new(|r| {
        let (Some(sig), Some(key)) = (&r.signature, &r.public_key) else {
            return Ok(());
        };
        let key = PublicKey::from_openssh(key).map_err(|e| e.to_string())?;
        key.verify_hex(&r.body, sig)
            .map_err(|e| format!("signature: {e}"))
    })
}

#[test]
fn test_run_list_upload_signed() {
    let (fake, _rt) = common::start_background();
    *fake.state.verify.lock().unwrap() = Some(verify_with_core());
    let dir = tempfile::tempdir().unwrap();
    let conf = cloud(dir.path(), &fake.url("/identity/v3"), "secret");
    let key = dir.path().join("key");
    std::fs::write(&key, OPENSSH).unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]\n\
         tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details[id-5de47127-9977-400a-936f-abcfbec1218f]\n\
         tempest.api.compute.servers.test_list_server_filters.ListServerFiltersTestJSON.test_list_servers_filter_by_active_status[id-2a5e5d59-1a0e-4b8e-a0f0-1d1d6f3a4b55]\n\
         tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params[id-1e341d7a-90a9-494c-b143-2cdf2aeb6aee]\n\
         tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba](alpha)\n\
         fake_tempest_plugin.tests.test_fake.FakeTest.test_pass_no_id\n\
         designate_tempest_plugin.tests.api.v2.test_zones.ZonesTest.test_create_zone[id-9d2e20fc-e56f-4a62-9c61-9752a9ec615c]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let log = dir.path().join("argv.log");
    let assert = bin()
        .current_dir(dir.path())
        .env("FAKE_TEMPEST_LOG", &log)
        .args(["test", "-c"])
        .arg(&conf)
        .arg("--tempest-bin")
        .arg(fake_tempest())
        .arg("--output-dir")
        .arg(&out)
        .args(["--test-list"])
        .arg(&list)
        .args(["-u", "-r", "mytag", "--url"])
        .arg(fake.url("/api/"))
        .arg("-i")
        .arg(&key)
        .assert();
    // One test of the list fails: exit 1 from the outcomes (the fake, like
    // `tempest run --subunit`, exits 0).
    let assert = assert.code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stdout.contains("Test results uploaded!\nURL: http://ui/#/results/0000-1111"),
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains("designate-tempest-plugin"), "{stderr}");
    // The missing tests: a count, the first few, and the file with all.
    assert!(
        stderr.contains("1 test(s) of the list are not in this Tempest: designate_tempest_plugin"),
        "{stderr}"
    );
    assert!(stderr.contains("all of them are listed in "), "{stderr}");
    assert!(stderr.contains("matched by idempotent id"), "{stderr}");
    // Plain progress lines (stderr is not a terminal): done/total and counts.
    assert!(stderr.contains("[6/6] ok fake_tempest_plugin.tests.test_fake.FakeTest.test_pass_no_id (passed 4 failed 1 skipped 1"), "{stderr}");
    assert!(
        stderr.contains(
            "6 tests ran: 4 passed, 1 failed, 1 skipped, 0 expected failures, 0 unexpected successes"
        ),
        "{stderr}"
    );
    // The listed tests, every category named (the plugin test, which this
    // Tempest does not have, is not run).
    assert!(
        stderr.contains("7 listed tests: 4 passed, 1 failed, 1 skipped, 0 expected failures, 0 unexpected successes, 0 incomplete, 1 not run"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let json = std::fs::read_to_string(out.join("mytag-0.json")).unwrap();
    assert!(!json.ends_with('\n'));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["cpid"], "KEYSTONE-IDENTITY-SERVICE-ID");
    let names: Vec<String> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}|{}",
                r["name"].as_str().unwrap(),
                r["uuid"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor|1f12046b-753d-40d2-abb6-d8eb8b30cb2f",
            "tempest.api.compute.servers.test_list_server_filters.ListServerFiltersTestJSON.test_list_servers_filter_by_server_status|2a5e5d59-1a0e-4b8e-a0f0-1d1d6f3a4b55",
            "tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops(alpha)|7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba",
            "fake_tempest_plugin.tests.test_fake.FakeTest.test_pass_no_id|-",
        ]
    );
    // The raw stream is kept and parses back to the 6 tests that ran.
    let raw = std::fs::read(out.join("mytag-0.subunit")).unwrap();
    assert_eq!(
        refstack_tester::results::records_from_bytes(&raw, false).len(),
        6
    );
    // The run record names the files next to it, with their digests.
    let run = refstack_tester::record::RunDir::open(&out.join("mytag-0.run.json")).unwrap();
    run.verify().unwrap();
    assert_eq!(run.record.results.file.as_deref(), Some("mytag-0.json"));
    assert_eq!(run.record.tempest_conf.file, "mytag-0.tempest.conf");
    assert_eq!(run.record.cloud.cpid, "KEYSTONE-IDENTITY-SERVICE-ID");
    assert_eq!(
        run.record
            .test_list
            .as_ref()
            .map(|l| (l.count, l.matched, l.not_in_tempest)),
        Some((7, 6, 1))
    );
    assert!(
        !std::fs::read_to_string(out.join("mytag-0.tempest.conf"))
            .unwrap()
            .contains("secret")
    );
    // Include list: anchored exact ids; argv and env as upstream.
    let include = std::fs::read_to_string(out.join("mytag-0.include-list")).unwrap();
    assert!(
        include
            .contains("^fake_tempest_plugin\\.tests\\.test_fake\\.FakeTest\\.test_pass_no_id$\n"),
        "{include}"
    );
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.contains("[\"run\", \"--subunit\", \"--serial\", \"--include-list\""),
        "{argv}"
    );

    // The upload: exactly the signed bytes, verified by the fake server.
    let uploads = fake.state.uploads.lock().unwrap().clone();
    assert_eq!(uploads.len(), 1);
    let up = &uploads[0];
    assert!(
        up.public_key
            .as_deref()
            .unwrap()
            .starts_with(PUBLIC_LINE_PREFIX)
    );
    assert_eq!(up.signature.as_deref().map(str::len), Some(1024));
    let body: serde_json::Value = serde_json::from_slice(&up.body).unwrap();
    assert_eq!(body["results"], v["results"]);
    assert_eq!(body["cpid"], v["cpid"]);
}

#[test]
fn test_old_tempest_regex_and_no_results() {
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    // Wrong password: Keystone says 401, CPID falls back to md5("127.0.0.1").
    let conf = cloud(dir.path(), &fake.url("/identity/v3"), "wrong");
    let log = dir.path().join("argv.log");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59]\n").unwrap();
    bin()
        .current_dir(dir.path())
        .env("FAKE_TEMPEST_LOG", &log)
        .env("FAKE_TEMPEST_OLD", "1")
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-p", "-c"])
        .arg(&conf)
        .arg("--test-list")
        .arg(&list)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("Problems retrieving CPID"));
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.contains("\"run\", \"--subunit\", \"--whitelist_file\""),
        "{argv}"
    );
    let json = std::fs::read_to_string(dir.path().join(".stestr/0.json")).unwrap();
    assert!(
        json.contains("\"cpid\": \"f528764d624db129b32c21fbca0cb8d6\""),
        "{json}"
    );

    // `-- word`: a regex; no match -> no result: a tool failure (2), no
    // JSON, a warning with Tempest's message.
    bin()
        .current_dir(dir.path())
        .env("FAKE_TEMPEST_LOG", &log)
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-c"])
        .arg(&conf)
        .args(["--", "nothing.matches"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did not produce any test result"))
        .stderr(predicate::str::contains("doesn't match"));
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.contains("\"--serial\", \"--regex\", \"nothing.matches\""),
        "{argv}"
    );
    assert!(!dir.path().join(".stestr/1.json").exists());

    // No Tempest workspace: say how to make one (issue 16).
    bin()
        .current_dir(dir.path())
        .env("FAKE_TEMPEST_NO_WORKSPACE", "1")
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-c"])
        .arg(&conf)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not a Tempest workspace: create one with `refstack-tester init DIR",
        ));
}

#[test]
fn upload_commands_and_failures() {
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("0.json");
    std::fs::write(&file, r#"{"cpid": "test-id", "duration_seconds": 0, "results": [{"name": "tempest.passed.test"}]}"#).unwrap();
    let key = dir.path().join("rsa_key");
    std::fs::write(&key, PEM).unwrap();
    bin()
        .args(["upload", "-y", "--url"])
        .arg(fake.url("/api"))
        .arg("-i")
        .arg(&key)
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("Test results uploaded!"));
    {
        let up = fake.state.uploads.lock().unwrap()[0].clone();
        let pk = PublicKey::from_openssh(up.public_key.as_deref().unwrap()).unwrap();
        pk.verify_hex(&up.body, up.signature.as_deref().unwrap())
            .unwrap();
    }
    // Declining the prompt uploads nothing.
    bin()
        .args(["upload", "--url"])
        .arg(fake.url("/api"))
        .arg(&file)
        .write_stdin("n\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Ok? (yes/y)"));
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 1);
    // No answer at all (closed stdin): an error, not a silent skip.
    bin()
        .args(["upload", "--url"])
        .arg(fake.url("/api"))
        .arg(&file)
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("pass -y"));

    // A failed upload: non-zero with the server's message.
    *fake.state.upload_status.lock().unwrap() = Some(400);
    bin()
        .args(["upload", "-y", "--url"])
        .arg(fake.url("/api"))
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "Uploaded results must contain at least one passing test.",
        ));
    *fake.state.upload_status.lock().unwrap() = None;

    // upload-subunit: v2 and v1, cpid from the endpoint host.
    let mut v2 = Vec::new();
    for (id, st) in [
        (
            "tempest.passed.test",
            refstack_subunit::PacketStatus::Success,
        ),
        (
            "tempest.tagged_passed.test[gate,id-0146f675-ffbd-4208-b3a4-60eb628dbc5e]",
            refstack_subunit::PacketStatus::Success,
        ),
        ("tempest.failed.test", refstack_subunit::PacketStatus::Fail),
    ] {
        refstack_subunit::Packet::new(st)
            .with_test_id(id)
            .encode(&mut v2)
            .unwrap();
    }
    let v2_path = dir.path().join("s.v2");
    std::fs::write(&v2_path, &v2).unwrap();
    let v1_path = dir.path().join("s.v1");
    bin()
        .args(["subunit", "convert", "--to", "v1"])
        .arg(&v2_path)
        .assert()
        .success();
    let v1 = bin()
        .args(["subunit", "convert", "--to", "v1"])
        .arg(&v2_path)
        .output()
        .unwrap()
        .stdout;
    std::fs::write(&v1_path, &v1).unwrap();
    for path in [&v2_path, &v1_path] {
        bin()
            .args([
                "upload-subunit",
                "-y",
                "--keystone-endpoint",
                "http://0.0.0.0:5000/v2.0",
                "--url",
            ])
            .arg(fake.url("/api"))
            .arg(path)
            .assert()
            .success();
        let up = fake.state.uploads.lock().unwrap().last().unwrap().clone();
        let body: serde_json::Value = serde_json::from_slice(&up.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"cpid": "f1f17934834ae2613699701054ef9684", "duration_seconds": 0, "results": [
                {"name": "tempest.passed.test"},
                {"name": "tempest.tagged_passed.test", "uuid": "0146f675-ffbd-4208-b3a4-60eb628dbc5e"}]})
        );
    }
    // Bad endpoint, corrupt stream, missing file: one line, exit 1.
    for args in [
        vec![
            "upload-subunit".to_string(),
            "-y".into(),
            "--keystone-endpoint".into(),
            "some.url:5000/v2".into(),
            v2_path.display().to_string(),
        ],
        vec![
            "upload-subunit".into(),
            "-y".into(),
            "--keystone-endpoint".into(),
            "http://h/".into(),
            file.display().to_string(),
        ],
        vec![
            "upload".into(),
            "-y".into(),
            dir.path().join("missing.json").display().to_string(),
        ],
        vec!["upload".into(), "-y".into(), v2_path.display().to_string()],
        // A stream file needs the endpoint (only a run's record has a CPID).
        vec![
            "upload-subunit".into(),
            "-y".into(),
            v2_path.display().to_string(),
        ],
        // A directory without a run record.
        vec![
            "upload".into(),
            "-y".into(),
            dir.path().display().to_string(),
        ],
    ] {
        let out = bin().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.trim_end().lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn list_all_pages_and_errors() {
    let (fake, _rt) = common::start_background();
    *fake.state.pages.lock().unwrap() = 3;
    bin()
        .args(["list", "--url"])
        .arg(fake.url("/api"))
        .assert()
        .success()
        .stdout("2026-01-01 00:00:00 - http://ui/#/results/1\n2026-01-02 00:00:00 - http://ui/#/results/2\n2026-01-03 00:00:00 - http://ui/#/results/3\n");
    let out = bin()
        .args([
            "list",
            "--json",
            "--start-date",
            "2015-04-24 01:23:56",
            "--url",
        ])
        .arg(fake.url("/api"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[2]["meta"]["filters"], "start_date=2015-04-24 01:23:56");
    let port = common::dead_port();
    let out = bin()
        .args(["list", "--url", &format!("http://127.0.0.1:{port}/api")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("request to") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn sign_pem_and_openssh() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("pem", PEM), ("openssh", OPENSSH)] {
        let key = dir.path().join(name);
        std::fs::write(&key, text).unwrap();
        bin()
            .arg("sign")
            .arg(&key)
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!("Public key:\n{PUBLIC_LINE_PREFIX}")))
            .stdout(predicate::str::contains("\n\nSelf signature:\n413cb95482c65941949a9e49d6d319dca4c2cb05201335e92e4eb79c8db40776495b1f3be64f956c9b71f3bc2d4355599ab35f09ae09ec7889f2cddb9adbaf7221b03850c7ebc26c6358a8d840b78b6725b93d7bd218bb25daf944d11aec0bc0fba614db5e4d484a7d448e1f04e094f87c4f0344516e004a784e0f89afbb630cfd9279568038a3481579041709488239df62a92aa82eeeab48a72ca5860335fc31d034c356b40cb47a3ca4b3f459ee6dcaf4ad0e818e1d0ffeb356ee38d3c6570fd7738f55a383450abb46a41d2528d726cf9152588630ebc7e6a5333805f9fe87a2a03a93216a621b494a1232bf3a74b1da2951a1465517976a932a63f846f8e0777cd26d73cacad990e92b269d2a7f98f1acaa89fe8d14ee81b63268f79f873a1f32f5f9c90e7b20b343009973a06ace8ce06b56ccacba80b31dc6b6ff7b038e607011ced7e52664044cc1bd4c9ff88a079c6f8d3a403b858720070ed45a3df40da062105595e6a05351643b904707bcb11fde511c94cea1322ff1446a3e519f5e362f88ab6eb6f951a6a0f34465a469fa988c77c637df38dfee269a1e2f46c7c1a1a7378340c7afccd55c3a0c269255a137e7ac79ac911a31cbcdb3f3d12e115c57a76b43369ec403e8883d84b2fef02bbfb337852f3420d60f52a97b3601433ff5c44d18d6a7e8acbf7ed63b7de41103089a19338a822666fae2b12d2ab0\n\n"))
            .stderr(predicate::str::contains("Public key is generated from private one"));
    }
    // With a .pub file, its first two fields are used.
    let key = dir.path().join("pem");
    std::fs::write(
        dir.path().join("pem.pub"),
        "ssh-rsa AAAAfromfile comment here\n",
    )
    .unwrap();
    bin()
        .arg("sign")
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Public key:\nssh-rsa AAAAfromfile\n",
        ));
    // Garbage and missing keys: one clear line.
    std::fs::write(dir.path().join("bad"), "not a key").unwrap();
    for k in ["bad", "missing"] {
        bin()
            .arg("sign")
            .arg(dir.path().join(k))
            .assert()
            .code(1)
            .stderr(
                predicate::str::starts_with("error: ")
                    .and(predicate::str::contains("panicked").not()),
            );
    }
}

/// The fixture key protected by `pass`: OpenSSH (bcrypt-pbkdf, one round
/// to keep debug builds fast) and PKCS#8 (PBES2), made at test time.
fn encrypted_keys(pass: &str) -> [(&'static str, String); 2] {
    let kdf = ssh_key::Kdf::Bcrypt {
        salt: vec![9; 16],
        rounds: 1,
    };
    let openssh = ssh_key::PrivateKey::from_openssh(OPENSSH)
        .unwrap()
        .encrypt_with(ssh_key::Cipher::Aes256Ctr, kdf, 42, pass)
        .unwrap()
        .to_openssh(ssh_key::LineEnding::LF)
        .unwrap()
        .to_string();
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::EncodePrivateKey as _;
    let der = rsa::RsaPrivateKey::from_pkcs1_pem(PEM)
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    let info = rsa::pkcs8::PrivateKeyInfo::try_from(der.as_bytes()).unwrap();
    let params =
        rsa::pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(1000, &[1; 16], &[2; 16])
            .unwrap();
    let pkcs8 = info
        .encrypt_with_params(params, pass)
        .unwrap()
        .to_pem("ENCRYPTED PRIVATE KEY", rsa::pkcs8::LineEnding::LF)
        .unwrap()
        .to_string();
    [("openssh", openssh), ("pkcs8", pkcs8)]
}

#[test]
fn sign_with_passphrase_protected_keys() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in encrypted_keys("s3cret pass") {
        let key = dir.path().join(name);
        std::fs::write(&key, text).unwrap();
        bin()
            .arg("sign")
            .arg(&key)
            .env("REFSTACK_KEY_PASSPHRASE", "s3cret pass")
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!(
                "Public key:\n{PUBLIC_LINE_PREFIX}"
            )))
            .stdout(predicate::str::contains(
                "\n\nSelf signature:\n413cb95482c65941",
            ));
        // Wrong passphrase: one clear line.
        bin()
            .arg("sign")
            .arg(&key)
            .env("REFSTACK_KEY_PASSPHRASE", "s3cret")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("wrong passphrase"))
            .stderr(predicate::function(|e: &str| {
                e.trim_end().lines().count() == 1
            }));
        // None, and no terminal to ask on: says how to give it.
        bin()
            .arg("sign")
            .arg(&key)
            .env_remove("REFSTACK_KEY_PASSPHRASE")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("protected by a passphrase"))
            .stderr(predicate::str::contains("REFSTACK_KEY_PASSPHRASE"));
    }
    // A key without passphrase ignores the variable.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, PEM).unwrap();
    bin()
        .arg("sign")
        .arg(&plain)
        .env("REFSTACK_KEY_PASSPHRASE", "unused")
        .assert()
        .success();
}

#[test]
fn bad_inputs_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad_conf = dir.path().join("bad.conf");
    std::fs::write(&bad_conf, "[identity]\nthis line is wrong\n").unwrap();
    let no_creds = dir.path().join("nocreds.conf");
    std::fs::write(&no_creds, "[identity]\nuri_v3 = http://127.0.0.1:1/v3\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "test".into(),
                "-c".into(),
                dir.path().join("missing.conf").display().to_string(),
            ],
            "Conf file not valid",
        ),
        (
            vec!["test".into(), "-c".into(), bad_conf.display().to_string()],
            "line 2",
        ),
        (
            vec!["test".into(), "-c".into(), no_creds.display().to_string()],
            "cannot be found",
        ),
        (
            vec![
                "test".into(),
                "-c".into(),
                no_creds.display().to_string(),
                "--tempest-dir".into(),
                "/nonexistent".into(),
            ],
            "not a directory",
        ),
        (
            vec![
                "subunit".into(),
                "stats".into(),
                bad_conf.display().to_string(),
            ],
            "no subunit",
        ),
        (
            vec![
                "config".into(),
                "--discover-bin".into(),
                "/nonexistent/discover-tempest-config".into(),
                "--out".into(),
                dir.path().join("t.conf").display().to_string(),
            ],
            "python-tempestconf",
        ),
    ];
    for (args, needle) in cases {
        let out = bin()
            .current_dir(dir.path())
            .env("REFSTACK_TEMPEST_BIN", fake_tempest())
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // `test`'s own failures are 2 (1 is for failed tests).
        let code = if args[0] == "test" { 2 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && err.trim_end().lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn subunit_tools_completions_and_man() {
    let dir = tempfile::tempdir().unwrap();
    let conf = cloud(dir.path(), "http://127.0.0.1:1/v3", "x");
    let stream = std::process::Command::new(fake_tempest())
        .env("TEMPEST_CONFIG_DIR", dir.path())
        .env("TEMPEST_CONFIG", conf.file_name().unwrap())
        .args(["run", "--subunit"])
        .output()
        .unwrap()
        .stdout;
    let path = dir.path().join("run.v2");
    std::fs::write(&path, &stream).unwrap();
    bin().args(["subunit", "stats"]).arg(&path).assert().success()
        .stdout(predicate::str::contains("tests       15\npassed      9\nfailed      3\nskipped     1\nxfail       1\nuxsuccess   1\n"));
    bin().args(["subunit", "ls", "--status", "fail"]).arg(&path).assert().success()
        .stdout("fail tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details[id-5de47127-9977-400a-936f-abcfbec1218f,smoke]\n\
                 fail setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTestJSON)\n\
                 fail tearDownClass (tempest.api.compute.keypairs.test_keypairs.KeyPairsV2TestJSON)\n");
    let json = bin()
        .args(["subunit", "to-json", "--cpid", "c"])
        .arg(&path)
        .output()
        .unwrap()
        .stdout;
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 9);
    bin()
        .args(["subunit", "to-junit"])
        .arg(&path)
        .assert()
        .success()
        .stdout(
            // fail, uxsuccess, and the two class-level failures.
            predicate::str::contains("failures=\"4\"")
                .and(predicate::str::contains("AssertionError: 404 != 200")),
        );
    let filtered = bin()
        .args(["subunit", "filter", "--status", "skip"])
        .arg(&path)
        .output()
        .unwrap()
        .stdout;
    let recs = refstack_tester::results::records_from_bytes(&filtered, false);
    assert_eq!(recs.len(), 1);
    // --match is a regular expression (issue 16), searched in the id.
    let all = refstack_tester::results::records_from_bytes(&stream, false);
    let expect = |re: &str| {
        let re = regex::Regex::new(re).unwrap();
        all.iter().filter(|r| re.is_match(&r.id)).count()
    };
    for re in [r"^tempest\.api\.image", r"test_\w+_server", "compute|image"] {
        let filtered = bin()
            .args(["subunit", "filter", "--match", re])
            .arg(&path)
            .output()
            .unwrap()
            .stdout;
        let n = refstack_tester::results::records_from_bytes(&filtered, false).len();
        assert_eq!(n, expect(re), "{re}");
        assert!(n > 0 && n < all.len(), "{re}: {n} of {}", all.len());
    }
    bin()
        .args(["subunit", "filter", "--match", "(unclosed"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a regular expression"));
    // stdin input, v1 round trip.
    let v1 = bin()
        .args(["subunit", "convert", "--to", "v1", "-"])
        .write_stdin(stream.clone())
        .output()
        .unwrap()
        .stdout;
    assert!(String::from_utf8_lossy(&v1).contains("\nskip: tempest.api.image"));
    let back = bin()
        .args(["subunit", "convert", "--to", "v2"])
        .write_stdin(v1)
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        refstack_tester::results::records_from_bytes(&back, false).len(),
        15
    );

    bin()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("upload-subunit"));
    bin()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH refstack-tester"));
    let mandir = dir.path().join("man");
    bin()
        .args(["man", "--out-dir"])
        .arg(&mandir)
        .assert()
        .success();
    assert!(mandir.join("refstack-tester-test.1").is_file());
}

#[test]
fn guideline_versions_from_a_server() {
    let (fake, _rt) = common::start_background();
    let api = fake.url("/api");
    // testlist from the server: the body verbatim, query as the endpoint expects.
    bin()
        .args([
            "testlist",
            "--guideline",
            "2099.01",
            "--type",
            "required",
            "--flag",
            "false",
            "--url",
            &api,
        ])
        .assert()
        .success()
        .stdout(predicate::str::ends_with(
            "# target=platform&type=required&alias=true&flag=false",
        ));
    // The server's 200 error text is an error here.
    bin()
        .args(["testlist", "--guideline", "1999.01", "--url", &api])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "Error getting JSON content for version: 1999.01",
        ));
    // report with a guideline fetched by version.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    std::fs::write(&json, r#"{"cpid": "c", "duration_seconds": 1, "results": [{"name": "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors"}]}"#).unwrap();
    bin()
        .arg("report")
        .arg(&json)
        .args(["--guideline", "2099.01", "--url", &api])
        .assert()
        .success()
        .stdout(predicate::str::contains("Result: NOT COMPLIANT").and(predicate::str::contains("not passed: tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor")));
    bin()
        .arg("report")
        .arg(&json)
        .args(["--guideline", "2000.01", "--url", &api])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unable to get the JSON content"));
    // A test list from a URL, normalised against the fake Tempest.
    let conf = cloud(dir.path(), &fake.url("/identity/v3"), "secret");
    bin()
        .current_dir(dir.path())
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-s", "-c"])
        .arg(&conf)
        .args([
            "--test-list",
            &format!("{api}/v1/guidelines/2099.01/tests?target=platform"),
        ])
        .assert()
        .code(0)
        // The list came from a server: the run is scored against its guideline.
        .stdout(
            predicate::str::contains("Guideline 2099.01")
                .and(predicate::str::contains("Result: COMPLIANT")),
        );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".stestr/0.json")).unwrap())
            .unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    // The HTTP status of a list URL is checked.
    bin()
        .current_dir(dir.path())
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-c"])
        .arg(&conf)
        .args(["--test-list", &format!("{api}/v1/guidelines/1999.01/tests")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "Error getting JSON content for version: 1999.01",
        ));
}

/// Issue 16: the README's first commands work with no server and no
/// network (the published guidelines are built in), and a command that
/// needs a server says how to name one.
#[test]
fn first_run_offline_and_no_default_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["testlist", "--guideline", "2020.06", "--target", "platform"])
        .args(["--type", "required", "--alias", "true", "--flag", "false"])
        .assert()
        .success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(
        list.lines().count(),
        377,
        "COUNTS.md: 2020.06 platform required"
    );
    let json = dir.path().join("r.json");
    std::fs::write(&json, r#"{"cpid": "c", "duration_seconds": 1, "results": [{"name": "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors"}]}"#).unwrap();
    bin()
        .arg("report")
        .arg(&json)
        .args(["--guideline", "2020.06"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Guideline 2020.06")
                .and(predicate::str::contains("Result: NOT COMPLIANT")),
        );
    for args in [&["upload", "-y", json.to_str().unwrap()][..], &["list"][..]] {
        bin().args(args).assert().code(1).stderr(
            predicate::str::contains("no RefStack server configured: pass --url URL")
                .and(predicate::str::contains("set REFSTACK_URL"))
                .and(predicate::str::contains(
                    "/nonexistent/refstack-tester/config.toml",
                )),
        );
    }
    // `test -u` needs a server: said before Tempest starts.
    bin()
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-c", "nowhere.conf", "-u"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no RefStack server configured"));
    bin()
        .args(["testlist", "--guideline", "2099.01"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("guideline 2099.01 is not built in (built in: 2015.05")
                .and(predicate::str::contains("--url")),
        );
    // A configuration file names the server.
    let (fake, _rt) = common::start_background();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("url = \"{}\"\n", fake.url("/api"))).unwrap();
    bin()
        .env("REFSTACK_TESTER_CONFIG", &config)
        .args(["testlist", "--guideline", "2099.01"])
        .assert()
        .success()
        .stdout(predicate::str::contains("# target=platform"));
}

/// A run of `test` against the fake Tempest with `list` (lines) and extra
/// arguments; its exit code, stdout, stderr and results JSON.
fn run_listed(
    fake: &common::Fake,
    dir: &Path,
    list: &[&str],
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String, Option<serde_json::Value>) {
    let conf = cloud(dir, &fake.url("/identity/v3"), "secret");
    let list_path = dir.join("list.txt");
    std::fs::write(&list_path, list.join("\n") + "\n").unwrap();
    let out_dir = dir.join(format!("out-{}", extra.len() + env.len() + list.len()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut cmd = bin();
    cmd.current_dir(dir)
        .env("REFSTACK_TEMPEST_BIN", fake_tempest())
        .args(["test", "-c"])
        .arg(&conf)
        .arg("--output-dir")
        .arg(&out_dir)
        .arg("--test-list")
        .arg(&list_path)
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let json = std::fs::read_to_string(out_dir.join("0.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    )
}

const FLAVORS: &str = "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59]";
const FLAVOR_GET: &str = "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]";
const VOLUME: &str = "tempest.api.volume.test_volumes_get.VolumesGetTestJSON.test_volume_create_get_update_delete[id-27fb0e9f-fb64-41dd-8bdb-1ffa762f0d51]";
const VOLUME_IMAGE: &str = "tempest.api.volume.test_volumes_get.VolumesGetTestJSON.test_volume_create_get_update_delete_from_image[id-54a01030-c7fc-447c-86ee-c1182beae638]";
const KEYPAIR: &str = "tempest.api.compute.keypairs.test_keypairs.KeyPairsV2TestJSON.test_keypair_create_delete[id-6c1d3123-4519-4742-9eda-5ff7f6e8f3d1]";
const XFAIL: &str = "tempest.api.network.test_networks.NetworksTest.test_list_networks[id-f7ffdeda-e200-4a7a-bcbe-05716e86bf43]";

#[test]
fn exit_status_comes_from_the_outcomes() {
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Every listed test passed: 0 (the fake exits 0 too).
    let (code, _, err, json) = run_listed(&fake, d, &[FLAVORS, FLAVOR_GET], &[], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("2 listed tests: 2 passed, 0 failed"), "{err}");
    assert_eq!(json.unwrap()["results"].as_array().unwrap().len(), 2);

    // A failed setUpClass: Tempest exits 0 and never starts the class's
    // tests; they count as failed with the traceback, not as "not run".
    let (code, _, err, json) = run_listed(&fake, d, &[FLAVORS, VOLUME, VOLUME_IMAGE], &[], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("3 listed tests: 1 passed, 2 failed (2 by a failed setUpClass/tearDownClass)")
            && err.contains("0 not run"),
        "{err}"
    );
    assert_eq!(json.unwrap()["results"].as_array().unwrap().len(), 1);
    // With the class-level traceback.
    assert!(
        err.contains("setUpClass (tempest.api.volume.test_volumes_get.VolumesGetTestJSON) failed: 2 listed test(s)")
            && err.contains("ServerFault: Got server fault"),
        "{err}"
    );
    // The report says so too.
    let guideline = d.join("g.json");
    std::fs::write(&guideline, common::GUIDELINE).unwrap();
    let (code, out, err, _) = run_listed(
        &fake,
        d,
        &[FLAVORS, VOLUME],
        &["--guideline", guideline.to_str().unwrap()],
        &[],
    );
    // With --guideline the rule is compliance: 2099.01 needs both flavor
    // tests, only one ran.
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(out.contains("NOT COMPLIANT"), "{out}");

    // A failed tearDownClass fails the class's passed tests.
    let (code, _, err, json) = run_listed(&fake, d, &[FLAVORS, KEYPAIR], &[], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("2 listed tests: 1 passed, 1 failed (1 by a failed setUpClass/tearDownClass)"),
        "{err}"
    );
    assert_eq!(json.unwrap()["results"].as_array().unwrap().len(), 1);

    // An expected failure is not a pass, in the summary and the exit code.
    let (code, _, err, _) = run_listed(&fake, d, &[FLAVORS, XFAIL], &[], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("2 listed tests: 1 passed, 0 failed, 0 skipped, 1 expected failures"),
        "{err}"
    );

    // With --guideline: compliance decides, whatever else the list holds.
    let (code, out, err, _) = run_listed(
        &fake,
        d,
        &[FLAVORS, FLAVOR_GET, XFAIL],
        &["--guideline", guideline.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("Result: COMPLIANT"), "{out}");
    // A guideline that cannot be loaded with --guideline: a tool failure.
    let (code, _, err, _) = run_listed(
        &fake,
        d,
        &[FLAVORS],
        &["--guideline", d.join("missing.json").to_str().unwrap()],
        &[],
    );
    assert_eq!(code, Some(2), "{err}");

    // Tempest exits non-zero although every outcome is fine: 2.
    let (code, _, err, _) = run_listed(&fake, d, &[FLAVORS], &[], &[("FAKE_TEMPEST_EXIT", "3")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tempest exited with code 3"), "{err}");
    // ...and with failed tests, the failure is what counts: 1.
    let (code, _, err, _) = run_listed(&fake, d, &[VOLUME], &[], &[("FAKE_TEMPEST_EXIT", "1")]);
    assert_eq!(code, Some(1), "{err}");

    // --help says which rule applies.
    let help = bin().args(["test", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("with --guideline: the cloud complies")
            && help.contains("2  the tool or Tempest failed"),
        "{help}"
    );
}
