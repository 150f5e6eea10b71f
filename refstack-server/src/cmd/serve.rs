//! `refstack-server serve`.

use std::path::Path;

use anyhow::Context;
use refstack_server::db::Db;
use refstack_server::{AppState, Config};

/// Connects to the configured database and applies pending migrations.
pub(crate) async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    let shown = redact(&cfg.database_url);
    let db = Db::connect(&cfg.database_url)
        .await
        .with_context(|| format!("cannot open database {shown}"))?;
    db.migrate()
        .await
        .with_context(|| format!("cannot migrate database {shown}"))?;
    tracing::info!(database = %shown, backend = %db.backend(), "database ready (migrated)");
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
pub(crate) async fn run(cfg: Config, config_file: Option<&Path>) -> anyhow::Result<()> {
    match config_file {
        Some(f) => tracing::info!(file = %f.display(), "configuration file"),
        None => tracing::info!("no configuration file; defaults and REFSTACK_* variables"),
    }
    let db = open_db(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(cfg, db.clone());
    tracing::info!(
        guidelines = %state.guidelines.describe(),
        anonymous_upload = state.cfg.enable_anonymous_upload,
        "guideline sources"
    );
    tracing::info!(
        "listening on http://{addr}/v1 (also under {}/v1)",
        state.cfg.api_prefix
    );
    let app = refstack_server::app(state);
    refstack_server::serve(listener, app, refstack_server::app::shutdown_signal()).await?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
