//! Finding and running Tempest: `tempest run --list-tests`, `tempest
//! list-plugins`, and `tempest run --subunit` with its stdout read live.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::process::Command;

use crate::error::Error;

/// Environment variable naming a Tempest checkout or workspace directory.
pub const TEMPEST_DIR_ENV: &str = "REFSTACK_TEMPEST_DIR";
/// The variable upstream's `setup_env` and docker scripts used (also honoured).
pub const LEGACY_TEMPEST_DIR_ENV: &str = "REFSTACK_CLIENT_TEMPEST_DIR";

/// How to invoke Tempest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tempest {
    /// The program to execute.
    pub program: PathBuf,
    /// Arguments put before Tempest's own (`tempest` when going through
    /// `tools/with_venv.sh`).
    pub prefix: Vec<OsString>,
    /// The directory Tempest runs in (its checkout or workspace); `None`
    /// means the current directory.
    pub dir: Option<PathBuf>,
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Tempest {
    /// Locate Tempest. In order: an explicit executable (`bin`); a directory
    /// (`dir`, else `$REFSTACK_TEMPEST_DIR`, else `$REFSTACK_CLIENT_TEMPEST_DIR`)
    /// holding `tools/with_venv.sh` (a refstack-client style checkout),
    /// `.venv/bin/tempest`, or just used as the working directory of
    /// `tempest` from `PATH`; finally `tempest` on `PATH`.
    pub fn locate(dir: Option<&Path>, bin: Option<&Path>) -> Result<Self, Error> {
        let env_dir = || {
            std::env::var_os(TEMPEST_DIR_ENV)
                .or_else(|| std::env::var_os(LEGACY_TEMPEST_DIR_ENV))
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dir = dir.map(Path::to_path_buf).or_else(env_dir);
        if let Some(d) = &dir
            && !d.is_dir()
        {
            return Err(Error::Tempest(format!(
                "Tempest directory given is not a directory or does not exist: {}",
                d.display()
            )));
        }
        if let Some(bin) = bin {
            let program = if bin.components().count() == 1 && !bin.exists() {
                find_on_path(&bin.to_string_lossy()).ok_or_else(|| {
                    Error::Tempest(format!("'{}' was not found on PATH", bin.display()))
                })?
            } else {
                bin.to_path_buf()
            };
            return Ok(Self {
                program,
                prefix: Vec::new(),
                dir,
            });
        }
        if let Some(d) = &dir {
            let with_venv = d.join("tools").join("with_venv.sh");
            if with_venv.is_file() && d.join(".venv").is_dir() {
                return Ok(Self {
                    program: with_venv,
                    prefix: vec![OsString::from("tempest")],
                    dir: Some(d.clone()),
                });
            }
            let venv_bin = d.join(".venv").join("bin").join("tempest");
            if venv_bin.is_file() {
                return Ok(Self {
                    program: venv_bin,
                    prefix: Vec::new(),
                    dir: Some(d.clone()),
                });
            }
        }
        let program = find_on_path("tempest").ok_or_else(|| {
            Error::Tempest(
                "Tempest was not found: install it (pip install tempest) so that 'tempest' is \
                 on PATH, or give --tempest-dir DIR / --tempest-bin PATH"
                    .into(),
            )
        })?;
        Ok(Self {
            program,
            prefix: Vec::new(),
            dir,
        })
    }

    /// The working directory Tempest runs in.
    pub fn work_dir(&self) -> PathBuf {
        match &self.dir {
            Some(d) => d.clone(),
            None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// A command running Tempest with `args` in its directory.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.prefix);
        cmd.args(args.into_iter().map(Into::into));
        if let Some(d) = &self.dir {
            cmd.current_dir(d);
        }
        cmd.kill_on_drop(true);
        cmd
    }

    fn spawn_error(&self, e: &std::io::Error) -> Error {
        Error::Tempest(format!("cannot start {}: {e}", self.program.display()))
    }

    async fn output(&self, args: &[&str], env: &TempestEnv) -> Result<std::process::Output, Error> {
        let mut cmd = self.command(args.iter().copied());
        env.apply(&mut cmd);
        cmd.stdin(Stdio::null());
        cmd.output().await.map_err(|e| self.spawn_error(&e))
    }

    /// Every test id Tempest knows (`tempest run --list-tests`), plugins included.
    pub async fn list_tests(&self, env: &TempestEnv) -> Result<Vec<String>, Error> {
        let out = self.output(&["run", "--list-tests"], env).await?;
        if !out.status.success() {
            return Err(Error::Tempest(format!(
                "'tempest run --list-tests' failed ({}): {}",
                out.status,
                last_line(&out.stderr)
                    .or_else(|| last_line(&out.stdout))
                    .unwrap_or_default()
            )));
        }
        Ok(parse_test_listing(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Make `dir` a Tempest workspace with `tempest init` (run in the
    /// current directory, whatever [`Tempest::dir`] says). Returns `false`
    /// when `dir` already is one (it has `.stestr.conf`): nothing is done.
    /// Tempest refuses a directory that exists and is not empty; that is
    /// said here before it is started.
    pub async fn init_workspace(&self, dir: &Path) -> Result<bool, Error> {
        if is_workspace(dir) {
            return Ok(false);
        }
        if dir.is_file() {
            return Err(Error::Tempest(format!(
                "{} is a file, not a directory for a Tempest workspace",
                dir.display()
            )));
        }
        let non_empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
        if non_empty {
            return Err(Error::Tempest(format!(
                "{} is not empty and not a Tempest workspace: `tempest init` makes a workspace \
                 only in a new or empty directory; name a new one",
                dir.display()
            )));
        }
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.prefix).arg("init").arg(dir);
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        let out = cmd.output().await.map_err(|e| self.spawn_error(&e))?;
        if !out.status.success() {
            return Err(Error::Tempest(format!(
                "'tempest init {}' failed ({}): {}",
                dir.display(),
                out.status,
                last_line(&out.stderr)
                    .or_else(|| last_line(&out.stdout))
                    .unwrap_or_default()
            )));
        }
        if !is_workspace(dir) {
            return Err(Error::Tempest(format!(
                "'tempest init {}' succeeded but made no {}",
                dir.display(),
                dir.join(".stestr.conf").display()
            )));
        }
        Ok(true)
    }

    /// The installed Tempest plugins (`tempest list-plugins`): `(name, entry point)`.
    pub async fn list_plugins(&self, env: &TempestEnv) -> Result<Vec<(String, String)>, Error> {
        let out = self.output(&["list-plugins"], env).await?;
        if !out.status.success() {
            return Err(Error::Tempest(format!(
                "'tempest list-plugins' failed ({}): {}",
                out.status,
                last_line(&out.stderr).unwrap_or_default()
            )));
        }
        Ok(parse_plugin_table(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Tempest's version (`tempest --version` prints `tempest 40.0.0`).
    pub async fn version(&self, env: &TempestEnv) -> Option<String> {
        let out = self.output(&["--version"], env).await.ok()?;
        if !out.status.success() {
            return None;
        }
        // cliff prints it on stdout (older versions on stderr).
        let text = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&text);
        let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
        let version = line.strip_prefix("tempest ").unwrap_or(line).trim();
        (!version.is_empty() && !version.contains(char::is_whitespace)).then(|| version.to_string())
    }

    /// Whether `tempest run` knows `--include-list` (Tempest ≥ 26.1.0);
    /// older ones only know `--whitelist_file`.
    pub async fn supports_include_list(&self, env: &TempestEnv) -> bool {
        match self.output(&["run", "--help"], env).await {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout);
                text.contains("--include-list") || !text.contains("--whitelist")
            }
            Err(_) => true,
        }
    }
}

/// True if `dir` is a Tempest workspace (stestr's `.stestr.conf` is there).
pub fn is_workspace(dir: &Path) -> bool {
    dir.join(".stestr.conf").is_file()
}

fn last_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}

/// Keep the lines of a `--list-tests` output that look like test ids (no
/// blanks, a dot), dropping warnings and log noise.
pub fn parse_test_listing(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains(char::is_whitespace) && l.contains('.'))
        .map(str::to_string)
        .collect()
}

/// Parse the prettytable `tempest list-plugins` prints.
pub fn parse_plugin_table(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            match cells.as_slice() {
                [name, entry] if *name != "Name" => Some((name.to_string(), entry.to_string())),
                _ => None,
            }
        })
        .collect()
}

/// The environment Tempest needs to find its configuration:
/// `TEMPEST_CONFIG_DIR` (absolute) and `TEMPEST_CONFIG` (file name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TempestEnv {
    /// `(name, value)` pairs set on every Tempest command.
    pub vars: Vec<(String, OsString)>,
}

impl TempestEnv {
    /// The variables for a tempest.conf at `conf`.
    pub fn for_conf(conf: &Path) -> Result<Self, Error> {
        let abs = std::path::absolute(conf).map_err(|source| Error::Io {
            action: "resolve",
            path: conf.to_path_buf(),
            source,
        })?;
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = abs.file_name().map(OsString::from).unwrap_or_default();
        Ok(Self {
            vars: vec![
                ("TEMPEST_CONFIG_DIR".into(), dir.into_os_string()),
                ("TEMPEST_CONFIG".into(), name),
            ],
        })
    }

    fn apply(&self, cmd: &mut Command) {
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
    }
}

/// How to run the tests.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run in parallel (otherwise `--serial`, upstream's default).
    pub parallel: bool,
    /// A file of exact test-id regexes to pass as `--include-list`.
    pub include_list: Option<PathBuf>,
    /// Use `--whitelist_file` instead of `--include-list` (old Tempest).
    pub legacy_whitelist: bool,
    /// More arguments for `tempest run`.
    pub extra_args: Vec<OsString>,
    /// Let Tempest's stderr through (otherwise it is kept and shown on failure).
    pub show_stderr: bool,
}

impl RunOptions {
    /// The arguments after `tempest`.
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["run".into(), "--subunit".into()];
        if !self.parallel {
            args.push("--serial".into());
        }
        if let Some(list) = &self.include_list {
            args.push(
                if self.legacy_whitelist {
                    "--whitelist_file"
                } else {
                    "--include-list"
                }
                .into(),
            );
            args.push(list.clone().into_os_string());
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunExit {
    /// Tempest's exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// The last lines Tempest wrote on stderr (when not shown live).
    pub stderr_tail: Vec<String>,
}

/// Start `tempest run --subunit …` and hand its stdout, a subunit v2
/// stream, to `consume` while it runs. Returns Tempest's exit and the
/// consumer's result.
pub async fn run<T, F, Fut>(
    tempest: &Tempest,
    env: &TempestEnv,
    options: &RunOptions,
    consume: F,
) -> Result<(RunExit, T), Error>
where
    F: FnOnce(tokio::process::ChildStdout) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut cmd = tempest.command(options.args());
    env.apply(&mut cmd);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped());
    cmd.stderr(if options.show_stderr {
        Stdio::inherit()
    } else {
        Stdio::piped()
    });
    tracing::debug!(
        "running {} {:?} {:?}",
        tempest.program.display(),
        tempest.prefix,
        options.args()
    );
    let mut child = cmd.spawn().map_err(|e| tempest.spawn_error(&e))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Tempest("no stdout pipe".into()))?;
    let stderr = child.stderr.take();
    let stderr_task = async move {
        let mut tail = Vec::new();
        if let Some(mut err) = stderr {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf).await;
            let text = String::from_utf8_lossy(&buf);
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            let start = lines.len().saturating_sub(20);
            tail = lines[start..].iter().map(|s| s.to_string()).collect();
        }
        tail
    };
    let (value, stderr_tail) = tokio::join!(consume(stdout), stderr_task);
    let status = child
        .wait()
        .await
        .map_err(|e| Error::Tempest(format!("waiting for tempest failed: {e}")))?;
    Ok((
        RunExit {
            code: status.code(),
            stderr_tail,
        },
        value,
    ))
}

/// An [`AsyncRead`] that copies every byte it reads into a writer: used to
/// keep the raw stream on disk while parsing it.
#[derive(Debug)]
pub struct TeeReader<R, W> {
    inner: R,
    copy: W,
    error: Option<std::io::Error>,
}

impl<R, W> TeeReader<R, W> {
    /// Wrap `inner`, copying into `copy`.
    pub fn new(inner: R, copy: W) -> Self {
        Self {
            inner,
            copy,
            error: None,
        }
    }

    /// The writer, and the first error writing to it, if any.
    pub fn into_parts(self) -> (W, Option<std::io::Error>) {
        (self.copy, self.error)
    }
}

impl<R: AsyncRead + Unpin, W: std::io::Write + Unpin> AsyncRead for TeeReader<R, W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll {
            let fresh = &buf.filled()[before..];
            if this.error.is_none()
                && !fresh.is_empty()
                && let Err(e) = this.copy.write_all(fresh)
            {
                this.error = Some(e);
            }
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_and_plugins() {
        let out = "WARNING something odd\n\ntempest.api.a.B.test_c[id-1,smoke]\nplug.x.Y.test_z\n";
        assert_eq!(
            parse_test_listing(out),
            vec!["tempest.api.a.B.test_c[id-1,smoke]", "plug.x.Y.test_z"]
        );
        let table = "+------+------+\n|    Name    |   EntryPoint  |\n+--+\n| fake_tests | fake_tempest_plugin.plugin:FakeTempestPlugin |\n+--+\n";
        assert_eq!(
            parse_plugin_table(table),
            vec![(
                "fake_tests".to_string(),
                "fake_tempest_plugin.plugin:FakeTempestPlugin".to_string()
            )]
        );
    }

    #[test]
    fn locate_rules() {
        let d = tempfile::tempdir().unwrap();
        // A refstack-client checkout: tools/with_venv.sh + .venv.
        std::fs::create_dir_all(d.path().join("tools")).unwrap();
        std::fs::create_dir_all(d.path().join(".venv/bin")).unwrap();
        std::fs::write(d.path().join("tools/with_venv.sh"), "#!/bin/sh\n").unwrap();
        let t = Tempest::locate(Some(d.path()), None).unwrap();
        assert_eq!(t.program, d.path().join("tools/with_venv.sh"));
        assert_eq!(t.prefix, vec![OsString::from("tempest")]);
        assert_eq!(t.dir.as_deref(), Some(d.path()));
        // A plain venv.
        std::fs::remove_file(d.path().join("tools/with_venv.sh")).unwrap();
        std::fs::write(d.path().join(".venv/bin/tempest"), "#!/bin/sh\n").unwrap();
        let t = Tempest::locate(Some(d.path()), None).unwrap();
        assert_eq!(t.program, d.path().join(".venv/bin/tempest"));
        assert!(t.prefix.is_empty());
        // An explicit binary wins; a missing directory is an error.
        let t = Tempest::locate(Some(d.path()), Some(Path::new("/bin/true"))).unwrap();
        assert_eq!(t.program, PathBuf::from("/bin/true"));
        let e = Tempest::locate(Some(Path::new("/nonexistent/x")), None).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        let e = Tempest::locate(None, Some(Path::new("no-such-tempest-binary"))).unwrap_err();
        assert!(e.to_string().contains("not found on PATH"), "{e}");
    }

    #[test]
    fn run_args() {
        let o = RunOptions {
            include_list: Some(PathBuf::from("/l")),
            extra_args: vec!["--concurrency".into(), "2".into()],
            ..Default::default()
        };
        assert_eq!(
            o.args(),
            [
                "run",
                "--subunit",
                "--serial",
                "--include-list",
                "/l",
                "--concurrency",
                "2"
            ]
        );
        let o = RunOptions {
            parallel: true,
            include_list: Some("/l".into()),
            legacy_whitelist: true,
            ..Default::default()
        };
        assert_eq!(o.args(), ["run", "--subunit", "--whitelist_file", "/l"]);
    }

    #[test]
    fn env_for_conf() {
        let e = TempestEnv::for_conf(Path::new("/etc/tempest/tempest.conf")).unwrap();
        assert_eq!(
            e.vars[0],
            (
                "TEMPEST_CONFIG_DIR".to_string(),
                OsString::from("/etc/tempest")
            )
        );
        assert_eq!(
            e.vars[1],
            ("TEMPEST_CONFIG".to_string(), OsString::from("tempest.conf"))
        );
    }

    #[tokio::test]
    async fn tee_copies() {
        let data: &[u8] = b"hello world";
        let mut tee = TeeReader::new(data, Vec::new());
        let mut out = Vec::new();
        tee.read_to_end(&mut out).await.unwrap();
        let (copy, err) = tee.into_parts();
        assert_eq!(copy, b"hello world");
        assert!(err.is_none());
    }
}
