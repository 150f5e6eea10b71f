//! `runner init`, `runner build`, `runner run`.

use anyhow::{Context as _, Result};
use refstack_tester::output;
use refstack_tester::record::RunDir;
use refstack_tester::runner::{self, Engine, RunSpec, RunnerSpec};

use crate::cli::{
    EngineArgs, GlobalArgs, RunnerBuildArgs, RunnerCommand, RunnerInitArgs, RunnerRunArgs,
};

pub(crate) async fn run(command: RunnerCommand, global: &GlobalArgs) -> Result<u8> {
    match command {
        RunnerCommand::Init(a) => init(a, global),
        RunnerCommand::Build(a) => build(a, global).await,
        RunnerCommand::Run(a) => run_image(a, global).await,
    }
}

fn engine(args: &EngineArgs) -> Engine {
    Engine {
        program: args.engine.clone(),
        runtime: args.runtime.clone(),
    }
}

fn init(args: RunnerInitArgs, global: &GlobalArgs) -> Result<u8> {
    let spec = RunnerSpec {
        base: args.base.clone(),
        tempest: runner::parse_pin(&args.tempest, args.allow_unpinned)?,
        plugins: args
            .plugins
            .iter()
            .map(|p| runner::parse_pin(p, args.allow_unpinned))
            .collect::<Result<_, _>>()?,
        allow_unpinned: args.allow_unpinned,
    };
    let tester = match &args.tester {
        Some(t) => t.clone(),
        None => std::env::current_exe().context("cannot find this executable")?,
    };
    let written = runner::init(&args.dir, &spec, &tester)?;
    if global.json {
        return super::print_json(&output::RunnerFiles { files: written }).map(|()| 0);
    }
    let mut text = String::new();
    for path in written {
        text.push_str(&format!("wrote {}\n", path.display()));
    }
    text.push_str(&format!(
        "next: refstack-tester runner build {} --push REGISTRY/REPO\n",
        args.dir.display()
    ));
    super::out::print(text)?;
    Ok(0)
}

async fn build(args: RunnerBuildArgs, global: &GlobalArgs) -> Result<u8> {
    let spec_path = args.dir.join("runner.toml");
    if spec_path.is_file() {
        // Refuses a spec edited to an unpinned revision.
        runner::read_spec(&spec_path)?;
    }
    let e = engine(&args.engine);
    let id = runner::build(&e, &args.dir, &args.tag).await?;
    tracing::info!("built {} ({id})", args.tag);
    let mut text = format!("Built {} {id}\n", args.tag);
    let mut image = None;
    if let Some(dest) = &args.push {
        let loopback = refstack_tester::oci::parse_reference(dest)
            .map(|t| {
                t.reference.registry().starts_with("127.")
                    || t.reference.registry().starts_with("localhost")
            })
            .unwrap_or(false);
        let pinned = runner::push(&e, &args.tag, dest, args.plain_http || loopback).await?;
        text.push_str(&format!("Image: {pinned}\n"));
        image = Some(pinned);
    }
    if global.json {
        return super::print_json(&output::RunnerImage {
            tag: args.tag.clone(),
            image_id: id,
            image,
        })
        .map(|()| 0);
    }
    super::out::print(text)?;
    Ok(0)
}

async fn run_image(args: RunnerRunArgs, global: &GlobalArgs) -> Result<u8> {
    // The registry login before the run, not after it.
    let options = match &args.publish {
        Some(_) => Some(super::oci::registry_options(&args.registry)?),
        None => None,
    };
    let spec = RunSpec {
        image: args.image.clone(),
        conf: args.conf_file.clone(),
        clouds: args.clouds.clone(),
        test_list: args.test_list.clone(),
        out_dir: args.output_dir.clone(),
        network: args.network.clone(),
        podman_args: args.podman_args.clone(),
        test_args: args.test_args.clone(),
        stdout_to_stderr: global.json,
    };
    let code = runner::run(&engine(&args.engine), &spec).await?;
    if !matches!(code, 0 | 1) {
        anyhow::bail!("the run in {} failed (exit status {code})", args.image);
    }
    let exit_code = u8::try_from(code).unwrap_or(2);
    let mut published = None;
    if let (Some(target), Some(options)) = (&args.publish, &options) {
        let run = RunDir::open(&args.output_dir)?;
        let p = refstack_tester::oci::publish(&run, target, options, None).await?;
        if !global.json {
            super::out::print(format!("Published {}\nDigest: {}\n", p.reference, p.digest))?;
        }
        published = Some(p.into());
    }
    if global.json {
        super::print_json(&output::RunnerRun {
            exit_code,
            output_dir: args.output_dir.clone(),
            published,
        })?;
    }
    Ok(exit_code)
}
