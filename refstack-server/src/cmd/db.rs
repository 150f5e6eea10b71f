//! Opening the configured database for a subcommand: a SQLite file that
//! does not exist is refused unless creating it was asked for (`--create`,
//! or `serve` on the default embedded database), so that a mistyped
//! `--database-url` does not create and migrate a new, empty database.

use anyhow::Context;
use refstack_server::Config;
use refstack_server::db::Db;

/// Refuses a SQLite database file that does not exist unless `create`.
pub(crate) fn ensure_exists(cfg: &Config, create: bool) -> anyhow::Result<()> {
    if create {
        return Ok(());
    }
    if let Some(file) = sqlite_file(&cfg.database_url)
        && !file.exists()
    {
        anyhow::bail!(
            "the database {} does not exist (database URL {}); check --database-url / \
             REFSTACK_DATABASE_URL, or pass --create to create and migrate a new one",
            file.display(),
            cfg.database_url
        );
    }
    Ok(())
}

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

    #[test]
    fn missing_sqlite_files_are_refused_unless_created() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = refstack_server::Config {
            database_url: format!("sqlite://{}/typo.sqlite", dir.path().display()),
            ..Default::default()
        };
        let err = super::ensure_exists(&cfg, false).unwrap_err().to_string();
        assert!(err.contains("typo.sqlite does not exist"), "{err}");
        assert!(err.contains("--create"), "{err}");
        super::ensure_exists(&cfg, true).unwrap();
        cfg.database_url = "sqlite::memory:".into();
        super::ensure_exists(&cfg, false).unwrap();
        cfg.database_url = "postgres://u@h/db".into();
        super::ensure_exists(&cfg, false).unwrap();
    }
}
