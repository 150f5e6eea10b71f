//! The `refstack-server` binary as a new user runs it (issue 16): top-level
//! `--listen`, a missing SQLite file refused without `--create`, log lines
//! without colour codes when stderr is not a terminal, each subcommand under
//! its own log target, and the built-in guidelines served with no network.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_refstack-server"));
    for var in refstack_server::config::ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.env_remove("REFSTACK_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR");
    cmd
}

#[test]
fn user_add_refuses_a_missing_database_unless_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("typo.sqlite");
    let url = format!("sqlite://{}", file.display());
    let out = server()
        .args([
            "user",
            "add",
            "https://openstackid.org/jane",
            "--database-url",
            &url,
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("typo.sqlite does not exist"), "{stderr}");
    assert!(stderr.contains("--create"), "{stderr}");
    assert!(!file.exists(), "nothing created");

    let out = server()
        .args(["user", "add", "https://openstackid.org/jane"])
        .args(["--database-url", &url, "--create"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(file.is_file());
    // stderr is a pipe here: no ANSI escapes.
    assert!(!stderr.contains('\x1b'), "colour codes in {stderr:?}");
    assert!(stderr.contains("refstack_server::cmd::user"), "{stderr}");
    assert!(!stderr.contains("cmd::serve"), "{stderr}");

    // The file now exists: no --create needed.
    let out = server()
        .args([
            "user",
            "add",
            "https://openstackid.org/joe",
            "--database-url",
            &url,
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server()
        .args(["migrate", "--database-url", &format!("{url}.nope")])
        .output()
        .expect("run");
    assert!(!out.status.success());
}

#[test]
fn listen_is_a_serve_option() {
    let out = server()
        .args([
            "--listen",
            "127.0.0.1:0",
            "migrate",
            "--database-url",
            "sqlite::memory:",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--listen applies to `serve` only"),
        "{stderr}"
    );
}

/// `refstack-server --listen ADDR` (no command) serves, with result links
/// pointing at itself and the built-in guidelines, offline.
#[test]
fn top_level_listen_serves_the_builtin_guidelines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = server()
        .current_dir(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let addr = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("no 'listening on' line; stderr: {seen:#?}");
        };
        assert!(!line.contains('\x1b'), "colour codes in {line:?}");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
        seen.push(line);
    };
    let get = |path: &str| -> String {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer
    };
    let list = get("/v1/guidelines");
    let _ = child.kill();
    let _ = child.wait();
    assert!(list.starts_with("HTTP/1.1 200"), "{list}");
    assert!(
        list.contains(r#"{"name":"2020.06.json","file":"2020.06.json"}"#),
        "{list}"
    );
    assert!(
        !list
            .to_ascii_lowercase()
            .contains("\r\nx-refstack-guideline-source-errors:"),
        "{list}"
    );
    let logged = seen.join("\n");
    assert!(
        logged.contains(&format!("ui_url=http://{addr}")),
        "{logged}"
    );
    assert!(logged.contains("built-in (6 files"), "{logged}");
    assert!(dir.path().join("refstack-data/refstack.sqlite").is_file());
}

/// `guidelines sync DIR` with nothing configured writes the built-in files
/// (a local copy to edit and serve with REFSTACK_GUIDELINES_DIR); with a
/// source that fails it writes what it can and fails naming the source.
#[test]
fn guidelines_sync_writes_a_local_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = server()
        .args(["guidelines", "sync"])
        .arg(dir.path().join("copy"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for b in refstack_guidelines::ALL {
        let path = match b.addon {
            Some(_) => dir.path().join("copy/add-ons").join(b.file),
            None => dir.path().join("copy").join(b.file),
        };
        let written = std::fs::read_to_string(&path).expect("written");
        assert!(written == b.json, "{}", path.display());
    }
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = free.local_addr().expect("addr");
    drop(free);
    let config = dir.path().join("refstack.toml");
    std::fs::write(
        &config,
        format!(
            "[guidelines]\nfetch_timeout_secs = 2\n[[guidelines.sources]]\n\
             type = \"gitea\"\nrepo_url = \"http://{dead}/repo\"\n"
        ),
    )
    .expect("write");
    let out = server()
        .arg("--config")
        .arg(&config)
        .args(["guidelines", "sync"])
        .arg(dir.path().join("other"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "guideline source failed: gitea http://{dead}/repo: cannot connect"
        )),
        "{stderr}"
    );
    assert!(
        dir.path().join("other/2020.06.json").is_file(),
        "the built-in files still written"
    );
}

/// `--json` (issue 16 item 6): `user add`, `user add-key` and `guidelines
/// sync` print one JSON document; `serve` and `migrate` refuse it.
#[test]
fn json_output_of_the_commands_that_print_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let json = |args: &[&str]| -> serde_json::Value {
        let out = server()
            .args(args)
            .args(["--database-url", &url, "--json"])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
    };
    let user = json(&[
        "user",
        "add",
        "https://openstackid.org/jane",
        "--email",
        "jane@example.org",
        "--foundation-admin",
        "--create",
    ]);
    assert_eq!(
        user,
        serde_json::json!({"openid": "https://openstackid.org/jane",
            "email": "jane@example.org", "fullname": null, "foundation_admin": true})
    );
    let key = dir.path().join("key.pub");
    std::fs::write(&key, include_str!("fixtures/alice.pub")).expect("write");
    let key_arg = key.display().to_string();
    let stored = json(&["user", "add-key", "https://openstackid.org/jane", &key_arg]);
    assert_eq!(stored["openid"], "https://openstackid.org/jane");
    assert_eq!(stored["id"].as_str().map(str::len), Some(36));
    assert_eq!(
        stored["md5_fingerprint"]
            .as_str()
            .map(|f| f.replace(':', "").len()),
        Some(32)
    );
    let copy = dir.path().join("copy").display().to_string();
    let synced = json(&["guidelines", "sync", &copy]);
    assert_eq!(synced["dir"], copy.as_str());
    assert_eq!(
        synced["files"].as_array().map(Vec::len),
        Some(refstack_guidelines::ALL.len())
    );
    for args in [&["migrate"][..], &["serve"]] {
        let out = server()
            .args(args)
            .args(["--database-url", &url, "--json"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains("--json does not apply"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}
