//! Runs as OCI artifacts in a real registry: the `refstack-tester` binary
//! (`test` with the fake Tempest, `publish`, `pull`, `runs`, `report`,
//! `upload`, `upload-subunit`) against Debian's `docker-registry`
//! (distribution 2.8, `REFSTACK_TEST_REGISTRY_BIN`) started here on
//! loopback with a configuration of its own: anonymous, and with htpasswd
//! basic authentication. A TCP proxy in front of it refuses requests (401,
//! 403, 500), asks for a bearer token, or breaks the connection in the
//! middle of a blob.

#![cfg(feature = "fake-tempest")]

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// The registry binary, or `None` (after a `SKIPPED` line) when it is not
/// installed; under `REFSTACK_CI=1` a missing registry fails the test.
fn registry_bin() -> Option<PathBuf> {
    match std::env::var_os("REFSTACK_TEST_REGISTRY_BIN") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("REFSTACK_CI").as_deref() == Ok("1") => {
            panic!("REFSTACK_TEST_REGISTRY_BIN is not set (required under REFSTACK_CI=1)")
        }
        None => {
            // Straight to stderr, past the test harness's capture: a
            // skipped test must not pass silently as `ok`.
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let _ = std::io::stderr().write_all(
                format!(
                    "SKIPPED {test}: REFSTACK_TEST_REGISTRY_BIN is unset (the OCI registry, Debian \
                     docker-registry)\n"
                )
                .as_bytes(),
            );
            None
        }
    }
}

/// A `docker-registry` on 127.0.0.1 with its own configuration and storage.
struct Registry {
    child: Child,
    addr: SocketAddr,
    storage: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Registry {
    /// Start one; with `htpasswd` = (user, password), basic authentication.
    fn start(bin: &Path, htpasswd: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        let mut auth = String::new();
        if let Some((user, password)) = htpasswd {
            let hash = bcrypt::hash(password, 5).unwrap();
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, format!("{user}:{hash}\n")).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: refstack-test\n    path: {}\n",
                file.display()
            );
        }
        // A port can be taken between the probe and the bind: try a few.
        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                     http:\n  addr: 127.0.0.1:{port}\n{auth}",
                    storage.display()
                ),
            )
            .unwrap();
            let mut child = StdCommand::new(bin)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start docker-registry");
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(addr).is_ok() {
                    return Registry {
                        child,
                        addr,
                        storage,
                        _dir: dir,
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start");
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }
}

/// What the proxy does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// Forward everything.
    Pass,
    /// Answer `status` to requests whose method is `method` and whose path
    /// contains `path`.
    Refuse {
        method: &'static str,
        path: &'static str,
        status: u16,
    },
    /// Forward a blob PUT of at least `min` bytes only half-way, then close
    /// both connections.
    CutBlob { min: u64 },
    /// Answer 401 (bearer challenge) unless `Authorization: Bearer TOKEN`.
    Bearer(String),
}

/// A TCP proxy in front of the registry that applies a [`Rule`] to every
/// request (each request on a connection of its own: `Connection: close`
/// is forced) and logs `METHOD PATH`.
struct Proxy {
    addr: SocketAddr,
    rule: Arc<Mutex<Rule>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let rule = Arc::new(Mutex::new(Rule::Pass));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (r, l) = (rule.clone(), log.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (r, l) = (r.clone(), l.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, upstream, &r, &l);
                });
            }
        });
        Proxy { addr, rule, log }
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }

    fn set(&self, rule: Rule) {
        *self.rule.lock().unwrap() = rule;
        self.log.lock().unwrap().clear();
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// Read and drop a request body: answering before it is read makes the
/// close a reset, which the client may see before the answer.
fn drain(conn: &mut TcpStream, length: u64) -> std::io::Result<()> {
    std::io::copy(&mut conn.take(length), &mut std::io::sink()).map(|_| ())
}

fn respond(mut conn: TcpStream, status: u16, extra: &str, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Internal Server Error",
    };
    write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n{extra}\r\n{body}",
        body.len()
    )?;
    conn.flush()
}

fn handle(
    mut conn: TcpStream,
    upstream: SocketAddr,
    rule: &Mutex<Rule>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    // The request head.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let length: u64 = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    log.lock().unwrap().push(format!("{method} {path}"));
    let rule = rule.lock().unwrap().clone();
    let mut cut = None;
    match &rule {
        Rule::Pass => {}
        Rule::Refuse {
            method: m,
            path: p,
            status,
        } if *m == method && path.contains(p) => {
            let (extra, code) = match status {
                401 => ("WWW-Authenticate: Basic realm=\"test\"\r\n", "UNAUTHORIZED"),
                403 => ("", "DENIED"),
                _ => ("", "UNKNOWN"),
            };
            let body =
                format!(r#"{{"errors":[{{"code":"{code}","message":"refused by the test"}}]}}"#);
            drain(&mut conn, length)?;
            return respond(conn, *status, extra, &body);
        }
        Rule::Refuse { .. } => {}
        Rule::CutBlob { min } => {
            if method == "PUT" && path.contains("/blobs/uploads/") && length >= *min {
                cut = Some(length / 2);
            }
        }
        Rule::Bearer(token) => {
            // The token service (on the proxy) gives no token to anyone:
            // only a token obtained elsewhere (--token) opens the registry.
            if path.starts_with("/token") {
                drain(&mut conn, length)?;
                // The token service: a token for bob's basic credentials
                // (as Docker Hub, GHCR or Harbor hand them out).
                if header("authorization").as_deref() == Some("Basic Ym9iOmJvYnMtcGFzc3dvcmQ=") {
                    let body = format!(r#"{{"token":"{token}","expires_in":300}}"#);
                    return respond(conn, 200, "", &body);
                }
                return respond(
                    conn,
                    401,
                    "",
                    r#"{"details":"no token for anonymous users"}"#,
                );
            }
            if header("authorization").as_deref() != Some(&format!("Bearer {token}")) {
                let body =
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
                let host = header("host").unwrap_or_default();
                let challenge = format!(
                    "WWW-Authenticate: Bearer realm=\"http://{host}/token\",service=\"test\"\r\n"
                );
                drain(&mut conn, length)?;
                return respond(conn, 401, &challenge, body);
            }
        }
    }
    let mut up = TcpStream::connect(upstream)?;
    // Every request on a connection of its own, so each one meets the rule.
    let mut new_head = format!("{request_line}\r\n");
    for (k, v) in &headers {
        if k != "connection" {
            new_head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    new_head.push_str("connection: close\r\n\r\n");
    up.write_all(new_head.as_bytes())?;
    if let Some(limit) = cut {
        let mut sent = 0u64;
        let mut buf = vec![0u8; 64 << 10];
        while sent < limit {
            let want = usize::try_from((limit - sent).min(buf.len() as u64)).unwrap_or(buf.len());
            let n = conn.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            up.write_all(&buf[..n])?;
            sent += n as u64;
        }
        let _ = up.shutdown(std::net::Shutdown::Both);
        let _ = conn.shutdown(std::net::Shutdown::Both);
        return Ok(());
    }
    let mut up_read = up.try_clone()?;
    let mut conn_write = conn.try_clone()?;
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut conn_write);
        let _ = conn_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut conn, &mut up);
    let _ = back.join();
    Ok(())
}

fn bin() -> Command {
    let mut c = common::tester();
    c.env_remove("REFSTACK_RUNNER_IMAGE")
        .env_remove("REFSTACK_REGISTRY_USERNAME")
        .env_remove("REFSTACK_REGISTRY_PASSWORD")
        .env_remove("REFSTACK_REGISTRY_TOKEN")
        // No login of this machine's podman or docker.
        .env("REGISTRY_AUTH_FILE", "/nonexistent/auth.json")
        .env("XDG_RUNTIME_DIR", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("DOCKER_CONFIG", "/nonexistent");
    c
}

/// Run a command; its exit code, stdout and stderr (all output is kept
/// for the secrets check).
fn run(c: &mut Command, outputs: &mut Vec<u8>) -> (i32, String, String) {
    let out = c.output().unwrap();
    outputs.extend_from_slice(&out.stdout);
    outputs.extend_from_slice(&out.stderr);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The secrets planted in the configuration.
const SECRETS: &[&str] = &[
    "AccountsPassw0rd-7f3",
    "acct-user-5c1e",
    "acct-project-9d2b",
    "UrlPassw0rd-4e8",
    "AdminPassw0rd-1a6",
    "CommentPassw0rd-2b7",
    "TokenValue-8c9d",
    "AltPassw0rd-6f0",
];

/// A tempest.conf and accounts.yaml with secrets in every usual and
/// unusual place: accounts, secret options, a continuation line, comments,
/// a URL's user-info and query, a non-secret option repeating a password.
fn plant_cloud(dir: &Path) -> PathBuf {
    let accounts = dir.join("accounts.yaml");
    std::fs::write(
        &accounts,
        "- username: acct-user-5c1e\n  project_name: acct-project-9d2b\n  password: AccountsPassw0rd-7f3\n  roles:\n    - member\n",
    )
    .unwrap();
    let conf = dir.join("tempest.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\n\
             # admin_password = CommentPassw0rd-2b7\n\
             log_file = tempest.log\n\
             [identity]\n\
             uri_v3 = https://admin:UrlPassw0rd-4e8@127.0.0.1:9/v3\n\
             auth_version = v3\n\
             region = RegionOne\n\
             admin_password = AdminPassw0rd-1a6\n\
             catalog_url = https://catalog.example/v3?auth_token=TokenValue-8c9d&x=1\n\
             [auth]\n\
             test_accounts_file = {}\n\
             use_dynamic_credentials = False\n\
             ; alt password was AltPassw0rd-6f0\n\
             [compute]\n\
             image_ref = image-0001\n\
             flavor_ref = 42\n\
             description = uses AccountsPassw0rd-7f3 sometimes\n\
             [compute-feature-enabled]\n\
             resize = True\n\
             [validation]\n\
             image_ssh_password = AltPassw0rd-6f0\n\
             ssh_key_notes = first\n  AdminPassw0rd-1a6\n",
            accounts.display()
        ),
    )
    .unwrap();
    conf
}

const LISTED: &[&str] = &[
    "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]",
    "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details[id-5de47127-9977-400a-936f-abcfbec1218f]",
    "tempest.api.identity.v3.test_api_discovery.TestApiDiscovery.test_api_media_types[id-657c1970-4722-4189-8831-7325f3bc4265]",
];

/// `refstack-tester test` with the fake Tempest into `out`; extra
/// arguments and environment given.
fn make_run(dir: &Path, out: &Path, env: &[(&str, &str)], args: &[&str], outputs: &mut Vec<u8>) {
    let conf = plant_cloud(dir);
    let list = dir.join("list.txt");
    std::fs::write(&list, format!("# the list\n{}\n", LISTED.join("\n"))).unwrap();
    let mut c = bin();
    // -v: the debug log and Tempest's stderr are searched for secrets too.
    c.current_dir(dir)
        .args(["-v", "test", "-c"])
        .arg(&conf)
        .arg("--tempest-bin")
        .arg(env!("CARGO_BIN_EXE_fake-tempest"))
        .arg("--output-dir")
        .arg(out)
        .arg("--test-list")
        .arg(&list)
        .args([
            "--guideline",
            "2020.06",
            "--list-type",
            "required",
            "--list-alias",
            "true",
        ])
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let (code, _, stderr) = run(&mut c, outputs);
    // One listed test fails: exit 1, from the outcomes.
    assert_eq!(code, 1, "{stderr}");
}

/// Every file under `dir`, read whole.
fn all_files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
}

/// No planted secret in any file under `dirs` (configuration inputs
/// excepted) nor in the commands' output.
fn assert_no_secrets(dirs: &[&Path], outputs: &[u8], inputs: &[&Path]) {
    let mut files = Vec::new();
    for d in dirs {
        all_files(d, &mut files);
    }
    files.retain(|(p, _)| !inputs.iter().any(|i| p == i));
    assert!(files.len() > 5, "the check must look at the files written");
    for s in SECRETS {
        for (p, bytes) in &files {
            assert!(
                memchr_find(bytes, s.as_bytes()).is_none(),
                "{s} leaked into {}",
                p.display()
            );
        }
        assert!(
            memchr_find(outputs, s.as_bytes()).is_none(),
            "{s} leaked into the commands' output"
        );
    }
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn digest_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no digest in {stdout}"))
        .trim()
        .to_string()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn record_publish_pull_rescore_upload_and_no_secret_anywhere() {
    let Some(reg_bin) = registry_bin() else {
        return;
    };
    let registry = Registry::start(&reg_bin, None);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut outputs = Vec::new();
    make_run(dir.path(), &out, &[], &[], &mut outputs);

    // The record: every field the issue names.
    let r = read_json(&out.join("0.run.json"));
    assert_eq!(r["schema"], "refstack.run/v1");
    assert_eq!(r["guideline"]["id"], "2020.06");
    assert_eq!(r["guideline"]["source"], "built-in");
    assert_eq!(r["guideline"]["target"], "platform");
    let builtin = refstack_guidelines::get("2020.06").unwrap().json.as_bytes();
    assert_eq!(
        r["guideline"]["sha256"],
        refstack_tester::record::sha256_bytes(builtin)
    );
    assert_eq!(r["test_list"]["count"], 3);
    assert_eq!(r["test_list"]["types"], serde_json::json!(["required"]));
    assert_eq!(r["test_list"]["alias"], true);
    assert_eq!(r["test_list"]["flag"], serde_json::Value::Null);
    let list_bytes = std::fs::read(dir.path().join("list.txt")).unwrap();
    assert_eq!(
        r["test_list"]["sha256"],
        refstack_tester::record::sha256_bytes(&list_bytes)
    );
    assert_eq!(std::fs::read(out.join("0.test-list")).unwrap(), list_bytes);
    assert_eq!(r["test_suites"][0]["name"], "tempest");
    assert_eq!(r["test_suites"][0]["version"], "40.0.0");
    assert_eq!(
        r["test_suites"][1]["entry_point"],
        "fake_tempest_plugin.plugin:FakeTempestPlugin"
    );
    let conf_bytes = std::fs::read(dir.path().join("tempest.conf")).unwrap();
    assert_eq!(
        r["tempest_conf"]["sha256"],
        refstack_tester::record::sha256_bytes(&conf_bytes)
    );
    assert_eq!(r["tempest_conf"]["comments_removed"], 2);
    assert_eq!(
        r["infra_params"],
        serde_json::json!({
            "auth.use_dynamic_credentials": "False",
            "compute-feature-enabled.resize": "True",
            "compute.flavor_ref": "42",
            "compute.image_ref": "image-0001",
            "identity.auth_version": "v3",
            "identity.region": "RegionOne",
        })
    );
    assert_eq!(r["host"]["arch"], std::env::consts::ARCH);
    assert_eq!(r["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["cloud"]["cpid"], "f528764d624db129b32c21fbca0cb8d6");
    let res = &r["results"];
    assert_eq!(
        (&res["total"], &res["passed"], &res["failed"]),
        (
            &serde_json::json!(3),
            &serde_json::json!(2),
            &serde_json::json!(1)
        )
    );
    assert_eq!(
        res["subunit_sha256"],
        refstack_tester::record::sha256_file(&out.join("0.subunit"))
            .unwrap()
            .0
    );
    assert_eq!(
        res["sha256"],
        refstack_tester::record::sha256_file(&out.join("0.json"))
            .unwrap()
            .0
    );
    assert_eq!(res["secrets_in_stream"], false);
    assert_eq!(r["compliance"]["compliant"], false);
    assert!(r["started_at"].as_str().unwrap() <= r["finished_at"].as_str().unwrap());

    // Publish with a derived tag; the same run again is the same digest,
    // and sends nothing.
    let repo = format!("{}/refstack/runs", registry.host());
    let (code, stdout, stderr) = run(bin().arg("publish").arg(&out).arg(&repo), &mut outputs);
    assert_eq!(code, 0, "{stderr}");
    let digest = digest_of(&stdout);
    let tag_line = stdout.lines().next().unwrap();
    let tag = tag_line.rsplit(':').next().unwrap();
    assert!(
        tag.starts_with("2020.06-platform-f528764d624d-2"),
        "{stdout}"
    );
    assert!(stderr.contains("6 blob(s) pushed"), "{stderr}");
    let (code, stdout2, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("oci://{repo}:second")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(digest_of(&stdout2), digest);
    assert!(stderr.contains("0 blob(s) pushed (0 bytes"), "{stderr}");
    assert!(stderr.contains("6 already in the registry"), "{stderr}");
    // --json: one document.
    let (code, stdout, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{repo}:third"))
            .arg("--json"),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["digest"], digest.as_str());
    assert_eq!(doc["reference"], format!("{repo}:third"));
    assert_eq!(
        (doc["blobs_pushed"].as_u64(), doc["blobs_skipped"].as_u64()),
        (Some(0), Some(6))
    );

    // The manifest as the registry serves it.
    let manifest: serde_json::Value = get_manifest(&registry.host(), "refstack/runs", &digest);
    assert_eq!(
        manifest["artifactType"],
        "application/vnd.refstack.result.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    let titles: Vec<&str> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["annotations"]["org.opencontainers.image.title"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        titles,
        [
            "0.json",
            "0.subunit",
            "0.run.json",
            "0.tempest.conf",
            "0.test-list"
        ]
    );
    let ann = &manifest["annotations"];
    assert_eq!(ann["org.openstack.interop.guideline"], "2020.06");
    assert_eq!(ann["org.openstack.interop.target"], "platform");
    assert_eq!(
        ann["org.openstack.interop.cpid"],
        "f528764d624db129b32c21fbca0cb8d6"
    );
    assert_eq!(ann["org.openstack.interop.compliant"], "false");
    assert_eq!(ann["org.opencontainers.image.created"], r["finished_at"]);
    assert!(manifest.get("subject").is_none());

    // Pull by digest, then re-score and upload from the pulled directory
    // and straight from oci://, as another machine would.
    let pulled = dir.path().join("pulled");
    let by_digest = format!("{repo}@{digest}");
    let (code, stdout, stderr) = run(bin().arg("pull").arg(&by_digest).arg(&pulled), &mut outputs);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&digest), "{stdout}");
    let (code, stdout, stderr) = run(
        bin()
            .args(["--json", "pull"])
            .arg(&by_digest)
            .arg(dir.path().join("pulled-json")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["digest"], digest.as_str());
    assert_eq!(doc["cpid"], "f528764d624db129b32c21fbca0cb8d6");
    assert!(doc["record_file"].as_str().unwrap().ends_with("0.run.json"));
    for f in [
        "0.json",
        "0.subunit",
        "0.run.json",
        "0.tempest.conf",
        "0.test-list",
    ] {
        assert_eq!(
            std::fs::read(pulled.join(f)).unwrap(),
            std::fs::read(out.join(f)).unwrap(),
            "{f}"
        );
    }
    let (code, local_report, stderr) = run(
        bin()
            .args(["report", "--guideline", "2020.06"])
            .arg(out.join("0.subunit")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, pulled_report, stderr) = run(
        bin()
            .args(["report", "--guideline", "2020.06"])
            .arg(&pulled),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(pulled_report, local_report);
    let (code, oci_report, stderr) = run(
        bin()
            .args(["report", "--guideline", "2020.06"])
            .arg(format!("oci://{by_digest}")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(oci_report, local_report);

    let (fake, _rt) = common::start_background();
    let (code, stdout, stderr) = run(
        bin()
            .args(["upload", "-y", "--url"])
            .arg(fake.url("/api"))
            .arg(format!("oci://{by_digest}")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Test results uploaded!"), "{stdout}");
    let (code, _, stderr) = run(
        bin()
            .args(["upload-subunit", "-y", "--url"])
            .arg(fake.url("/api"))
            .arg(&pulled),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    {
        let uploads = fake.state.uploads.lock().unwrap();
        assert_eq!(uploads.len(), 2);
        let body: serde_json::Value = serde_json::from_slice(&uploads[0].body).unwrap();
        assert_eq!(body, read_json(&out.join("0.json")));
        let sub: serde_json::Value = serde_json::from_slice(&uploads[1].body).unwrap();
        assert_eq!(sub["cpid"], "f528764d624db129b32c21fbca0cb8d6");
        assert_eq!(sub["results"].as_array().map(Vec::len), Some(2));
    }
    // No temporary pull left behind by the oci:// inputs.
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("refstack-tester-pull-{}-", std::process::id()))
        })
        .count();
    assert_eq!(leftovers, 0);

    // Not a single planted secret in anything written: the run's files,
    // the pulled copy, the registry's storage, every command's output.
    assert_no_secrets(&[&out, &pulled, &registry.storage], &outputs, &[]);
    assert_no_secrets(
        &[dir.path()],
        &outputs,
        &[
            &dir.path().join("tempest.conf"),
            &dir.path().join("accounts.yaml"),
        ],
    );
}

/// A manifest of `repo` as the registry serves it (plain std I/O).
fn get_manifest(host: &str, repo: &str, reference: &str) -> serde_json::Value {
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /v2/{repo}/manifests/{reference} HTTP/1.1\r\nHost: {host}\r\nAccept: \
         application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn basic_auth_flags_auth_json_and_clear_refusals() {
    let Some(reg_bin) = registry_bin() else {
        return;
    };
    const PASSWORD: &str = "RegistryPassw0rd-3e1";
    let registry = Registry::start(&reg_bin, Some(("alice", PASSWORD)));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut outputs = Vec::new();
    make_run(dir.path(), &out, &[], &[], &mut outputs);
    let repo = format!("{}/refstack/runs", registry.host());

    // Anonymous: refused, and the message says how to log in.
    let (code, _, stderr) = run(bin().arg("publish").arg(&out).arg(&repo), &mut outputs);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("wants credentials (401 Unauthorized)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("podman login {}", registry.host())),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    // A wrong password: refused the same way.
    let (code, _, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(&repo)
            .args(["--username", "alice"])
            .env("REFSTACK_REGISTRY_PASSWORD", "wrong-password"),
        &mut outputs,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    // --username without a password: says where the password comes from.
    let (code, _, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(&repo)
            .args(["--username", "alice"]),
        &mut outputs,
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("REFSTACK_REGISTRY_PASSWORD"), "{stderr}");
    // Basic authentication from the flags and the environment.
    let (code, stdout, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{repo}:basic"))
            .args(["--username", "alice"])
            .env("REFSTACK_REGISTRY_PASSWORD", PASSWORD),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let digest = digest_of(&stdout);
    // --password-stdin.
    let (code, stdout, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{repo}:stdin"))
            .args(["--username", "alice", "--password-stdin"])
            .write_stdin(format!("{PASSWORD}\n")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(digest_of(&stdout), digest);

    // A podman/docker auth.json (REGISTRY_AUTH_FILE), for pull and for
    // report with an oci:// reference.
    use base64::Engine as _;
    let auth = dir.path().join("auth.json");
    std::fs::write(
        &auth,
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{}"}}}}}}"#,
            registry.host(),
            base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"))
        ),
    )
    .unwrap();
    let pulled = dir.path().join("pulled");
    let (code, _, stderr) = run(
        bin()
            .arg("pull")
            .arg(format!("{repo}:stdin"))
            .arg(&pulled)
            .env("REGISTRY_AUTH_FILE", &auth),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(pulled.join("0.run.json").is_file());
    let (code, _, stderr) = run(
        bin()
            .args(["report", "--guideline", "2020.06"])
            .arg(format!("oci://{repo}@{digest}"))
            .env("REGISTRY_AUTH_FILE", &auth),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    // A docker credential helper (credsStore), found on PATH.
    let helper_dir = dir.path().join("helpers");
    std::fs::create_dir_all(&helper_dir).unwrap();
    let helper = helper_dir.join("docker-credential-testhelper");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread registry\n[ \"$1\" = get ] && [ \"$registry\" = {} ] || exit 1\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"{PASSWORD}\"}}' \"$registry\"\n",
            registry.host()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let docker_config = dir.path().join("docker");
    std::fs::create_dir_all(&docker_config).unwrap();
    std::fs::write(
        docker_config.join("config.json"),
        r#"{"credsStore": "testhelper"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helper_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (code, stdout, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{repo}:helper"))
            .env("DOCKER_CONFIG", &docker_config)
            .env("PATH", &path),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(digest_of(&stdout), digest);
    // Without it: a clear refusal.
    let (code, _, stderr) = run(
        bin()
            .arg("pull")
            .arg(format!("{repo}:stdin"))
            .arg(dir.path().join("p2")),
        &mut outputs,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("wants credentials (401 Unauthorized)"),
        "{stderr}"
    );
    assert!(
        memchr_find(&outputs, PASSWORD.as_bytes()).is_none(),
        "the registry password was printed"
    );
    assert_no_secrets(&[&out, &pulled], &outputs, &[]);
}

/// Publish `out` to `reference` through the proxy; (code, stdout, stderr).
fn publish(
    out: &Path,
    reference: &str,
    extra: &[&str],
    outputs: &mut Vec<u8>,
) -> (i32, String, String) {
    run(
        bin().arg("publish").arg(out).arg(reference).args(extra),
        outputs,
    )
}

#[test]
fn bearer_token_refusals_and_a_resumed_publish() {
    let Some(reg_bin) = registry_bin() else {
        return;
    };
    let registry = Registry::start(&reg_bin, None);
    let proxy = Proxy::start(registry.addr);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut outputs = Vec::new();
    // A stream of 3 x 2 MiB of logs: the blob the connection breaks in.
    make_run(
        dir.path(),
        &out,
        &[("FAKE_TEMPEST_LOG_MIB", "2")],
        &[],
        &mut outputs,
    );
    let repo = format!("{}/refstack/runs", proxy.host());

    // Bearer token: refused without it, accepted with --token and with
    // REFSTACK_REGISTRY_TOKEN.
    proxy.set(Rule::Bearer("tok-5d8f2a".into()));
    let (code, _, stderr) = publish(&out, &repo, &[], &mut outputs);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("wants credentials (401 Unauthorized)"),
        "{stderr}"
    );
    let (code, stdout, stderr) = publish(
        &out,
        &format!("{repo}:bearer"),
        &["--token", "tok-5d8f2a"],
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let bearer_digest = digest_of(&stdout);
    let (code, _, stderr) = run(
        bin()
            .arg("pull")
            .arg(format!("{repo}@{bearer_digest}"))
            .arg(dir.path().join("bearer-pull"))
            .env("REFSTACK_REGISTRY_TOKEN", "tok-5d8f2a"),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    // The token service's way: basic credentials for a token, then the token.
    proxy.set(Rule::Bearer("tok-5d8f2a".into()));
    let (code, stdout, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{repo}:token-service"))
            .args(["--username", "bob"])
            .env("REFSTACK_REGISTRY_PASSWORD", "bobs-password"),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(digest_of(&stdout), bearer_digest);
    assert!(
        proxy.log().iter().any(|l| l.starts_with("GET /token?")),
        "{:?}",
        proxy.log()
    );
    let (code, _, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{repo}:token-service"))
            .args(["--username", "bob"])
            .env("REFSTACK_REGISTRY_PASSWORD", "wrong"),
        &mut outputs,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("wants credentials (401 Unauthorized)"),
        "{stderr}"
    );

    // A second run, so that every blob but the config is new.
    let out2 = dir.path().join("out2");
    make_run(
        dir.path(),
        &out2,
        &[("FAKE_TEMPEST_LOG_MIB", "2")],
        &[],
        &mut outputs,
    );
    let target = format!("{repo}:resumed");
    // 500 when a blob upload starts.
    proxy.set(Rule::Refuse {
        method: "POST",
        path: "/blobs/uploads/",
        status: 500,
    });
    let (code, _, stderr) = publish(&out2, &target, &[], &mut outputs);
    assert_eq!(code, 1);
    assert!(stderr.contains("failed (500); try again later"), "{stderr}");
    // 403 on the manifest: "denied", nothing half-done is claimed.
    proxy.set(Rule::Refuse {
        method: "PUT",
        path: "/manifests/",
        status: 403,
    });
    let (code, stdout, stderr) = publish(&out2, &target, &[], &mut outputs);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("denied it (403 Forbidden)"), "{stderr}");
    assert!(stderr.contains("push to this repository"), "{stderr}");
    // 401 with a basic challenge on blob checks.
    proxy.set(Rule::Refuse {
        method: "HEAD",
        path: "/blobs/",
        status: 401,
    });
    let (code, _, stderr) = publish(&out2, &target, &[], &mut outputs);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("wants credentials (401 Unauthorized)"),
        "{stderr}"
    );

    // The connection breaks in the middle of the stream's blob.
    let out3 = dir.path().join("out3");
    make_run(
        dir.path(),
        &out3,
        &[("FAKE_TEMPEST_LOG_MIB", "3")],
        &[],
        &mut outputs,
    );
    let record = read_json(&out3.join("0.run.json"));
    let stream_bytes = record["results"]["subunit_bytes"].as_u64().unwrap();
    assert!(stream_bytes > 9 << 20, "{stream_bytes}");
    proxy.set(Rule::CutBlob { min: 1 << 20 });
    let (code, _, stderr) = publish(&out3, &format!("{repo}:cut"), &[], &mut outputs);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("failed or broke off; run the command again"),
        "{stderr}"
    );
    assert!(stderr.contains("0.subunit"), "{stderr}");
    let first = proxy.log();
    // The record (new in every run, pushed before the stream, the largest).
    // (Its hex digits: the PUT's `digest=` has the colon URL-encoded.)
    let record_digest = refstack_tester::record::sha256_file(&out3.join("0.run.json"))
        .unwrap()
        .0
        .trim_start_matches("sha256:")
        .to_string();
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("PUT ") && l.contains(&record_digest)),
        "{first:?}"
    );
    // Again: the finished blob is not sent again, the rest is.
    proxy.set(Rule::Pass);
    let (code, stdout, stderr) = publish(&out3, &format!("{repo}:cut"), &[], &mut outputs);
    assert_eq!(code, 0, "{stderr}");
    let again = proxy.log();
    assert!(
        !again
            .iter()
            .any(|l| l.starts_with("PUT ") && l.contains(&record_digest)),
        "{again:?}"
    );
    assert!(
        again
            .iter()
            .any(|l| l.starts_with("HEAD ") && l.contains(&record_digest)),
        "{again:?}"
    );
    assert!(stderr.contains("already in the registry"), "{stderr}");
    let puts = again
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains("/blobs/uploads/"))
        .count();
    // Only the stream: the results JSON, tempest.conf, test list and config
    // are those of the earlier runs, the record was pushed before the break.
    assert_eq!(puts, 1, "{again:?}");
    // And what was published is whole.
    let (code, _, stderr) = run(
        bin()
            .arg("pull")
            .arg(format!("{repo}@{}", digest_of(&stdout)))
            .arg(dir.path().join("cut-pull")),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join("cut-pull/0.subunit")).unwrap(),
        std::fs::read(out3.join("0.subunit")).unwrap()
    );
}

#[test]
fn a_blob_that_does_not_match_its_digest_is_refused() {
    let Some(reg_bin) = registry_bin() else {
        return;
    };
    let registry = Registry::start(&reg_bin, None);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut outputs = Vec::new();
    make_run(dir.path(), &out, &[], &[], &mut outputs);
    let repo = format!("{}/refstack/runs", registry.host());
    let (code, stdout, stderr) = run(bin().arg("publish").arg(&out).arg(&repo), &mut outputs);
    assert_eq!(code, 0, "{stderr}");
    let digest = digest_of(&stdout);
    // Flip one byte of the stream's blob in the registry's storage.
    let (blob, _) = refstack_tester::record::sha256_file(&out.join("0.subunit")).unwrap();
    let hex = blob.trim_start_matches("sha256:");
    let data = registry
        .storage
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut bytes = std::fs::read(&data).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&data, &bytes).unwrap();

    let pulled = dir.path().join("pulled");
    let (code, _, stderr) = run(
        bin()
            .arg("pull")
            .arg(format!("{repo}@{digest}"))
            .arg(&pulled),
        &mut outputs,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("blob refused"), "{stderr}");
    assert!(stderr.contains(&blob), "{stderr}");
    // Nothing of the bad blob is kept, and no run is there to be used.
    assert!(!pulled.join("0.subunit").exists());
    assert!(!pulled.join(".0.subunit.partial").exists());
    let (code, _, stderr) = run(
        bin()
            .args(["report", "--guideline", "2020.06"])
            .arg(format!("oci://{repo}@{digest}")),
        &mut outputs,
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("blob refused"), "{stderr}");
    // A file changed after the run no longer matches its record.
    let list = std::fs::read(out.join("0.test-list")).unwrap();
    std::fs::write(out.join("0.test-list"), "changed\n").unwrap();
    let (code, _, stderr) = run(bin().arg("publish").arg(&out).arg(&repo), &mut outputs);
    assert_eq!(code, 1);
    assert!(stderr.contains("differs from the record's"), "{stderr}");
    std::fs::write(out.join("0.test-list"), list).unwrap();
    // The stream is not hashed before it is sent: the registry computes its
    // digest and refuses the record's, and no manifest is pushed.
    let mut stream = std::fs::read(out.join("0.subunit")).unwrap();
    stream[0] ^= 0x01;
    std::fs::write(out.join("0.subunit"), &stream).unwrap();
    let other = format!("{}/refstack/other", registry.host());
    let (code, stdout, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg(format!("{other}:changed")),
        &mut outputs,
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("no longer matches its run record"),
        "{stderr}"
    );
    let tags = {
        let mut s = TcpStream::connect(registry.addr).unwrap();
        write!(
            s,
            "GET /v2/refstack/other/tags/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    };
    assert!(!tags.contains("changed"), "{tags}");
}

/// Push a small image (one layer) to be a runner image; its digest.
fn push_runner_image(host: &str, repo: &str) -> String {
    use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
    let rt = tokio::runtime::Runtime::new().unwrap();
    refstack_tester::http::ensure_crypto_provider();
    rt.block_on(async {
        let client = oci_client::Client::new(ClientConfig {
            protocol: ClientProtocol::Http,
            ..ClientConfig::default()
        });
        let reference: oci_client::Reference = format!("{host}/{repo}:runner").parse().unwrap();
        let layer = ImageLayer::oci_v1(b"not really a tar".to_vec(), None);
        let config = Config::oci_v1(
            b"{\"architecture\":\"amd64\",\"os\":\"linux\"}".to_vec(),
            None,
        );
        client
            .push(
                &reference,
                &[layer],
                config,
                &oci_client::secrets::RegistryAuth::Anonymous,
                None,
            )
            .await
            .unwrap();
        client
            .fetch_manifest_digest(&reference, &oci_client::secrets::RegistryAuth::Anonymous)
            .await
            .unwrap()
    })
}

#[test]
fn runs_made_with_a_runner_image_are_listed_by_subject() {
    let Some(reg_bin) = registry_bin() else {
        return;
    };
    let registry = Registry::start(&reg_bin, None);
    let host = registry.host();
    let runner = push_runner_image(&host, "refstack/runs");
    let image = format!("{host}/refstack/runs@{runner}");
    let repo = format!("{host}/refstack/runs");
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    let mut digests = Vec::new();
    // Two runs in the image (flag, then environment), one without.
    for (i, how) in ["flag", "env", "none"].iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        match *how {
            "flag" => make_run(
                dir.path(),
                &out,
                &[],
                &["--runner-image", &image],
                &mut outputs,
            ),
            "env" => make_run(
                dir.path(),
                &out,
                &[("REFSTACK_RUNNER_IMAGE", &image)],
                &[],
                &mut outputs,
            ),
            _ => make_run(dir.path(), &out, &[], &[], &mut outputs),
        }
        let r = read_json(&out.join("0.run.json"));
        if *how == "none" {
            assert_eq!(r["runner"]["image"], serde_json::Value::Null);
        } else {
            assert_eq!(r["runner"]["image"], image.as_str());
        }
        let (code, stdout, stderr) = run(bin().arg("publish").arg(&out).arg(&repo), &mut outputs);
        assert_eq!(code, 0, "{stderr}");
        if *how != "none" {
            assert!(stderr.contains(&format!("subject: {runner}")), "{stderr}");
        }
        digests.push(digest_of(&stdout));
    }
    let manifest = get_manifest(&host, "refstack/runs", &digests[0]);
    assert_eq!(manifest["subject"]["digest"], runner.as_str());
    assert_eq!(
        manifest["subject"]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert!(manifest["subject"]["size"].as_u64().unwrap() > 100);
    // distribution 2.8 has no referrers API: the tag schema's index.
    let index = get_manifest(&host, "refstack/runs", &runner.replace(':', "-"));
    assert_eq!(index["manifests"].as_array().map(Vec::len), Some(2));

    let (code, stdout, stderr) = run(
        bin().arg("runs").arg(&repo).args(["--subject", &runner]),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let listed: Vec<&str> = stdout.lines().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(
        listed,
        [digests[0].as_str(), digests[1].as_str()],
        "{stdout}"
    );
    assert!(
        stdout.contains("guideline=2020.06 target=platform"),
        "{stdout}"
    );
    assert!(stdout.contains("compliant=false"), "{stdout}");
    let (code, stdout, _) = run(
        bin()
            .arg("runs")
            .arg(format!("oci://{repo}"))
            .args(["--subject", &runner, "--json"]),
        &mut outputs,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v[1]["digest"], digests[1].as_str());
    assert_eq!(
        v[1]["annotations"]["org.openstack.interop.cpid"],
        "f528764d624db129b32c21fbca0cb8d6"
    );
    // Another image: no run; not a digest: an error.
    let other = format!("sha256:{}", "0".repeat(64));
    let (code, stdout, _) = run(
        bin().arg("runs").arg(&repo).args(["--subject", &other]),
        &mut outputs,
    );
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, _, stderr) = run(
        bin().arg("runs").arg(&repo).args(["--subject", "latest"]),
        &mut outputs,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("not a sha256:<64 hex digits> digest"),
        "{stderr}"
    );
}

#[test]
fn a_run_whose_stream_holds_a_secret_is_not_published() {
    // No registry needed: publish refuses before it connects.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut outputs = Vec::new();
    make_run(
        dir.path(),
        &out,
        &[(
            "FAKE_TEMPEST_LEAK",
            " (logged in with AccountsPassw0rd-7f3)",
        )],
        &[],
        &mut outputs,
    );
    let r = read_json(&out.join("0.run.json"));
    assert_eq!(r["results"]["secrets_in_stream"], true);
    let (code, _, stderr) = run(
        bin()
            .arg("publish")
            .arg(&out)
            .arg("127.0.0.1:9/refstack/runs"),
        &mut outputs,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("contains a secret of the run's configuration"),
        "{stderr}"
    );
    assert!(
        stderr.contains("publish` will refuse")
            || outputs.windows(20).any(|w| w == b"publish` will refuse")
    );
}

#[test]
fn certify_lists_runs_uploads_and_publishes_in_one_command() {
    let Some(reg_bin) = registry_bin() else {
        return;
    };
    let registry = Registry::start(&reg_bin, None);
    let (fake, _rt) = common::start_background();
    let dir = tempfile::tempdir().unwrap();
    let conf = plant_cloud(dir.path());
    let out = dir.path().join("run");
    let repo = format!("{}/refstack/runs", registry.host());
    let mut outputs = Vec::new();
    let certify = |outputs: &mut Vec<u8>| {
        run(
            bin()
                .current_dir(dir.path())
                .args(["certify", "--guideline", "2099.01", "-c"])
                .arg(&conf)
                .arg("--tempest-bin")
                .arg(env!("CARGO_BIN_EXE_fake-tempest"))
                .arg("--url")
                .arg(fake.url("/api"))
                .arg("--output-dir")
                .arg(&out)
                .args(["--publish", &repo]),
            outputs,
        )
    };
    let (code, stdout, stderr) = certify(&mut outputs);
    // The server's list of 2099.01 passes on the fake Tempest: compliant.
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("Result: COMPLIANT"), "{stdout}");
    assert!(
        stdout.contains("URL: http://ui/#/results/0000-1111"),
        "{stdout}"
    );
    let digest = digest_of(&stdout);
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 1);
    let r = read_json(&out.join("0.run.json"));
    assert!(
        r["test_list"]["source"].as_str().unwrap().ends_with(
            "/v1/guidelines/2099.01/tests?target=platform&type=required&alias=true&flag=false"
        ),
        "{}",
        r["test_list"]
    );
    assert_eq!(r["test_list"]["types"], serde_json::json!(["required"]));
    assert_eq!(
        (&r["test_list"]["alias"], &r["test_list"]["flag"]),
        (&serde_json::json!(true), &serde_json::json!(false))
    );
    assert_eq!(r["guideline"]["id"], "2099.01");
    assert_eq!(r["guideline"]["source"], "server");
    assert_eq!(r["compliance"]["compliant"], true);
    // The published run is that directory.
    let manifest = get_manifest(&registry.host(), "refstack/runs", &digest);
    assert_eq!(
        manifest["annotations"]["org.openstack.interop.compliant"],
        "true"
    );
    assert_eq!(
        manifest["annotations"]["org.openstack.interop.guideline"],
        "2099.01"
    );
    // --json: one document, the test's and the artifact's.
    let (code, stdout, stderr) = run(
        bin()
            .current_dir(dir.path())
            .args(["certify", "--json", "--guideline", "2099.01", "-c"])
            .arg(&conf)
            .arg("--tempest-bin")
            .arg(env!("CARGO_BIN_EXE_fake-tempest"))
            .arg("--url")
            .arg(fake.url("/api"))
            .arg("--output-dir")
            .arg(dir.path().join("run-json"))
            .args(["--publish", &repo]),
        &mut outputs,
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(
        doc["test"]["upload"]["url"],
        "http://ui/#/results/0000-1111"
    );
    assert_eq!(doc["test"]["exit_code"], 0);
    assert!(
        doc["published"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        doc["test"]["record_file"]
            .as_str()
            .unwrap()
            .ends_with("0.run.json")
    );
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 2);
    // A directory that holds a run already: refused before anything runs.
    let (code, _, stderr) = certify(&mut outputs);
    assert_eq!(code, 2);
    assert!(stderr.contains("holds a run already"), "{stderr}");
    assert_eq!(fake.state.uploads.lock().unwrap().len(), 2);
    assert_no_secrets(&[&out, &registry.storage], &outputs, &[]);
}
