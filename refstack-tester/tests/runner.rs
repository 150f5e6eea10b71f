//! Runner images: `runner init` (pins refused unless commits), and the
//! whole path with real podman and a real registry: an image `FROM
//! scratch` holding the tester, the fake Tempest and the shared libraries
//! they need is built and pushed with `runner build`, run with `runner run`
//! (the cloud's files mounted read-only), its run published, and listed by
//! the image's digest. Needs `REFSTACK_TEST_PODMAN_BIN` and
//! `REFSTACK_TEST_REGISTRY_BIN`; `REFSTACK_TEST_CONTAINER_RUNTIME` (`runc`
//! where podman's default `crun` fails) is passed on.

#![cfg(feature = "fake-tempest")]

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn bin() -> Command {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("refstack-tester");
    c.env_remove("REFSTACK_URL")
        .env("REFSTACK_TESTER_CONFIG", "/nonexistent/config.toml")
        .env_remove("REFSTACK_RUNNER_IMAGE")
        .env_remove("REFSTACK_TEST_SUITES")
        .env("REGISTRY_AUTH_FILE", "/nonexistent/auth.json")
        .env("DOCKER_CONFIG", "/nonexistent");
    c
}

/// A variable the test needs, or `None` after a `SKIPPED` line (a failure
/// under `REFSTACK_CI=1`).
fn needed(var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("REFSTACK_CI").as_deref() == Ok("1") => {
            panic!("{var} is not set (required under REFSTACK_CI=1)")
        }
        None => {
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let _ = std::io::stderr()
                .write_all(format!("SKIPPED {test}: {var} is unset ({what})\n").as_bytes());
            None
        }
    }
}

#[test]
fn init_pins_suites_and_refuses_branches() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("runner");
    // A branch name: refused, nothing written.
    let out = bin()
        .args(["runner", "init"])
        .arg(&ctx)
        .args(["--tempest", "https://opendev.org/openstack/tempest@master"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'master' is not a commit id"), "{err}");
    assert!(err.contains("--allow-unpinned"), "{err}");
    assert!(!ctx.exists());
    // A plugin on a tag: refused too.
    let out = bin()
        .args(["runner", "init"])
        .arg(&ctx)
        .arg("--tempest")
        .arg(format!("https://opendev.org/openstack/tempest@{COMMIT}"))
        .args([
            "--plugin",
            "https://opendev.org/openstack/designate-tempest-plugin@0.21.0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Commits: the Containerfile, the spec, the suites and the tester.
    let out = bin()
        .args(["runner", "init"])
        .arg(&ctx)
        .arg("--tempest")
        .arg(format!("https://opendev.org/openstack/tempest@{COMMIT}"))
        .arg("--plugin")
        .arg(format!(
            "dns=https://opendev.org/openstack/designate-tempest-plugin@{}",
            "f".repeat(40)
        ))
        .args(["--base", "registry.example/python-tempest:3.12"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let containerfile = std::fs::read_to_string(ctx.join("Containerfile")).unwrap();
    assert!(containerfile.contains("FROM registry.example/python-tempest:3.12\n"));
    assert!(containerfile.contains(&format!(
        "test \"$(git -C /opt/refstack/src/tempest rev-parse HEAD)\" = '{COMMIT}'"
    )));
    assert!(containerfile.contains("/opt/refstack/src/dns"));
    let suites: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ctx.join("suites.json")).unwrap()).unwrap();
    assert_eq!(suites[0]["commit"], COMMIT);
    assert_eq!(suites[1]["name"], "dns");
    assert!(ctx.join("refstack-tester").is_file());
    let spec = std::fs::read_to_string(ctx.join("runner.toml")).unwrap();
    assert!(spec.contains(COMMIT), "{spec}");
    // A spec edited to a branch is refused by `runner build` before podman.
    std::fs::write(ctx.join("runner.toml"), spec.replace(COMMIT, "master")).unwrap();
    let out = bin()
        .args(["runner", "build"])
        .arg(&ctx)
        .args(["--engine", "/nonexistent/podman"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'master' is not a commit id, and allow_unpinned is not set"),
        "{err}"
    );
    // --allow-unpinned: accepted, and said in the spec.
    let out = bin()
        .args(["runner", "init"])
        .arg(dir.path().join("loose"))
        .args([
            "--tempest",
            "https://opendev.org/openstack/tempest@master",
            "--allow-unpinned",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let spec = std::fs::read_to_string(dir.path().join("loose/runner.toml")).unwrap();
    assert!(spec.contains("allow_unpinned = true"), "{spec}");
}

/// A loopback docker-registry (anonymous).
struct Registry {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry(bin: &Path) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  \
             filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("storage").display()
        ),
    )
    .unwrap();
    let child = StdCommand::new(bin)
        .arg("serve")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "docker-registry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Registry {
        child,
        addr,
        _dir: dir,
    }
}

/// Images this test made, removed from podman's storage when it ends
/// (panics included).
struct Images {
    podman: PathBuf,
    names: Vec<String>,
}

impl Drop for Images {
    fn drop(&mut self) {
        if !self.names.is_empty() {
            let _ = StdCommand::new(&self.podman)
                .args(["rmi", "--force"])
                .args(&self.names)
                .output();
        }
    }
}

/// Copy `exe` and every shared library `ldd` names into `root`, at their paths.
fn copy_with_libraries(exe: &Path, inside: &str, root: &Path) {
    let dest = root.join(inside.trim_start_matches('/'));
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(exe, &dest).unwrap();
    let out = StdCommand::new("ldd").arg(exe).output().unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.trim().split(' ').next().unwrap_or(""),
            None => line.trim().split(' ').next().unwrap_or(""),
        };
        if path.starts_with('/') {
            let to = root.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(path, &to).unwrap();
        }
    }
}

#[test]
fn a_scratch_runner_image_is_built_run_and_its_run_published() {
    let Some(podman) = needed("REFSTACK_TEST_PODMAN_BIN", "podman, for runner images") else {
        return;
    };
    let Some(registry_bin) = needed("REFSTACK_TEST_REGISTRY_BIN", "the OCI registry") else {
        return;
    };
    let runtime = std::env::var("REFSTACK_TEST_CONTAINER_RUNTIME").ok();
    let registry = start_registry(&registry_bin);
    let host = registry.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    // podman reads REGISTRY_AUTH_FILE too, and wants it to exist.
    let auth = dir.path().join("auth.json");
    std::fs::write(&auth, "{\"auths\": {}}\n").unwrap();

    // The build context: `runner init`'s suites, and a FROM scratch
    // Containerfile (no base image can be pulled here).
    let ctx = dir.path().join("ctx");
    let out = bin()
        .args(["runner", "init"])
        .arg(&ctx)
        .arg("--tempest")
        .arg(format!("https://opendev.org/openstack/tempest@{COMMIT}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = ctx.join("rootfs");
    copy_with_libraries(
        Path::new(env!("CARGO_BIN_EXE_refstack-tester")),
        "/usr/local/bin/refstack-tester",
        &root,
    );
    copy_with_libraries(
        Path::new(env!("CARGO_BIN_EXE_fake-tempest")),
        "/usr/local/bin/tempest",
        &root,
    );
    std::fs::create_dir_all(root.join("etc/refstack")).unwrap();
    std::fs::copy(
        ctx.join("suites.json"),
        root.join("etc/refstack/suites.json"),
    )
    .unwrap();
    // The tester's HTTP client wants the system's CA certificates.
    std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        root.join("etc/ssl/certs/ca-certificates.crt"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::create_dir_all(root.join("work")).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin\nENV REFSTACK_TEST_SUITES=/etc/refstack/suites.json\nWORKDIR /work\nENTRYPOINT [\"/usr/local/bin/refstack-tester\"]\n",
    )
    .unwrap();
    let mut engine_args = vec!["--engine".to_string(), podman.display().to_string()];
    if let Some(r) = &runtime {
        engine_args.extend(["--runtime".to_string(), r.clone()]);
    }
    let tag = format!("localhost/refstack-runner-test:{}", std::process::id());
    let mut images = Images {
        podman: podman.clone(),
        names: vec![tag.clone()],
    };
    let out = bin()
        .args(["runner", "build"])
        .arg(&ctx)
        .args(["--tag", &tag, "--push", &format!("{host}/refstack/runner")])
        .env("REGISTRY_AUTH_FILE", &auth)
        .args(&engine_args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let image = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Image: "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    // buildah builds the same context too (`buildah bud`).
    if let Some(buildah) = needed("REFSTACK_TEST_BUILDAH_BIN", "buildah, for runner images") {
        let btag = format!(
            "localhost/refstack-runner-test-buildah:{}",
            std::process::id()
        );
        images.names.push(btag.clone());
        let out = bin()
            .args(["runner", "build"])
            .arg(&ctx)
            .args(["--tag", &btag, "--engine"])
            .arg(&buildah)
            .env("REGISTRY_AUTH_FILE", &auth)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.starts_with(&format!("Built {btag} ")), "{text}");
    }
    // The image `runner run` pulls by digest is another name to remove.
    images.names.push(image.clone());
    let image_digest = image.rsplit_once('@').unwrap().1.to_string();
    assert!(
        image.starts_with(&format!("{host}/refstack/runner@sha256:")),
        "{image}"
    );

    // The cloud: secrets in tempest.conf and the accounts file, mounted.
    let cloud = dir.path().join("cloud");
    std::fs::create_dir_all(&cloud).unwrap();
    let accounts = cloud.join("accounts.yaml");
    std::fs::write(
        &accounts,
        "- username: runner-user-77\n  project_name: p\n  password: RunnerPassw0rd-55\n",
    )
    .unwrap();
    let conf = cloud.join("tempest.conf");
    std::fs::write(
        &conf,
        format!(
            "[identity]\nuri_v3 = http://127.0.0.1:9/v3\nadmin_password = RunnerAdmin-99\n[auth]\ntest_accounts_file = {}\n",
            accounts.display()
        ),
    )
    .unwrap();
    let list = cloud.join("list.txt");
    std::fs::write(
        &list,
        "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f12046b-753d-40d2-abb6-d8eb8b30cb2f]\n\
         tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details[id-5de47127-9977-400a-936f-abcfbec1218f]\n",
    )
    .unwrap();
    let results = dir.path().join("results");
    let runs_repo = format!("{host}/refstack/runs");
    let mut cmd = bin();
    cmd.env("REGISTRY_AUTH_FILE", &auth)
        .args(["runner", "run", &image, "-c"])
        .arg(&conf)
        .arg("--test-list")
        .arg(&list)
        .arg("--output-dir")
        .arg(&results)
        .args(["--publish", &runs_repo])
        .args(&engine_args)
        .args([
            "--podman-arg=--tls-verify=false",
            "--podman-arg=--ulimit=nofile=1024:1024",
            "--podman-arg=--ulimit=nproc=1000:1000",
            "--",
            "--guideline",
            "2020.06",
        ]);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    // One listed test fails: the tester's exit status 1, passed on.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let digest = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("{stdout}\n{stderr}"))
        .to_string();

    // The record: the image by digest, Tempest's pinned commit.
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(results.join("0.run.json")).unwrap()).unwrap();
    assert_eq!(record["runner"]["image"], image.as_str());
    assert_eq!(record["test_suites"][0]["name"], "tempest");
    assert_eq!(record["test_suites"][0]["version"], "40.0.0");
    assert_eq!(record["test_suites"][0]["commit"], COMMIT);
    assert_eq!(record["compliance"]["guideline"], "2020.06");
    // No secret in the results, nor in the image's build context.
    let mut written = Vec::new();
    for d in [&results, &ctx] {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().is_file() {
                written.push(std::fs::read(e.path()).unwrap());
            }
        }
    }
    for secret in ["RunnerPassw0rd-55", "runner-user-77", "RunnerAdmin-99"] {
        for bytes in &written {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret}"
            );
        }
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret}"
        );
    }

    // The run is listed by the image's digest.
    let out = bin()
        .args(["runs", &runs_repo, "--subject", &image_digest])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(listed.starts_with(&digest), "{listed}");
}
