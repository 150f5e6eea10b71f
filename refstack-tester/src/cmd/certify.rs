//! `certify`: seed 003's workflow in one command: the guideline's test list
//! from the server, `test` with it, upload, publish.

use anyhow::{Result, bail};
use refstack_tester::output;
use refstack_tester::record::RunDir;

use crate::cli::{CertifyArgs, GlobalArgs, RecordArgs, TestArgs};

/// The server's test-list URL of a guideline.
fn list_url(base: &str, args: &CertifyArgs) -> Result<String> {
    let mut url = reqwest::Url::parse(&format!(
        "{}/v1/guidelines/{}/tests",
        base.trim_end_matches('/'),
        args.guideline
    ))
    .map_err(|e| anyhow::anyhow!("invalid --url '{base}': {e}"))?;
    url.query_pairs_mut()
        .append_pair("target", &args.target)
        .append_pair("type", &args.types)
        .append_pair("alias", &args.alias)
        .append_pair("flag", &args.flag);
    Ok(url.to_string())
}

pub(crate) async fn run(args: CertifyArgs, global: &GlobalArgs) -> Result<u8> {
    let base = args.net.api_url()?;
    let list = list_url(&base, &args)?;
    let out_dir = match &args.output_dir {
        Some(d) => d.clone(),
        None => {
            let now = time::OffsetDateTime::now_utc();
            std::path::PathBuf::from(format!(
                "refstack-run-{:04}{:02}{:02}T{:02}{:02}{:02}Z",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            ))
        }
    };
    // One run per directory: `publish` takes the directory's one record.
    if RunDir::open(&out_dir).is_ok() {
        bail!(
            "{} holds a run already: give certify a new --output-dir",
            out_dir.display()
        );
    }
    // The registry login before the run, not after it.
    let registry = match &args.publish {
        Some(_) => Some(super::oci::registry_options(&args.registry)?),
        None => None,
    };
    let test = TestArgs {
        conf_file: args.conf_file.clone(),
        result_tag: None,
        test_list: Some(list),
        upload: true,
        parallel: args.parallel,
        tempest_dir: args.tempest_dir.clone(),
        tempest_bin: args.tempest_bin.clone(),
        output_dir: Some(out_dir.clone()),
        // Scored against the guideline (built in, or from --url): the
        // exit status says whether the cloud complies.
        guideline: Some(args.guideline.clone()),
        target: args.target.clone(),
        net: args.net.clone(),
        record: RecordArgs {
            runner_image: args.runner_image.clone(),
            ..RecordArgs::default()
        },
        tempest_args: args.tempest_args.clone(),
    };
    let (code, document) = super::test::run_and_report(test, global).await?;
    let mut published = None;
    if let (Some(target), Some(options)) = (&args.publish, &registry) {
        let run = RunDir::open(&out_dir)?;
        let p = refstack_tester::oci::publish(&run, target, options, None).await?;
        if !global.json {
            super::out::print(format!("Published {}\nDigest: {}\n", p.reference, p.digest))?;
        }
        published = Some(p.into());
    }
    if let Some(test) = document {
        super::print_json(&output::Certified { test, published })?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn the_servers_list_url() {
        let cli = crate::cli::Cli::try_parse_from([
            "refstack-tester",
            "certify",
            "-c",
            "t.conf",
            "--guideline",
            "2020.06",
        ])
        .unwrap();
        let crate::cli::Command::Certify(a) = cli.command else {
            panic!("not certify")
        };
        assert_eq!(
            list_url("https://r.example/api/", &a).unwrap(),
            "https://r.example/api/v1/guidelines/2020.06/tests?target=platform&type=required&alias=true&flag=false"
        );
    }
}
