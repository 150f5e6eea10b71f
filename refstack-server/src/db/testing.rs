//! Throwaway, migrated databases on every available backend, for tests (not a public API).
//!
//! ```no_run
//! # async fn demo() {
//! for db in refstack_server::db::testing::databases().await {
//!     // `db` derefs to `Db`; `db.label()` names the backend in assertion messages.
//!     refstack_server::db::users::list(&db).await.unwrap_or_else(|e| panic!("{}: {e}", db.label()));
//! }
//! # }
//! ```
//!
//! * SQLite: always, a fresh file in the temp directory (removed on drop).
//! * PostgreSQL: when `REFSTACK_TEST_POSTGRES_URL` is set (an account that may create
//!   databases), a new database `refstack_test_<unix secs>_<pid>_<n>` on that server.
//! * MariaDB/MySQL: the same with `REFSTACK_TEST_MYSQL_URL`.
//!
//! Server databases are dropped when the [`TestDb`] is dropped; databases of this naming
//! scheme older than one hour (left over by killed test runs) are dropped on first use.
//! With `REFSTACK_CI=1`, a missing URL is a panic instead of a skip.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, MySqlConnection, PgConnection, Row};

use super::{Backend, Db};

/// Environment variable with the PostgreSQL admin URL.
pub const POSTGRES_ENV: &str = "REFSTACK_TEST_POSTGRES_URL";
/// Environment variable with the MySQL/MariaDB admin URL.
pub const MYSQL_ENV: &str = "REFSTACK_TEST_MYSQL_URL";

const PREFIX: &str = "refstack_test_";
const STALE_AFTER: Duration = Duration::from_secs(3600);

static COUNTER: AtomicU64 = AtomicU64::new(0);
static PG_SWEPT: AtomicBool = AtomicBool::new(false);
static MYSQL_SWEPT: AtomicBool = AtomicBool::new(false);

/// A migrated throwaway database; derefs to [`Db`]. Dropping it deletes the database.
#[derive(Debug)]
pub struct TestDb {
    db: Db,
    label: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Server {
        backend: Backend,
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// The database handle.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// `sqlite`, `postgres` or `mysql`, plus the database name, for assertion messages.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Unwraps a result of a database call, naming the backend in the panic
/// message, so that a failure in a three-backend loop says where.
pub trait OnDb<T> {
    /// The value, or a panic `[<backend label>] <error>`.
    fn on(self, db: &TestDb) -> T;
}

impl<T, E: std::fmt::Display> OnDb<T> for Result<T, E> {
    fn on(self, db: &TestDb) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("[{}] {e}", db.label()),
        }
    }
}

impl Deref for TestDb {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Server {
                backend,
                admin_url,
                name,
            } => {
                // Drop cannot await, and the test's runtime may be single-threaded: drop
                // the database from a helper thread with its own runtime.
                let (backend, admin_url, name) = (*backend, admin_url.clone(), name.clone());
                let outcome = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    runtime.block_on(drop_database(backend, &admin_url, &name))
                })
                .join();
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!("warning: could not drop test database: {e}"),
                    Err(_) => eprintln!("warning: dropping the test database panicked"),
                }
            }
        }
    }
}

/// Fresh migrated databases: SQLite always, PostgreSQL and MariaDB when configured.
pub async fn databases() -> Vec<TestDb> {
    databases_up_to(None).await
}

/// Like [`databases`], but with only the migrations up to `version` applied (e.g. `1`: the
/// initial schema), to test what a later migration does to existing rows. Call
/// [`Db::migrate`] to apply the rest.
pub async fn databases_at(version: i64) -> Vec<TestDb> {
    databases_up_to(Some(version)).await
}

async fn databases_up_to(version: Option<i64>) -> Vec<TestDb> {
    let mut all = vec![sqlite_up_to(version).await];
    if let Some(admin) = admin_url(POSTGRES_ENV) {
        all.push(server_database(Backend::Postgres, admin, &PG_SWEPT, version).await);
    }
    if let Some(admin) = admin_url(MYSQL_ENV) {
        all.push(server_database(Backend::MySql, admin, &MYSQL_SWEPT, version).await);
    }
    all
}

/// Applies the migrations of `db`'s dialect up to `version` that are not applied yet: with
/// [`databases_at`], steps a database through the migrations one at a time.
pub async fn migrate_to(db: &Db, version: i64) -> Result<(), super::DbError> {
    migrate_up_to(db, Some(version)).await
}

/// Applies the migrations of `db`'s dialect up to `version` (all of them for `None`).
async fn migrate_up_to(db: &Db, version: Option<i64>) -> Result<(), super::DbError> {
    let Some(version) = version else {
        return db.migrate().await;
    };
    let migrations = super::migrator(db.backend())
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    let migrator = sqlx::migrate::Migrator::with_migrations(migrations);
    match &db.pool {
        super::Pool::Sqlite(p) => migrator.run(db.sqlite_writer.as_ref().unwrap_or(p)).await?,
        super::Pool::Postgres(p) => migrator.run(p).await?,
        super::Pool::MySql(p) => migrator.run(p).await?,
    }
    Ok(())
}

fn unique_suffix() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "{secs}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh migrated SQLite database in a temp file.
pub async fn sqlite() -> TestDb {
    sqlite_up_to(None).await
}

async fn sqlite_up_to(version: Option<i64>) -> TestDb {
    let path = std::env::temp_dir().join(format!("refstack_test_{}.sqlite", unique_suffix()));
    let url = format!("sqlite:{}", path.display());
    let db = Db::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open test database {url}: {e}"));
    migrate_up_to(&db, version)
        .await
        .unwrap_or_else(|e| panic!("cannot migrate test database {url}: {e}"));
    TestDb {
        db,
        label: format!("sqlite ({})", path.display()),
        cleanup: Cleanup::File(path),
    }
}

fn admin_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("REFSTACK_CI").is_ok_and(|v| v == "1") {
                panic!("REFSTACK_CI=1 but {var} is unset: the three-backend suite needs it");
            }
            // Once per test that asks (not once per process), straight to
            // stderr past the harness's capture: a backend that did not run
            // must not pass silently as `ok`.
            use std::io::Write as _;
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let _ = std::io::stderr().write_all(
                format!("SKIPPED {test}: {var} is unset (that database backend was not tested)\n")
                    .as_bytes(),
            );
            None
        }
    }
}

/// A fresh migrated PostgreSQL database, or `None` when `REFSTACK_TEST_POSTGRES_URL` is unset.
pub async fn postgres() -> Option<TestDb> {
    let admin = admin_url(POSTGRES_ENV)?;
    Some(server_database(Backend::Postgres, admin, &PG_SWEPT, None).await)
}

/// A fresh migrated MariaDB/MySQL database, or `None` when `REFSTACK_TEST_MYSQL_URL` is unset.
pub async fn mysql() -> Option<TestDb> {
    let admin = admin_url(MYSQL_ENV)?;
    Some(server_database(Backend::MySql, admin, &MYSQL_SWEPT, None).await)
}

async fn server_database(
    backend: Backend,
    admin_url: String,
    swept: &AtomicBool,
    version: Option<i64>,
) -> TestDb {
    if !swept.swap(true, Ordering::Relaxed)
        && let Err(e) = sweep_stale(backend, &admin_url).await
    {
        eprintln!("warning: could not remove stale {backend} test databases: {e}");
    }
    let name = format!("{PREFIX}{}", unique_suffix());
    let create = match backend {
        Backend::MySql => {
            format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        }
        _ => format!("CREATE DATABASE {name}"),
    };
    admin_execute(backend, &admin_url, &create)
        .await
        .unwrap_or_else(|e| panic!("cannot create {backend} test database {name}: {e}"));
    let url = url_with_database(&admin_url, &name);
    let db = Db::connect_with(
        &url,
        &super::DbOptions {
            max_connections: 4,
            ..super::DbOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("cannot connect to {backend} test database {name}: {e}"));
    let cleanup = Cleanup::Server {
        backend,
        admin_url,
        name: name.clone(),
    };
    let test_db = TestDb {
        db,
        label: format!("{backend} ({name})"),
        cleanup,
    };
    migrate_up_to(&test_db.db, version)
        .await
        .unwrap_or_else(|e| panic!("cannot migrate {backend} test database {name}: {e}"));
    test_db
}

/// `url` with its path (database name) replaced by `name`.
fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

async fn admin_execute(backend: Backend, admin_url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::connect(admin_url).await?;
            conn.execute(sql).await?;
            conn.close().await
        }
        Backend::MySql => {
            let mut conn = MySqlConnection::connect(&super::mysql_url(admin_url)).await?;
            conn.execute(sql).await?;
            conn.close().await
        }
        Backend::Sqlite => Ok(()),
    }
}

/// Drops a test database, first ending the sessions the test's pool may still hold (a
/// session left inside a transaction by a failed test would block `DROP DATABASE`).
async fn drop_database(backend: Backend, admin_url: &str, name: &str) -> Result<(), String> {
    let failed = |e: sqlx::Error| format!("{backend} {name}: {e}");
    match backend {
        // FORCE (PostgreSQL 13+) terminates the other sessions.
        Backend::Postgres => admin_execute(
            backend,
            admin_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await
        .map_err(failed),
        Backend::MySql => {
            let mut conn = MySqlConnection::connect(&super::mysql_url(admin_url))
                .await
                .map_err(failed)?;
            let sessions = conn
                .fetch_all(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(id AS SIGNED) AS id FROM information_schema.processlist \
                     WHERE db = '{name}' AND id <> CONNECTION_ID()"
                )))
                .await
                .map_err(failed)?;
            for session in sessions {
                if let Ok(id) = session.try_get::<i64, _>("id") {
                    // The session may have ended meanwhile.
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!("KILL {id}")))
                        .await;
                }
            }
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .await
            .map_err(failed)?;
            conn.close().await.map_err(failed)
        }
        Backend::Sqlite => Ok(()),
    }
}

/// Drops databases named `refstack_test_<secs>_...` created more than an hour ago.
async fn sweep_stale(backend: Backend, admin_url: &str) -> Result<(), sqlx::Error> {
    let names: Vec<String> = match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::connect(admin_url).await?;
            let rows = conn
                .fetch_all("SELECT datname::text AS name FROM pg_database")
                .await?;
            conn.close().await?;
            rows.iter().filter_map(|r| r.try_get("name").ok()).collect()
        }
        Backend::MySql => {
            let mut conn = MySqlConnection::connect(&super::mysql_url(admin_url)).await?;
            let rows = conn
                .fetch_all(
                    "SELECT CAST(schema_name AS CHAR) AS name FROM information_schema.schemata",
                )
                .await?;
            conn.close().await?;
            rows.iter().filter_map(|r| r.try_get("name").ok()).collect()
        }
        Backend::Sqlite => Vec::new(),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    for name in names {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(Ok(created)) = rest.split('_').next().map(str::parse::<u64>) else {
            continue;
        };
        if now.saturating_sub(created) > STALE_AFTER.as_secs()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && let Err(e) = drop_database(backend, admin_url, &name).await
        {
            eprintln!("warning: {e}");
        }
    }
    Ok(())
}

/// The column names of `table` (sorted), read from the database's catalog; lets tests pin
/// the schema of every dialect to upstream's data model.
pub async fn columns(db: &Db, table: &str) -> Vec<String> {
    let fetched: Result<Vec<String>, sqlx::Error> = match &db.pool {
        super::Pool::Sqlite(pool) => {
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(pool)
                .await
        }
        super::Pool::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(table)
            .fetch_all(pool)
            .await
        }
        super::Pool::MySql(pool) => {
            sqlx::query_scalar(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = ?",
            )
            .bind(table)
            .fetch_all(pool)
            .await
        }
    };
    let mut names = fetched.unwrap_or_else(|e| panic!("cannot read the columns of {table}: {e}"));
    names.sort();
    names
}

/// Runs one SQL statement given verbatim (no placeholders; write it in the dialect of
/// `db`), for tests that inspect or prepare rows directly. Panics on failure.
pub async fn execute(db: &Db, sql: &str) -> u64 {
    let text = sqlx::AssertSqlSafe(sql.to_owned());
    let done = match &db.pool {
        super::Pool::Sqlite(p) => {
            let p = db.sqlite_writer.as_ref().unwrap_or(p);
            p.execute(text).await.map(|r| r.rows_affected())
        }
        super::Pool::Postgres(p) => p.execute(text).await.map(|r| r.rows_affected()),
        super::Pool::MySql(p) => p.execute(text).await.map(|r| r.rows_affected()),
    };
    done.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The first column of the first row of a query returning one integer (e.g. a `COUNT(*)`),
/// given verbatim as for [`execute`]. Panics on failure.
pub async fn scalar_i64(db: &Db, sql: &str) -> i64 {
    let text = sqlx::AssertSqlSafe(sql.to_owned());
    let fetched: Result<i64, sqlx::Error> = match &db.pool {
        super::Pool::Sqlite(p) => sqlx::query_scalar(text).fetch_one(p).await,
        super::Pool::Postgres(p) => sqlx::query_scalar(text).fetch_one(p).await,
        super::Pool::MySql(p) => sqlx::query_scalar(text).fetch_one(p).await,
    };
    fetched.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The name of each index on `table` with the columns it covers (in index order) and
/// whether it is unique, sorted by name; primary keys are left out.
pub async fn indexes(db: &Db, table: &str) -> Vec<(String, Vec<String>, bool)> {
    let fetched: Result<Vec<(String, String, bool)>, sqlx::Error> = match &db.pool {
        super::Pool::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT il.name, group_concat(ii.name, ','), il.\"unique\" \
                 FROM pragma_index_list($1) il, pragma_index_info(il.name) ii \
                 WHERE il.origin <> 'pk' GROUP BY il.name ORDER BY il.name",
            )
            .bind(table)
            .fetch_all(pool)
            .await
        }
        super::Pool::Postgres(pool) => {
            sqlx::query_as(
                "SELECT c.relname::text, string_agg(a.attname::text, ',' ORDER BY k.n), \
                 i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                 WHERE i.indrelid = $1::regclass AND NOT i.indisprimary \
                 GROUP BY c.relname, i.indisunique ORDER BY c.relname",
            )
            .bind(format!("\"{table}\""))
            .fetch_all(pool)
            .await
        }
        super::Pool::MySql(pool) => {
            sqlx::query_as(
                "SELECT CAST(index_name AS CHAR), \
                 CAST(GROUP_CONCAT(column_name ORDER BY seq_in_index) AS CHAR), \
                 MIN(non_unique) = 0 FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = ? \
                 AND index_name <> 'PRIMARY' GROUP BY index_name ORDER BY index_name",
            )
            .bind(table)
            .fetch_all(pool)
            .await
        }
    };
    fetched
        .unwrap_or_else(|e| panic!("cannot read the indexes of {table}: {e}"))
        .into_iter()
        .map(|(name, columns, unique)| {
            (
                name,
                columns.split(',').map(str::to_owned).collect(),
                unique,
            )
        })
        .collect()
}

/// How many foreign keys `table` declares (read from the database's catalog).
pub async fn foreign_keys(db: &Db, table: &str) -> i64 {
    let fetched: Result<i64, sqlx::Error> = match &db.pool {
        super::Pool::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_list($1)")
                .bind(table)
                .fetch_one(pool)
                .await
        }
        super::Pool::Postgres(pool) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass",
        )
        .bind(format!("\"{table}\""))
        .fetch_one(pool)
        .await,
        super::Pool::MySql(pool) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.referential_constraints \
                 WHERE constraint_schema = DATABASE() AND table_name = ?",
            )
            .bind(table)
            .fetch_one(pool)
            .await
        }
    };
    fetched.unwrap_or_else(|e| panic!("cannot read the foreign keys of {table}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(
            url_with_database("postgres://u:p@127.0.0.1:5432/postgres", "x"),
            "postgres://u:p@127.0.0.1:5432/x"
        );
        assert_eq!(
            url_with_database("mysql://u:p@h:3306/mysql?ssl-mode=disabled", "x"),
            "mysql://u:p@h:3306/x?ssl-mode=disabled"
        );
        assert_eq!(url_with_database("mysql://u@h", "x"), "mysql://u@h/x");
    }
}
