//! `refstack-server serve`.

use std::path::Path;

use anyhow::Context;
use refstack_server::db::Db;
use refstack_server::{AppState, Config};

/// The absolute path of a file-backed SQLite URL, for the startup log.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    let path = std::path::Path::new(path);
    Some(if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().ok()?.join(path)
    })
}

/// Connects to the configured database and applies pending migrations.
pub(crate) async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    let shown = redact(&cfg.database_url);
    let db = Db::connect(&cfg.database_url)
        .await
        .with_context(|| format!("cannot open database {shown}"))?;
    db.migrate()
        .await
        .with_context(|| format!("cannot migrate database {shown}"))?;
    match sqlite_file(&cfg.database_url) {
        Some(file) => tracing::info!(file = %file.display(), "database ready (SQLite, migrated)"),
        None => {
            tracing::info!(database = %shown, backend = %db.backend(), "database ready (migrated)")
        }
    }
    Ok(db)
}

/// Hides the password of a database URL for logs.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs the server until SIGTERM / Ctrl-C.
pub(crate) async fn run(mut cfg: Config, config_file: Option<&Path>) -> anyhow::Result<()> {
    match config_file {
        Some(f) => tracing::info!(file = %f.display(), "configuration file"),
        None => tracing::info!("no configuration file; defaults and REFSTACK_* variables"),
    }
    let db = open_db(&cfg).await?;
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
    let state = AppState::new(cfg, db.clone());
    tracing::info!(
        guidelines = %state.guidelines.describe(),
        anonymous_upload = state.cfg.enable_anonymous_upload,
        "guideline sources"
    );
    tracing::info!(
        "listening on http://{addr}/v1 (also under {}/v1); web UI at http://{addr}/",
        state.cfg.api_prefix
    );
    tracing::info!(
        ui_url = %state.cfg.ui_url,
        "result links in upload answers point here (set ui_url / REFSTACK_UI_URL \
         to the public URL when clients reach this server under another name)"
    );
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
    fn sqlite_paths_for_the_log() {
        assert!(super::sqlite_file("sqlite::memory:").is_none());
        assert!(super::sqlite_file("postgres://h/db").is_none());
        assert_eq!(
            super::sqlite_file("sqlite:///var/x.db?mode=rwc"),
            Some(std::path::PathBuf::from("/var/x.db"))
        );
        assert!(super::sqlite_file("sqlite://rel/x.db").is_some_and(|p| p.is_absolute()));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
