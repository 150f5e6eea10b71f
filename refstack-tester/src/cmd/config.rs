//! `config`: generate tempest.conf with python-tempestconf's
//! `discover-tempest-config`, as refstack-client did through its library.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::{ConfigArgs, GlobalArgs};

/// The arguments for `discover-tempest-config`.
pub(crate) fn discover_args(args: &ConfigArgs, out: &std::path::Path) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["--non-admin".into()];
    match &args.test_accounts {
        Some(p) => {
            argv.push("--test-accounts".into());
            argv.push(p.clone().into());
        }
        None => {
            let accounts = out.with_file_name("accounts.yaml");
            tracing::debug!("Account file will be generated at {}.", accounts.display());
            argv.push("--create-accounts-file".into());
            argv.push(accounts.into());
        }
    }
    if let Some(image) = &args.image {
        argv.push("--image".into());
        argv.push(image.into());
    }
    if let Some(net) = &args.network_id {
        argv.push("--network-id".into());
        argv.push(net.into());
    }
    argv.push("--out".into());
    argv.push(out.into());
    if let Some(cloud) = &args.os_cloud {
        argv.push("--os-cloud".into());
        argv.push(cloud.into());
    }
    let overrides = args.overrides.clone().unwrap_or_default();
    if !overrides.contains("volume-feature-enabled.api_v2=True") {
        argv.push("volume-feature-enabled.api_v2".into());
        argv.push("True".into());
    }
    for pair in overrides.split(',').filter(|s| !s.trim().is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        argv.push(key.trim().into());
        argv.push(value.trim().into());
    }
    argv
}

pub(crate) async fn run(args: ConfigArgs, global: &GlobalArgs) -> Result<u8> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("etc").join("tempest.conf"));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let argv = discover_args(&args, &out);
    let started = std::time::Instant::now();
    let mut command = tokio::process::Command::new(&args.discover_bin);
    command.args(&argv);
    if global.json {
        // Standard output holds only the JSON document.
        command.stdout(std::io::stderr());
    }
    let status = command.status().await;
    let status = match status {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "'{}' was not found: install python-tempestconf (pip install python-tempestconf) \
             or give its path with --discover-bin",
            args.discover_bin.display()
        ),
        Err(e) => bail!("cannot start '{}': {e}", args.discover_bin.display()),
    };
    if !status.success() {
        bail!("discover-tempest-config failed ({status}); see its output above");
    }
    tracing::info!(
        "Tempest Configuration successfully generated in {} second at {}",
        started.elapsed().as_secs(),
        out.display()
    );
    if global.json {
        super::print_json(&refstack_tester::output::Config { tempest_conf: out })?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn argv() {
        let cli = crate::cli::Cli::try_parse_from([
            "rt",
            "config",
            "--os-cloud",
            "c",
            "--overrides",
            "compute.image_ref=abc,a.b=c",
            "--image",
            "img",
        ])
        .unwrap();
        let crate::cli::Command::Config(a) = cli.command else {
            panic!("not config")
        };
        let argv = discover_args(&a, std::path::Path::new("etc/tempest.conf"));
        let argv: Vec<String> = argv
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            argv,
            [
                "--non-admin",
                "--create-accounts-file",
                "etc/accounts.yaml",
                "--image",
                "img",
                "--out",
                "etc/tempest.conf",
                "--os-cloud",
                "c",
                "volume-feature-enabled.api_v2",
                "True",
                "compute.image_ref",
                "abc",
                "a.b",
                "c"
            ]
        );
    }
}
