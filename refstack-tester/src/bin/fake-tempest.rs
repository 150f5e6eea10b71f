//! A fake `tempest` for the end-to-end tests of refstack-tester (built only
//! with the `fake-tempest` feature; never installed by `cargo install`).
//!
//! It knows a fixed catalog of realistic test ids (idempotent ids, tags,
//! scenarios, a plugin test without attributes) and honours:
//! - `tempest run --list-tests` / `-l`: print the ids;
//! - `tempest run --help`: mentions `--include-list`, or only
//!   `--whitelist_file` when `FAKE_TEMPEST_OLD=1`;
//! - `tempest list-plugins`: a prettytable with one plugin (`fake_tests`);
//! - `tempest init [DIR]`: a workspace (`.stestr.conf`, `etc/`, `logs/`);
//! - `tempest run [--subunit] [--serial|--parallel] [--include-list F |
//!   --whitelist_file F] [--regex R] [--concurrency N]`: emits a subunit v2
//!   stream (inprogress, attachments, final status with worker tags) with
//!   our encoder, or one text line per test without `--subunit`. Like real
//!   `tempest run --subunit`, it exits 0 even when tests failed (1 without
//!   `--subunit`, as plain `tempest run`), 2 on an unknown argument;
//!   `FAKE_TEMPEST_EXIT=N` makes it exit N after the run whatever happened.
//!   Two classes fail at class level, as unittest reports it: the
//!   `setUpClass` of `VolumesGetTestJSON` fails (its tests never start; one
//!   `setUpClass (tempest.api.volume.….VolumesGetTestJSON)` failure with a
//!   traceback instead), and the `tearDownClass` of `KeyPairsV2TestJSON`
//!   fails after its test passed.
//!
//! `tempest --version` prints `tempest 40.0.0`. For the run record's
//! tests, `FAKE_TEMPEST_LEAK=TEXT` puts TEXT into the failing test's
//! traceback (a secret leaking through a log), and `FAKE_TEMPEST_LOG_MIB=N`
//! gives every test N log attachments of 1 MiB (large streams).
//!
//! It checks `TEMPEST_CONFIG_DIR`/`TEMPEST_CONFIG` name an existing file and
//! appends its argv and cwd to `$FAKE_TEMPEST_LOG` when set. With
//! `FAKE_TEMPEST_NO_WORKSPACE=1`, `run` fails as Tempest does outside a
//! workspace (stestr's "No .stestr.conf file was found").

use std::io::Write;
use std::process::ExitCode;

use refstack_subunit::v2::{Packet, PacketStatus, Timestamp};

/// (id, outcome) of every test the fake knows.
const CATALOG: &[(&str, &str)] = &[
    (
        "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f,smoke]",
        "success",
    ),
    (
        "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors[id-e36c0eaa-dff5-4082-ad1f-3f9a80aa3f59,smoke]",
        "success",
    ),
    (
        "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers[id-9a438d88-10c6-4bcd-8b5b-5b6e25e1346f,smoke]",
        "success",
    ),
    (
        "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details[id-5de47127-9977-400a-936f-abcfbec1218f,smoke]",
        "fail",
    ),
    (
        "tempest.api.compute.servers.test_list_server_filters.ListServerFiltersTestJSON.test_list_servers_filter_by_server_status[id-2a5e5d59-1a0e-4b8e-a0f0-1d1d6f3a4b55]",
        "success",
    ),
    (
        "tempest.api.identity.v3.test_api_discovery.TestApiDiscovery.test_api_media_types[id-657c1970-4722-4189-8831-7325f3bc4265,smoke]",
        "success",
    ),
    (
        "tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params[id-1e341d7a-90a9-494c-b143-2cdf2aeb6aee]",
        "skip",
    ),
    (
        "tempest.api.network.test_networks.NetworksTest.test_list_networks[id-f7ffdeda-e200-4a7a-bcbe-05716e86bf43,smoke]",
        "xfail",
    ),
    (
        "tempest.api.object_storage.test_account_services.AccountTest.test_list_containers[id-3499406a-ae53-4f8c-b43a-133d4dc6fe3f,smoke]",
        "uxsuccess",
    ),
    (
        "tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,network,smoke](alpha)",
        "success",
    ),
    (
        "tempest.scenario.test_server_basic_ops.TestServerBasicOps.test_server_basic_ops[id-7fff3fb3-91d8-4fd0-bd7d-0204f1f180ba,network,smoke](beta)",
        "success",
    ),
    (
        "fake_tempest_plugin.tests.test_fake.FakeTest.test_pass_no_id",
        "success",
    ),
    (
        "tempest.api.volume.test_volumes_get.VolumesGetTestJSON.test_volume_create_get_update_delete[id-27fb0e9f-fb64-41dd-8bdb-1ffa762f0d51,smoke]",
        "setupclass-fail",
    ),
    (
        "tempest.api.volume.test_volumes_get.VolumesGetTestJSON.test_volume_create_get_update_delete_from_image[id-54a01030-c7fc-447c-86ee-c1182beae638,image,smoke]",
        "setupclass-fail",
    ),
    (
        "tempest.api.compute.keypairs.test_keypairs.KeyPairsV2TestJSON.test_keypair_create_delete[id-6c1d3123-4519-4742-9eda-5ff7f6e8f3d1]",
        "teardownclass-fail",
    ),
];

/// The class path of a test id.
fn class_of(id: &str) -> &str {
    let base = &id[..id.find(['[', '(']).unwrap_or(id.len())];
    base.rsplit_once('.').map_or(base, |(class, _)| class)
}

/// A class-level failure event (`setUpClass (C)` / `tearDownClass (C)`):
/// inprogress, traceback, fail, as subunit.run reports unittest's
/// `_ErrorHolder`.
fn fixture_failure(
    out: &mut impl Write,
    fixture: &str,
    class: &str,
    at: Timestamp,
) -> Result<(), String> {
    let id = format!("{fixture} ({class})");
    let tb = format!(
        "Traceback (most recent call last):\n  File \"tempest/test.py\", line 185, in {fixture}\n    \
         raise testtools.TestCase.failureException(\"{fixture} failed\")\n\
         tempest.lib.exceptions.ServerFault: Got server fault\n"
    );
    for p in [
        Packet::new(PacketStatus::InProgress)
            .with_test_id(&id)
            .with_timestamp(at),
        Packet::new(PacketStatus::Undefined)
            .with_test_id(&id)
            .with_file("traceback", tb.as_bytes())
            .with_mime_type("text/x-traceback; charset=utf8")
            .with_eof(true)
            .with_timestamp(at),
        Packet::new(PacketStatus::Fail)
            .with_test_id(&id)
            .with_timestamp(at),
    ] {
        p.write_to(out).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn env_log(line: &str) {
    if let Some(path) = std::env::var_os("FAKE_TEMPEST_LOG")
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Undo Python `re.escape`-style backslashes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Approximates stestr's `re.search` over the forms refstack writes:
/// `^escaped$` (exact) or `escaped-prefix` (substring).
fn selected(id: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        let p = p.split('#').next().unwrap_or("").trim();
        if p.is_empty() {
            return false;
        }
        match p.strip_prefix('^').and_then(|r| r.strip_suffix('$')) {
            Some(exact) => id == unescape(exact),
            None => id.contains(&unescape(p)),
        }
    })
}

fn check_config() -> Result<(), String> {
    let dir = std::env::var("TEMPEST_CONFIG_DIR").map_err(|_| "TEMPEST_CONFIG_DIR is not set")?;
    let name = std::env::var("TEMPEST_CONFIG").map_err(|_| "TEMPEST_CONFIG is not set")?;
    let path = std::path::Path::new(&dir).join(name);
    if !path.is_file() {
        return Err(format!("config file {} does not exist", path.display()));
    }
    Ok(())
}

fn run(args: &[String]) -> Result<u8, String> {
    let mut subunit = false;
    let mut include: Option<String> = None;
    let mut regexes: Vec<String> = Vec::new();
    let mut i = 1;
    let old = std::env::var_os("FAKE_TEMPEST_OLD").is_some();
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = || {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("argument {a}: expected one argument"))
        };
        match a {
            "--list-tests" | "-l" => {
                for (id, _) in CATALOG {
                    println!("{id}");
                }
                return Ok(0);
            }
            "--help" | "-h" => {
                if old {
                    println!("usage: tempest run [--whitelist_file FILE] [--subunit] [--serial]");
                } else {
                    println!(
                        "usage: tempest run [--include-list FILE] [--whitelist_file FILE] [--subunit]"
                    );
                }
                return Ok(0);
            }
            "--subunit" => subunit = true,
            "--serial" | "-t" | "--parallel" => {}
            "--include-list" | "--include_list" if !old => include = Some(value()?),
            "--whitelist_file" | "--whitelist-file" => include = Some(value()?),
            "--regex" | "-r" => regexes.push(value()?),
            "--concurrency" | "-w" => {
                value()?;
            }
            other => return Err(format!("unrecognized arguments: {other}")),
        }
        i += 1;
    }
    check_config()?;
    let mut patterns: Vec<String> = regexes;
    if let Some(path) = include {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        patterns.extend(text.lines().map(str::to_string));
    }
    let chosen: Vec<&(&str, &str)> = CATALOG
        .iter()
        .filter(|(id, _)| patterns.is_empty() || selected(id, &patterns))
        .collect();
    if chosen.is_empty() {
        eprintln!("The specified regex doesn't match with anything");
        return Ok(1);
    }
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    let mut set_up_failed: Vec<&str> = Vec::new();
    for (n, (id, outcome)) in chosen.iter().enumerate() {
        let secs = 1_700_000_000 + u32::try_from(n).unwrap_or(0);
        if *outcome == "setupclass-fail" {
            // The class's tests never start: one class-level failure.
            failed = true;
            let class = class_of(id);
            if set_up_failed.contains(&class) {
                continue;
            }
            set_up_failed.push(class);
            if subunit {
                fixture_failure(&mut out, "setUpClass", class, Timestamp::new(secs, 0))?;
            } else {
                writeln!(out, "setUpClass ({class}) ... FAILED").map_err(|e| e.to_string())?;
            }
            continue;
        }
        let worker = format!("worker-{}", n % 2);
        let tags = [worker.as_str()];
        let start = Timestamp::new(secs, 0);
        let end = Timestamp::new(secs, 500_000_000);
        let status = match *outcome {
            "success" => PacketStatus::Success,
            "fail" => {
                failed = true;
                PacketStatus::Fail
            }
            "skip" => PacketStatus::Skip,
            "xfail" => PacketStatus::ExpectedFail,
            "teardownclass-fail" => {
                failed = true;
                PacketStatus::Success
            }
            _ => {
                failed = true;
                PacketStatus::UnexpectedSuccess
            }
        };
        if subunit {
            let w = |p: Packet<'_>, out: &mut std::io::StdoutLock<'_>| {
                p.write_to(out).map(|_| ()).map_err(|e| e.to_string())
            };
            w(
                Packet::new(PacketStatus::InProgress)
                    .with_test_id(id)
                    .with_timestamp(start),
                &mut out,
            )?;
            let log_mib: usize = std::env::var("FAKE_TEMPEST_LOG_MIB")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            for chunk in 0..log_mib {
                let text = log_text(id, n, chunk);
                w(
                    Packet::new(PacketStatus::Undefined)
                        .with_test_id(id)
                        .with_file("pythonlogging:''", &text)
                        .with_mime_type("text/plain; charset=utf8")
                        .with_eof(chunk + 1 == log_mib)
                        .with_timestamp(start),
                    &mut out,
                )?;
            }
            if *outcome == "fail" {
                let leak = std::env::var("FAKE_TEMPEST_LEAK").unwrap_or_default();
                let tb = format!(
                    "Traceback (most recent call last):\n  AssertionError: 404 != 200{leak}\n"
                );
                let tb = tb.as_bytes();
                w(
                    Packet::new(PacketStatus::Undefined)
                        .with_test_id(id)
                        .with_file("traceback", tb)
                        .with_mime_type("text/x-traceback; charset=utf8")
                        .with_eof(true)
                        .with_timestamp(end),
                    &mut out,
                )?;
            }
            if *outcome == "skip" {
                w(
                    Packet::new(PacketStatus::Undefined)
                        .with_test_id(id)
                        .with_file("reason", b"Image service is not available")
                        .with_mime_type("text/plain; charset=utf8")
                        .with_eof(true)
                        .with_timestamp(end),
                    &mut out,
                )?;
            }
            w(
                Packet::new(status)
                    .with_test_id(id)
                    .with_tags(&tags)
                    .with_timestamp(end),
                &mut out,
            )?;
            if *outcome == "teardownclass-fail" {
                fixture_failure(&mut out, "tearDownClass", class_of(id), end)?;
            }
            out.flush().map_err(|e| e.to_string())?;
        } else {
            writeln!(out, "{{{n}}} {id} ... {outcome}").map_err(|e| e.to_string())?;
        }
        if let Some(ms) = std::env::var("FAKE_TEMPEST_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
    if let Some(code) = std::env::var("FAKE_TEMPEST_EXIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Ok(code);
    }
    // Real `tempest run --subunit` exits 0 whatever the outcomes; plain
    // `tempest run` exits 1 when a test failed.
    Ok(u8::from(failed && !subunit))
}

/// 1 MiB of log lines, different for every test and chunk (so that no
/// two blobs or pieces of a large stream are alike).
fn log_text(id: &str, n: usize, chunk: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(1 << 20);
    let mut line = 0u64;
    while text.len() < (1 << 20) - 200 {
        line += 1;
        let _ = writeln!(
            text,
            "2026-12-08 02:00:00.{line:06} {n} DEBUG tempest.lib.common.rest_client [req-{chunk:04}-{line:08x}] Request ({id}): 200 GET /v2.1/servers"
        );
    }
    text.resize(1 << 20, b'.');
    text
}

/// `tempest init [DIR]`: as real Tempest, refuses a directory that exists
/// and is not empty, and makes `.stestr.conf`, `etc/` and `logs/`.
fn init(args: &[String]) -> Result<u8, String> {
    let dir = std::path::PathBuf::from(args.get(1).map_or(".", String::as_str));
    if dir.is_dir() {
        let mut entries = std::fs::read_dir(&dir).map_err(|e| e.to_string())?;
        if entries.next().is_some() {
            eprintln!(
                "OSError: Directory you are trying to initialize already exists and is not empty: {}",
                dir.display()
            );
            return Ok(1);
        }
    }
    for sub in ["etc", "logs"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
    }
    std::fs::write(
        dir.join(".stestr.conf"),
        "[DEFAULT]\ntest_path=./tempest/test_discover\ntop_dir=./\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("etc").join("tempest.conf.sample"), "[DEFAULT]\n")
        .map_err(|e| e.to_string())?;
    Ok(0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    env_log(&format!("argv={args:?} cwd={cwd}"));
    let result = match args.first().map(String::as_str) {
        Some("run") if std::env::var_os("FAKE_TEMPEST_NO_WORKSPACE").is_some() => {
            eprintln!("No .stestr.conf file was found for local directory");
            Ok(1)
        }
        Some("run") => run(&args),
        Some("--version") => {
            println!("tempest 40.0.0");
            Ok(0)
        }
        Some("init") => init(&args),
        Some("list-plugins") => {
            println!("+------------+----------------------------------------------+");
            println!("|    Name    |                  EntryPoint                  |");
            println!("+------------+----------------------------------------------+");
            println!("| fake_tests | fake_tempest_plugin.plugin:FakeTempestPlugin |");
            println!("+------------+----------------------------------------------+");
            Ok(0)
        }
        _ => Err("usage: tempest run|list-plugins|init ...".to_string()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tempest: error: {e}");
            ExitCode::from(2)
        }
    }
}
