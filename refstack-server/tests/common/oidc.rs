//! The npm `oidc-provider` (a real, OpenID Certified provider) of the sign-in tests:
//! `tests/oidc/provider.mjs`, installed by `npm ci` in `tests/oidc`, found through
//! `REFSTACK_TEST_OIDC_DIR` (skipped without it, a failure with `REFSTACK_CI=1`).

use serde_json::json;

/// The npm provider, running until dropped.
pub struct NodeProvider {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub issuer: String,
}

impl Drop for NodeProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn node_provider(
    client_id: &str,
    client_secret: &str,
    redirect_uris: &[String],
    post_logout: &[String],
) -> Option<NodeProvider> {
    let Some(dir) = std::env::var_os("REFSTACK_TEST_OIDC_DIR") else {
        if std::env::var("REFSTACK_CI").is_ok_and(|v| v == "1") {
            panic!(
                "REFSTACK_CI=1 but REFSTACK_TEST_OIDC_DIR is unset (.ci/oidc.sh installs the provider)"
            );
        }
        eprintln!(
            "skipping: set REFSTACK_TEST_OIDC_DIR to refstack-server/tests/oidc after `npm ci` there"
        );
        return None;
    };
    let dir = std::path::PathBuf::from(dir);
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "{}: run `npm ci` there first",
        dir.display()
    );
    let cfg = json!({
        "client_id": client_id, "client_secret": client_secret,
        "redirect_uris": redirect_uris, "post_logout_redirect_uris": post_logout,
    });
    let mut child = std::process::Command::new("node")
        .arg(dir.join("provider.mjs"))
        .env("OIDC_TEST_CONFIG", cfg.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("node");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(p) = line.strip_prefix("listening ") {
                let _ = tx.send(p.trim().to_owned());
            }
        }
    });
    let port = tokio::task::spawn_blocking(move || {
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    assert!(!port.is_empty(), "the provider did not start");
    Some(NodeProvider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    })
}
