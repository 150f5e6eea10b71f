//! `init`: make a Tempest workspace (`tempest init`) and put a tempest.conf
//! in it, so that `test --tempest-dir DIR` has somewhere to run.

use anyhow::{Context, Result, bail};
use refstack_tester::output;
use refstack_tester::tempest::Tempest;

use crate::cli::{GlobalArgs, InitArgs};

pub(crate) async fn run(args: InitArgs, global: &GlobalArgs) -> Result<u8> {
    // The configuration is checked before anything is made.
    if let Some(conf) = &args.conf_file {
        refstack_tester::run::check_conf_file(conf)?;
    }
    let tempest = Tempest::locate(None, args.tempest_bin.as_deref())?;
    let dir = &args.dir;
    let created = tempest.init_workspace(dir).await?;
    if created {
        tracing::info!("Tempest workspace made in {}", dir.display());
    } else {
        tracing::info!("{} already is a Tempest workspace", dir.display());
    }
    let conf = match &args.conf_file {
        Some(src) => {
            let dst = dir.join("etc").join("tempest.conf");
            let new =
                std::fs::read(src).with_context(|| format!("cannot read {}", src.display()))?;
            match std::fs::read(&dst) {
                Ok(old) if old == new => {}
                Ok(_) => bail!(
                    "{} exists and differs from {}: remove it first, or leave out -c to keep it",
                    dst.display(),
                    src.display()
                ),
                Err(_) => {
                    std::fs::create_dir_all(dir.join("etc"))
                        .with_context(|| format!("cannot create {}/etc", dir.display()))?;
                    std::fs::write(&dst, &new)
                        .with_context(|| format!("cannot write {}", dst.display()))?;
                    tracing::info!("{} copied to {}", src.display(), dst.display());
                }
            }
            Some(dst)
        }
        None => None,
    };
    if global.json {
        super::print_json(&output::Workspace {
            workspace: dir.clone(),
            tempest_conf: conf,
            created,
        })?;
    } else {
        let conf_arg = conf.as_ref().map_or_else(
            || format!("{}/etc/tempest.conf", dir.display()),
            |c| c.display().to_string(),
        );
        let mut text = format!("Tempest workspace: {}\n", dir.display());
        if conf.is_none() {
            text.push_str(&format!(
                "Put the cloud's tempest.conf at {conf_arg} (refstack-tester config --out {conf_arg} \
                 makes one).\n"
            ));
        }
        text.push_str(&format!(
            "Next:\n  refstack-tester testlist --guideline 2020.06 > list.txt\n  \
             refstack-tester test -c {conf_arg} --tempest-dir {} --test-list list.txt\n",
            dir.display()
        ));
        super::out::print(text)?;
    }
    Ok(0)
}
