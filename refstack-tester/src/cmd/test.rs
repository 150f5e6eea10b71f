//! `test`: run Tempest, write the results, optionally report and upload.

use anyhow::Result;
use refstack_tester::progress::Mode;
use refstack_tester::run::{TestRunConfig, run_tests};
use refstack_tester::tempest::Tempest;

use crate::cli::{GlobalArgs, TestArgs};

pub(crate) async fn run(args: TestArgs, global: &GlobalArgs) -> Result<u8> {
    let tempest = Tempest::locate(args.tempest_dir.as_deref(), args.tempest_bin.as_deref())?;
    let config = TestRunConfig {
        conf_file: args.conf_file.clone(),
        tempest,
        test_list: args.test_list.clone(),
        parallel: args.parallel,
        extra_args: args.tempest_args.clone(),
        result_tag: args.result_tag.clone(),
        output_dir: args.output_dir.clone(),
        insecure: args.net.insecure,
        show_stderr: global.verbose > 0,
        progress: Mode::detect(global.silent),
    };
    let outcome = run_tests(&config).await?;
    let tempest_code = outcome
        .exit
        .code
        .map_or(1, |c| u8::try_from(c).unwrap_or(1));

    if let Some(guideline) = &args.guideline {
        let loaded = super::report::load_guideline(
            guideline,
            &args.target,
            &args.net.url,
            args.net.insecure,
        )
        .await?;
        let text = super::report::text_report(&loaded, &outcome.records)?;
        println!("{text}");
    }
    if args.upload {
        if outcome.json_path.is_none() {
            anyhow::bail!(
                "Problem executing tempest run command. Results file not generated hence no file \
                 to upload. Review arbitrary arguments."
            );
        }
        super::upload::send(&args.net, &outcome.payload).await?;
    }
    Ok(tempest_code)
}
