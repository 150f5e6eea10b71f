//! `refstack-server user add | add-key` (replaces upstream's hand-written SQL).

use std::io::Read;

use anyhow::Context;
use refstack_server::Config;
use refstack_server::db;

use super::UserCommand;

/// Runs a `user` subcommand.
pub(crate) async fn run(cfg: &Config, cmd: UserCommand, json: bool) -> anyhow::Result<()> {
    let database = super::db::open_db(cfg).await?;
    match cmd {
        UserCommand::Add {
            openid,
            email,
            fullname,
            foundation_admin,
        } => {
            let user = db::users::upsert(
                &database,
                &db::users::NewUser {
                    openid: openid.clone(),
                    email,
                    fullname,
                },
            )
            .await
            .context("cannot store the user")?;
            tracing::info!(openid = %user.openid, "user stored");
            if foundation_admin {
                db::users::set_foundation_admin(&database, &openid, true)
                    .await
                    .context("cannot make the user a foundation admin")?;
            }
            if json {
                super::print_json(&UserOut {
                    openid: &user.openid,
                    email: user.email.as_deref(),
                    fullname: user.fullname.as_deref(),
                    foundation_admin,
                })?;
            } else {
                println!(
                    "user {} ({}){}",
                    user.openid,
                    user.email.as_deref().unwrap_or("no email"),
                    if foundation_admin {
                        ", foundation admin"
                    } else {
                        ""
                    }
                );
            }
        }
        UserCommand::AddKey { openid, key } => {
            let line = if key.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            } else {
                std::fs::read_to_string(&key)
                    .with_context(|| format!("cannot read {}", key.display()))?
            };
            let line = line.trim();
            let parsed = refstack_core::signature::PublicKey::from_openssh(line)
                .context("not a usable OpenSSH RSA public key")?;
            let mut parts = line.split_whitespace();
            let format = parts.next().unwrap_or("ssh-rsa").to_owned();
            let pubkey = parts.next().unwrap_or("").to_owned();
            let comment: Vec<&str> = parts.collect();
            let stored = db::pubkeys::add(
                &database,
                &db::pubkeys::NewPubkey {
                    openid: openid.clone(),
                    format,
                    pubkey,
                    comment: (!comment.is_empty()).then(|| comment.join(" ")),
                },
            )
            .await
            .context("cannot store the key")?;
            tracing::info!(openid = %openid, key = %stored.id, "key stored");
            if json {
                super::print_json(&KeyOut {
                    id: &stored.id,
                    openid: &openid,
                    md5_fingerprint: &parsed.md5_fingerprint(),
                })?;
            } else {
                println!(
                    "key {} (md5 {}) registered for {openid}",
                    stored.id,
                    parsed.md5_fingerprint()
                );
            }
        }
    }
    database.close().await;
    Ok(())
}

/// `user add --json`.
#[derive(serde::Serialize)]
struct UserOut<'a> {
    openid: &'a str,
    email: Option<&'a str>,
    fullname: Option<&'a str>,
    /// Whether the command made the user a foundation admin.
    foundation_admin: bool,
}

/// `user add-key --json`.
#[derive(serde::Serialize)]
struct KeyOut<'a> {
    /// The key's id on the server (as `GET /v1/profile/pubkeys` lists it).
    id: &'a str,
    openid: &'a str,
    /// MD5 fingerprint of the key, hex.
    md5_fingerprint: &'a str,
}
