//! `completions` and `man`: generated from the clap definitions.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

pub(crate) fn completions(args: CompletionsArgs) -> Result<u8> {
    let mut cmd = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut cmd,
        "refstack-tester",
        &mut std::io::stdout(),
    );
    Ok(0)
}

pub(crate) fn man(args: ManArgs) -> Result<u8> {
    let cmd = Cli::command();
    match args.out_dir {
        None => {
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
        }
    }
    Ok(0)
}
