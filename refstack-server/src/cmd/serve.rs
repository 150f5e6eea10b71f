//! `refstack-server serve`.

use std::path::Path;

use anyhow::Context;
use refstack_server::{AppState, Config};

/// `--dev-login` lets anyone sign in as anyone: refused unless only this machine can
/// connect.
pub(crate) fn check_dev_login(cfg: &Config) -> anyhow::Result<()> {
    if cfg.dev_login && !cfg.listen.ip().is_loopback() {
        anyhow::bail!(
            "--dev-login (REFSTACK_DEV_LOGIN) lets anyone sign in as any user, so the server \
             must listen on a loopback address only (e.g. --listen 127.0.0.1:8000), not {}",
            cfg.listen
        );
    }
    Ok(())
}

/// Runs the server until SIGTERM / Ctrl-C.
pub(crate) async fn run(mut cfg: Config, config_file: Option<&Path>) -> anyhow::Result<()> {
    match config_file {
        Some(f) => tracing::info!(file = %f.display(), "configuration file"),
        None => tracing::info!("no configuration file; defaults and REFSTACK_* variables"),
    }
    check_dev_login(&cfg)?;
    let db = super::db::open_db(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    raise_open_file_limit();
    let limits = refstack_server::serve::ConnLimits::from_config(&cfg.connections);
    if cfg.ui_url.is_empty() {
        // This server's own URL, with the port actually bound (`:0`).
        cfg.ui_url = Config {
            listen: addr,
            ..Config::default()
        }
        .public_ui_url();
    }
    if cfg.api_url.is_empty() {
        cfg.api_url = cfg.public_api_url();
    }
    let state = AppState::new(cfg, db.clone());
    tracing::info!(
        guidelines = %state.guidelines.describe(),
        anonymous_upload = state.cfg.enable_anonymous_upload,
        "guideline sources"
    );
    tracing::info!(
        ui_url = %state.cfg.ui_url,
        "result links in upload answers point here (set ui_url / REFSTACK_UI_URL \
         to the public URL when clients reach this server under another name)"
    );
    tracing::info!(
        "listening on http://{addr}/v1 (also under {}/v1); web UI at http://{addr}/",
        state.cfg.api_prefix
    );
    if state.cfg.dev_login {
        tracing::warn!(
            "dev login is on: http://{addr}/v1/auth/signin signs in as any openid; never use it \
             on a shared machine"
        );
    }
    match (&state.cfg.oidc.enabled(), state.cfg.dev_login) {
        (true, _) => tracing::info!(
            issuer = %state.cfg.oidc.issuer_url,
            client_id = %state.cfg.oidc.client_id,
            redirect_url = %state.cfg.oidc_redirect_url(),
            "sign-in with OpenID Connect"
        ),
        (false, false) => tracing::info!("sign-in is not configured (set oidc.issuer_url)"),
        (false, true) => {}
    }
    let app = refstack_server::app(state);
    tracing::info!(
        max_connections = limits.max_connections,
        header_timeout_secs = limits.header_timeout.as_secs(),
        keepalive_timeout_secs = limits.keepalive_timeout.as_secs(),
        shutdown_grace_secs = limits.shutdown_grace.as_secs(),
        "connection limits"
    );
    refstack_server::serve::serve(
        listener,
        app,
        refstack_server::app::shutdown_signal(),
        limits,
    )
    .await?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Raises the soft open-file limit to the hard one (as most servers do), so
/// that the automatic connection cap is as high as the system allows.
fn raise_open_file_limit() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current < limit.maximum {
            let raised = rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::debug!(error = %e, "could not raise the open-file limit");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dev_login_needs_loopback() {
        let mut cfg = refstack_server::Config {
            dev_login: true,
            ..Default::default()
        };
        assert!(super::check_dev_login(&cfg).is_ok());
        cfg.listen = "[::1]:8000".parse().unwrap_or(cfg.listen);
        assert!(super::check_dev_login(&cfg).is_ok());
        cfg.listen = "0.0.0.0:8000".parse().unwrap_or(cfg.listen);
        let err = super::check_dev_login(&cfg).map(|()| "ok").unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        cfg.dev_login = false;
        assert!(super::check_dev_login(&cfg).is_ok());
    }
}
