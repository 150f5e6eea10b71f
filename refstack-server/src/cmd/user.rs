//! `refstack-server user add | add-key`.

use refstack_server::Config;

use super::UserCommand;

/// Runs a `user` subcommand.
pub(crate) async fn run(cfg: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    let _ = (cfg, cmd);
    anyhow::bail!("user management needs the storage layer")
}
