//! Every command run with a closed standard output (a reader that went
//! away, as `| head -1` does) exits quietly or with one `error:` line, and
//! never panics. Each case spawns the real binary with the write end of a
//! pipe whose read end is already closed.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use refstack_subunit::{Packet, PacketStatus};

const PEM: &str = include_str!("fixtures/rsa_key_pkcs1.pem");

/// Runs the binary with `args` and a standard output nobody reads.
fn run_closed(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_refstack-tester"))
        .args(args)
        .env_remove("REFSTACK_URL")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// No panic, and stderr is empty or one `error:` line... never a write
/// error about standard output, which the reader closed on purpose.
fn assert_quiet(args: &[&str], out: &Output, code: i32) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(!err.contains("error:"), "{args:?}: {err}");
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
}

fn stream(dir: &Path) -> String {
    let mut s = Vec::new();
    for i in 0..2000 {
        let id = format!(
            "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_{i}[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]"
        );
        Packet::new(PacketStatus::InProgress)
            .with_test_id(&id)
            .encode(&mut s)
            .unwrap();
        Packet::new(PacketStatus::Success)
            .with_test_id(&id)
            .encode(&mut s)
            .unwrap();
    }
    let path = dir.join("s.v2");
    std::fs::write(&path, s).unwrap();
    path.display().to_string()
}

#[test]
fn subunit_commands_with_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let s = stream(dir.path());
    for sub in [
        vec!["stats"],
        vec!["ls"],
        vec!["to-json"],
        vec!["to-junit"],
        vec!["convert", "--to", "v1"],
        vec!["convert", "--to", "v2"],
        vec!["filter", "--status", "success"],
    ] {
        let mut args = vec!["subunit"];
        args.extend(sub);
        args.push(&s);
        let out = run_closed(&args);
        assert_quiet(&args, &out, 0);
    }
}

#[test]
fn report_sign_and_completions_with_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let s = stream(dir.path());
    let guideline = dir.path().join("2099.01.json");
    std::fs::write(&guideline, common::GUIDELINE).unwrap();
    let g = guideline.display().to_string();
    for format in ["text", "json", "junit", "html"] {
        let args = ["report", &s, "--guideline", &g, "--format", format];
        let out = run_closed(&args);
        assert_quiet(&args, &out, 0);
    }
    // `--check` still says "not compliant" (one of two tests missing).
    let json = dir.path().join("r.json");
    std::fs::write(
        &json,
        r#"{"cpid": "c", "duration_seconds": 0, "results": [{"name": "tempest.other"}]}"#,
    )
    .unwrap();
    let j = json.display().to_string();
    let args = ["report", &j, "--guideline", &g, "--check"];
    assert_quiet(&args, &run_closed(&args), 1);

    let key = dir.path().join("key.pem");
    std::fs::write(&key, PEM).unwrap();
    let k = key.display().to_string();
    let args = ["sign", &k];
    assert_quiet(&args, &run_closed(&args), 0);
    for shell in ["bash", "zsh", "fish"] {
        let args = ["completions", shell];
        assert_quiet(&args, &run_closed(&args), 0);
    }
    let args = ["man"];
    assert_quiet(&args, &run_closed(&args), 0);
}

#[test]
fn upload_subunit_and_list_with_closed_stdout() {
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    let s = stream(dir.path());
    let url = fake.url("/api");
    let args = [
        "upload-subunit",
        "-y",
        "--keystone-endpoint",
        "http://0.0.0.0:5000/v2.0",
        "--url",
        &url,
        &s,
    ];
    // The upload is stored and the command succeeds: a wrapper that
    // retries on failure must not upload it twice.
    assert_quiet(&args, &run_closed(&args), 0);
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 1);

    *fake.state.pages.lock().unwrap() = 3;
    for json in [false, true] {
        let mut args = vec!["list", "--url", &url];
        if json {
            args.push("--json");
        }
        assert_quiet(&args, &run_closed(&args), 0);
    }
}

#[test]
fn other_write_errors_are_one_error_line() {
    // A full disk (`/dev/full`) is an error, not a closed reader.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = stream(dir.path());
    for args in [
        vec!["subunit", "stats", s.as_str()],
        vec!["subunit", "to-json", s.as_str()],
        vec!["completions", "bash"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_refstack-tester"))
            .args(&args)
            .stdout(full.try_clone().unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.trim_end().lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}
