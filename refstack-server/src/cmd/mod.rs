//! Command line: `serve` (default), `migrate`, `user add`, `user add-key`,
//! `guidelines sync`.

mod db;
mod guidelines;
mod serve;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use refstack_server::Config;

/// RefStack v1 API server.
#[derive(Debug, Parser)]
#[command(version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// Address to listen on when no command is given (`serve` is the
    /// default command); overrides the file and REFSTACK_LISTEN.
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<SocketAddr>,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Options of every subcommand.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, short = 'c', global = true, env = "REFSTACK_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Database URL (sqlite://FILE, postgres://..., mysql://...);
    /// overrides the file and REFSTACK_DATABASE_URL.
    #[arg(long, global = true)]
    pub(crate) database_url: Option<String>,
    /// Create (and migrate) the SQLite database file if it does not exist.
    /// Without it, `migrate` and `user` refuse a missing file, and so does
    /// `serve` unless the database is the default `./refstack-data/refstack.sqlite`.
    #[arg(long, global = true)]
    pub(crate) create: bool,
    /// Print the command's data as one JSON document on standard output
    /// (`user add`, `user add-key`, `guidelines sync`; field names in the README).
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// More log output (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage guideline files.
    #[command(subcommand)]
    Guidelines(GuidelinesCommand),
}

#[derive(Debug, Default, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; overrides the file and REFSTACK_LISTEN.
    #[arg(long)]
    pub(crate) listen: Option<SocketAddr>,
    /// Offer a sign-in form that signs in as any openid (for trying the server and for
    /// tests). Refused unless the server listens on loopback only.
    #[arg(long)]
    pub(crate) dev_login: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user (or update its email and name).
    Add {
        /// The user's OpenID (e.g. https://openstackid.org/jane.doe).
        openid: String,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Full name.
        #[arg(long)]
        fullname: Option<String>,
        /// Make the user a foundation admin (creates the foundation
        /// organization if there is none).
        #[arg(long)]
        foundation_admin: bool,
    },
    /// Register an OpenSSH RSA public key for a user (no self-signature needed).
    AddKey {
        /// The user's OpenID.
        openid: String,
        /// File with the `ssh-rsa AAAA... [comment]` line, or `-` for stdin.
        key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum GuidelinesCommand {
    /// Write every guideline file of the configured remote sources, and the
    /// built-in ones they do not replace, into a directory usable as
    /// `REFSTACK_GUIDELINES_DIR` (fails if a remote source fails).
    Sync {
        /// Target directory (created if missing).
        dir: PathBuf,
    },
}

/// Prints `value` as one pretty JSON document and a newline.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Whether log lines get ANSI colours: only on a terminal, and only when
/// `NO_COLOR` is unset or empty (https://no-color.org).
fn log_colours(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Sets up `tracing` on stderr.
pub(crate) fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(log_colours(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .init();
}

/// Loads the configuration: file, then environment, then flags.
fn load_config(global: &GlobalArgs) -> anyhow::Result<Config> {
    let mut cfg = match &global.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    cfg.apply_env(|k| std::env::var(k).ok())?;
    cfg.read_secret_files()?;
    if let Some(url) = &global.database_url {
        cfg.database_url.clone_from(url);
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Runs the selected subcommand.
pub(crate) fn run(cli: Cli) -> anyhow::Result<()> {
    let mut cfg = load_config(&cli.global)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let command = match (cli.command, cli.listen) {
        (None, listen) => Command::Serve(ServeArgs {
            listen,
            dev_login: false,
        }),
        (Some(Command::Serve(args)), listen) => Command::Serve(ServeArgs {
            listen: args.listen.or(listen),
            dev_login: args.dev_login,
        }),
        (Some(_), Some(_)) => {
            anyhow::bail!("--listen applies to `serve` only (the default command)")
        }
        (Some(other), None) => other,
    };
    let create = cli.global.create;
    let json = cli.global.json;
    if json && matches!(command, Command::Serve(_) | Command::Migrate) {
        anyhow::bail!(
            "--json does not apply to `serve` and `migrate`: they print no data \
             (it applies to `user add`, `user add-key` and `guidelines sync`)"
        );
    }
    rt.block_on(async move {
        match command {
            Command::Serve(args) => {
                if let Some(listen) = args.listen {
                    cfg.listen = listen;
                }
                if args.dev_login {
                    cfg.dev_login = true;
                }
                // The default embedded database is created on first start.
                db::ensure_exists(
                    &cfg,
                    create || cfg.database_url == Config::default().database_url,
                )?;
                serve::run(cfg, cli.global.config.as_deref()).await
            }
            Command::Migrate => {
                db::ensure_exists(&cfg, create)?;
                db::open_db(&cfg).await?.close().await;
                Ok(())
            }
            Command::User(u) => {
                db::ensure_exists(&cfg, create)?;
                user::run(&cfg, u, json).await
            }
            Command::Guidelines(GuidelinesCommand::Sync { dir }) => {
                guidelines::sync(&cfg, &dir, json).await
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn listen_is_accepted_before_and_after_serve() {
        use clap::Parser;
        for args in [
            &["refstack-server", "--listen", "127.0.0.1:9"][..],
            &["refstack-server", "serve", "--listen", "127.0.0.1:9"][..],
        ] {
            super::Cli::try_parse_from(args).unwrap();
        }
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(super::log_colours(true, None));
        assert!(super::log_colours(true, Some("".into())));
        assert!(!super::log_colours(true, Some("1".into())));
        assert!(!super::log_colours(false, None));
    }
}
