//! Starting and stopping the two servers under test.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::http::{Request, send_once};
use super::payload::SigningKey;
use super::{run_tool, tool_output};

/// The openid of the benchmark user who owns the signing key.
pub(crate) const BENCH_OPENID: &str = "https://openstackid.org/refstack.loadbench";

/// A child process stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Spawns `cmd` with stdout and stderr appended to `log`.
    pub(crate) fn spawn(name: &str, cmd: &mut Command, log: &Path) -> anyhow::Result<Self> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {name}: {cmd:?}"))?;
        Ok(Proc {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        })
    }

    /// Fails (with the end of the log) if the process has exited.
    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited with {status}; end of {}:\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log)
            );
        }
        Ok(())
    }

    /// Waits until `GET path` on `addr` answers 200.
    pub(crate) fn wait_ready(&mut self, addr: SocketAddr, path: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(90);
        let req = Request::get(addr, path);
        loop {
            self.check_alive()?;
            match send_once(addr, &req) {
                Ok(resp) if resp.status == 200 => return Ok(()),
                _ if Instant::now() > deadline => bail!(
                    "{} did not answer 200 on {path} within 90 s; end of {}:\n{}",
                    self.name,
                    self.log.display(),
                    log_tail(&self.log)
                ),
                _ => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A free loopback port (bound, then released).
pub(crate) fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The parts of a `scheme://user:password@host:port/db` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DbUrl {
    pub(crate) scheme: String,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl DbUrl {
    /// Parses a database URL (the database name and query are dropped).
    pub(crate) fn parse(url: &str, default_port: u16) -> anyhow::Result<Self> {
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!("database URL {url:?} has no scheme");
        };
        let rest = rest.split(['/', '?']).next().unwrap_or_default();
        let (auth, hostport) = rest.rsplit_once('@').unwrap_or(("", rest));
        let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().with_context(|| format!("port in {url:?}"))?),
            None => (hostport, default_port),
        };
        Ok(DbUrl {
            scheme: scheme.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            host: if host.is_empty() { "127.0.0.1" } else { host }.to_owned(),
            port,
        })
    }

    /// The URL of database `db` with scheme `scheme`.
    pub(crate) fn with_db(&self, scheme: &str, db: &str) -> String {
        format!(
            "{scheme}://{}:{}@{}:{}/{db}",
            self.user, self.password, self.host, self.port
        )
    }

    /// Runs SQL with the `mysql` client.
    pub(crate) fn mysql(&self, db: Option<&str>, sql: &str) -> anyhow::Result<()> {
        let mut cmd = self.mysql_client();
        if let Some(db) = db {
            cmd.arg(db);
        }
        run_tool(cmd.args(["-e", sql]))
    }

    /// The first line a query prints through the `mysql` client
    /// (tab-separated columns, no header).
    pub(crate) fn mysql_value(&self, sql: &str) -> anyhow::Result<String> {
        first_line(self.mysql_client().args(["-N", "-e", sql]))
    }

    /// The `mysql` client, connected over TCP as this URL's user.
    fn mysql_client(&self) -> Command {
        let mut cmd = Command::new("mysql");
        cmd.args(["--protocol=tcp", "-h", &self.host, "-P"])
            .arg(self.port.to_string())
            .args(["-u", &self.user])
            .env("MYSQL_PWD", &self.password);
        cmd
    }

    /// The first line a query prints through `psql` (unaligned, no header).
    pub(crate) fn postgres_value(&self, sql: &str) -> anyhow::Result<String> {
        first_line(Command::new("psql").args([&self.with_db("postgres", "postgres"), "-tAc", sql]))
    }

    /// Drops and creates a PostgreSQL database with `psql`.
    pub(crate) fn recreate_postgres(&self, db: &str) -> anyhow::Result<()> {
        let admin = self.with_db("postgres", "postgres");
        run_tool(Command::new("psql").args([
            &admin,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            "-c",
            &format!("CREATE DATABASE {db}"),
        ]))
    }
}

/// Which database our server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    pub(crate) fn parse(name: &str) -> anyhow::Result<Self> {
        Ok(match name {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            "mysql" | "mariadb" => Backend::Mysql,
            other => bail!("unknown backend {other:?} (sqlite, postgres, mysql)"),
        })
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MariaDB",
        }
    }
}

/// The first line of a tool's standard output.
fn first_line(cmd: &mut Command) -> anyhow::Result<String> {
    Ok(tool_output(cmd)?
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// The settings of the machine's database servers that decide how they
/// absorb a sustained upload rate (WAL / redo size, buffers), as one line
/// per server for the report; a server that does not answer says so.
pub(crate) fn database_settings(dbs: &Databases, postgres: bool, mysql: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if postgres {
        let sql = "SELECT string_agg(name || ' = ' || setting || coalesce(' ' || unit, ''), ', ' \
                   ORDER BY name) FROM pg_settings WHERE name IN ('max_wal_size', \
                   'shared_buffers', 'checkpoint_timeout', 'synchronous_commit')";
        lines.push(match dbs.postgres.postgres_value(sql) {
            Ok(v) => format!("PostgreSQL: {v}"),
            Err(e) => format!("PostgreSQL: settings not read ({e})"),
        });
    }
    if mysql {
        let sql = "SELECT CONCAT('innodb_log_file_size = ', @@innodb_log_file_size >> 20, ' MiB, \
                   innodb_buffer_pool_size = ', @@innodb_buffer_pool_size >> 20, ' MiB, \
                   innodb_flush_log_at_trx_commit = ', @@innodb_flush_log_at_trx_commit)";
        lines.push(match dbs.mysql.mysql_value(sql) {
            Ok(v) => format!("MariaDB: {v}"),
            Err(e) => format!("MariaDB: settings not read ({e})"),
        });
    }
    lines
}

/// Database URLs of the machine's database servers.
pub(crate) struct Databases {
    pub(crate) postgres: DbUrl,
    pub(crate) mysql: DbUrl,
}

/// Creates a fresh database for `backend` and returns its URL.
pub(crate) fn fresh_database(
    backend: Backend,
    dbs: &Databases,
    work: &Path,
) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => {
            let file = work.join("ours.sqlite");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            Ok(format!("sqlite://{}", file.display()))
        }
        Backend::Postgres => {
            dbs.postgres.recreate_postgres("refstack_loadbench_ours")?;
            Ok(dbs.postgres.with_db("postgres", "refstack_loadbench_ours"))
        }
        Backend::Mysql => {
            dbs.mysql.mysql(
                None,
                "DROP DATABASE IF EXISTS refstack_loadbench_ours; \
                 CREATE DATABASE refstack_loadbench_ours CHARACTER SET utf8mb4",
            )?;
            Ok(dbs.mysql.with_db("mysql", "refstack_loadbench_ours"))
        }
    }
}

/// Starts our `refstack-server` on `database_url`: migrate, create the
/// benchmark user and its key, serve.
pub(crate) fn start_ours(
    bin: &Path,
    database_url: &str,
    guidelines_dir: &Path,
    key: &SigningKey,
    work: &Path,
) -> anyhow::Result<(Proc, SocketAddr)> {
    let base = || {
        let mut cmd = Command::new(bin);
        cmd.env("REFSTACK_DATABASE_URL", database_url)
            .env("REFSTACK_ENABLE_ANONYMOUS_UPLOAD", "true")
            .env("REFSTACK_GUIDELINES_DIR", guidelines_dir)
            .env("RUST_LOG", "warn")
            .env_remove("REFSTACK_CONFIG");
        cmd
    };
    // A new SQLite file must be asked for (`--create`).
    run_tool(base().args(["--create", "migrate"]))?;
    run_tool(base().args([
        "user",
        "add",
        BENCH_OPENID,
        "--email",
        "loadbench@example.org",
        "--fullname",
        "Load Bench",
    ]))?;
    let key_file = work.join("bench_key.line");
    std::fs::write(&key_file, format!("{}\n", key.public_line))?;
    run_tool(
        base()
            .args(["user", "add-key", BENCH_OPENID])
            .arg(&key_file),
    )?;

    let addr = free_addr()?;
    let mut proc = Proc::spawn(
        "refstack-server",
        // --dev-login (loopback only): the signed-in scenarios get a session cookie.
        base().args(["serve", "--dev-login", "--listen", &addr.to_string()]),
        &work.join("ours.log"),
    )?;
    proc.wait_ready(addr, "/v1/results")?;
    Ok((proc, addr))
}

/// Upstream RefStack 2.1.0 under gunicorn, plus the local HTTP server that
/// plays opendev.org for its guideline fetches.
pub(crate) struct Upstream {
    pub(crate) addr: SocketAddr,
    pub(crate) workers: usize,
    // Dropped (stopped) in declaration order: the API, then the file server.
    _api: Proc,
    _files: Proc,
}

/// Creates the upstream virtualenv if `venv` has no gunicorn yet.
pub(crate) fn ensure_upstream_venv(venv: &Path, requirements: &Path) -> anyhow::Result<()> {
    if venv.join("bin/gunicorn").exists() && venv.join("bin/refstack-manage").exists() {
        return Ok(());
    }
    eprintln!(
        "loadbench: installing upstream RefStack 2.1.0 into {} (PyPI, a few minutes)",
        venv.display()
    );
    run_tool(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    run_tool(
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "-r"])
            .arg(requirements),
    )
}

/// Lays out `src` (a guideline directory) as the Gitea API of opendev.org:
/// `contents/*.json` listings and `raw/guidelines/...` files.
fn fake_opendev(src: &Path, root: &Path) -> anyhow::Result<()> {
    let raw = root.join("raw/guidelines");
    let raw_addons = root.join("raw/add-ons/guidelines");
    std::fs::create_dir_all(&raw)?;
    std::fs::create_dir_all(&raw_addons)?;
    std::fs::create_dir_all(root.join("contents"))?;
    let mut listings = Vec::new();
    for (from, to, repo_dir, listing) in [
        (src.to_path_buf(), &raw, "guidelines", "guidelines.json"),
        (
            src.join("add-ons"),
            &raw_addons,
            "add-ons/guidelines",
            "add-ons.json",
        ),
    ] {
        let mut entries = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(&from)
            .with_context(|| format!("reading {}", from.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        for name in names {
            std::fs::copy(from.join(&name), to.join(&name))?;
            entries.push(format!(
                r#"{{"type": "file", "name": "{name}", "path": "{repo_dir}/{name}"}}"#
            ));
        }
        listings.push((listing, format!("[{}]", entries.join(", "))));
    }
    for (file, text) in listings {
        std::fs::write(root.join("contents").join(file), text)?;
    }
    Ok(())
}

/// Starts upstream RefStack on a fresh MariaDB database with the benchmark
/// user and key inserted (upstream has no command for that; its docs use
/// SQL too).
pub(crate) fn start_upstream(
    venv: &Path,
    compare_dir: &Path,
    mysql: &DbUrl,
    guidelines_dir: &Path,
    key: &SigningKey,
    workers: usize,
    work: &Path,
) -> anyhow::Result<Upstream> {
    const DB: &str = "refstack_loadbench_upstream";
    mysql.mysql(
        None,
        &format!("DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB} CHARACTER SET utf8"),
    )?;

    let files_root = work.join("fake-opendev");
    fake_opendev(guidelines_dir, &files_root)?;
    let files_addr = free_addr()?;
    let mut files = Proc::spawn(
        "guideline file server",
        Command::new(venv.join("bin/python"))
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(&files_root)
            .arg(files_addr.port().to_string()),
        &work.join("fake-opendev.log"),
    )?;
    files.wait_ready(files_addr, "/contents/guidelines.json")?;

    let addr = free_addr()?;
    let files_url = format!("http://{files_addr}");
    let conf = work.join("refstack.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\n\
             ui_url = http://{addr}\n\
             [api]\n\
             api_url = http://{addr}\n\
             enable_anonymous_upload = true\n\
             results_per_page = 20\n\
             opendev_api_capabilities_url = {files_url}/contents/guidelines.json\n\
             additional_capability_urls = {files_url}/contents/add-ons.json\n\
             opendev_raw_base_url = {files_url}/raw/\n\
             [database]\n\
             connection = {}\n",
            mysql.with_db("mysql+pymysql", DB)
        ),
    )?;
    run_tool(
        Command::new(venv.join("bin/refstack-manage"))
            .arg("--config-file")
            .arg(&conf)
            .args(["upgrade", "--revision", "head"]),
    )?;

    // The user and its key, as upstream's own docs do it (SQL).
    let md5 = run_tool_stdout(
        Command::new(venv.join("bin/python"))
            .args([
                "-c",
                "import base64, hashlib, sys; \
                 print(hashlib.md5(base64.b64decode(sys.argv[1])).hexdigest())",
            ])
            .arg(key.blob()),
    )?;
    mysql.mysql(
        Some(DB),
        &format!(
            "INSERT INTO user (openid, email, fullname, created_at, deleted) \
             VALUES ('{BENCH_OPENID}', 'loadbench@example.org', 'Load Bench', UTC_TIMESTAMP(), 0); \
             INSERT INTO pubkeys (id, openid, format, pubkey, md5_hash, comment, created_at, deleted) \
             VALUES (UUID(), '{BENCH_OPENID}', 'ssh-rsa', '{}', '{}', '', UTC_TIMESTAMP(), 0);",
            key.blob(),
            md5.trim()
        ),
    )?;

    let mut api = Proc::spawn(
        "upstream refstack (gunicorn)",
        Command::new(venv.join("bin/gunicorn"))
            .arg("--chdir")
            .arg(compare_dir)
            .args(["--workers", &workers.to_string()])
            .args(["--bind", &addr.to_string()])
            .arg("server_upstream_wsgi:application")
            .env("REFSTACK_OSLO_CONFIG", &conf)
            // Keep __pycache__ out of the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        &work.join("upstream.log"),
    )?;
    api.wait_ready(addr, "/v1/results")?;
    Ok(Upstream {
        addr,
        workers,
        _api: api,
        _files: files,
    })
}

/// Runs a command and returns its stdout.
fn run_tool_stdout(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() -> anyhow::Result<()> {
        let u = DbUrl::parse("mysql://refstack:refstack@127.0.0.1:3306/mysql", 3306)?;
        assert_eq!(u.user, "refstack");
        assert_eq!(u.password, "refstack");
        assert_eq!(u.port, 3306);
        assert_eq!(
            u.with_db("mysql+pymysql", "x"),
            "mysql+pymysql://refstack:refstack@127.0.0.1:3306/x"
        );
        let p = DbUrl::parse("postgres://a@db.local/postgres?sslmode=disable", 5432)?;
        assert_eq!(
            (
                p.user.as_str(),
                p.password.as_str(),
                p.host.as_str(),
                p.port
            ),
            ("a", "", "db.local", 5432)
        );
        assert!(DbUrl::parse("no-scheme", 1).is_err());
        assert!(DbUrl::parse("mysql://h:notaport/x", 1).is_err());
        Ok(())
    }

    #[test]
    fn backends() -> anyhow::Result<()> {
        assert_eq!(Backend::parse("sqlite")?, Backend::Sqlite);
        assert_eq!(Backend::parse("mariadb")?, Backend::Mysql);
        assert!(Backend::parse("oracle").is_err());
        Ok(())
    }

    #[test]
    fn fake_opendev_layout() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-fake-opendev-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(src.join("add-ons"))?;
        std::fs::write(src.join("2020.06.json"), "{}")?;
        std::fs::write(src.join("add-ons/dns.2020.06.json"), "{}")?;
        std::fs::write(src.join("README.md"), "x")?;
        let out = dir.join("out");
        fake_opendev(&src, &out)?;
        assert!(out.join("raw/guidelines/2020.06.json").is_file());
        assert!(
            out.join("raw/add-ons/guidelines/dns.2020.06.json")
                .is_file()
        );
        let listing: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
            out.join("contents/guidelines.json"),
        )?)?;
        assert_eq!(listing[0]["path"], "guidelines/2020.06.json");
        assert_eq!(listing.as_array().map(Vec::len), Some(1));
        let addons: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("contents/add-ons.json"))?)?;
        assert_eq!(addons[0]["path"], "add-ons/guidelines/dns.2020.06.json");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
