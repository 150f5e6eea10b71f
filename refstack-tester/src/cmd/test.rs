//! `test`: run Tempest, write the results, optionally report and upload.

use anyhow::Result;
use refstack_tester::output;
use refstack_tester::progress::Mode;
use refstack_tester::record::{self, ListParams};
use refstack_tester::run::{RecordOptions, TestRunConfig, run_tests};
use refstack_tester::tempest::Tempest;

use super::report::RunReport;
use crate::cli::{GlobalArgs, TestArgs};

pub(crate) async fn run(args: TestArgs, global: &GlobalArgs) -> Result<u8> {
    let (code, document) = run_and_report(args, global).await?;
    if let Some(document) = document {
        super::print_json(&document)?;
    }
    Ok(code)
}

/// [`run`] without printing the `--json` document, which it returns (for
/// `certify`, whose document holds it).
pub(crate) async fn run_and_report(
    args: TestArgs,
    global: &GlobalArgs,
) -> Result<(u8, Option<output::TestRun>)> {
    let tempest = Tempest::locate(args.tempest_dir.as_deref(), args.tempest_bin.as_deref())?;
    // The server and the signing key (and its passphrase) before the run,
    // not after it.
    let key = if args.upload {
        args.net.api_url()?;
        super::upload::load_key(&args.net)?
    } else {
        None
    };
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
        record: RecordOptions {
            list: ListParams {
                types: args.record.list_type.as_deref().map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }),
                alias: args.record.list_alias,
                flag: args.record.list_flag,
            },
            runner_image: args.record.runner_image.clone(),
        },
    };
    let mut outcome = run_tests(&config).await?;
    if outcome.records.is_empty() {
        // Tempest ran nothing (or could not start): a tool failure.
        anyhow::bail!(
            "Problem executing tempest run command: it produced no test result (exit code {}). \
             Review arbitrary arguments.",
            outcome
                .exit
                .code
                .map_or_else(|| "none: killed by a signal".into(), |c| c.to_string())
        );
    }

    let scoring = match (
        &args.guideline,
        args.test_list.as_deref().and_then(guideline_of_list_url),
    ) {
        (Some(g), _) => Some((g.clone(), args.target.clone(), args.net.url.clone())),
        (None, inferred) => inferred,
    };
    // The exit status: with --guideline, compliance; otherwise the tests.
    let mut code = if outcome.verdict.ok() {
        EXIT_OK
    } else {
        EXIT_TESTS_FAILED
    };
    let explicit = args.guideline.is_some();
    let mut compliance = None;
    if let Some((guideline, target, base)) = scoring {
        match super::report::load_guideline(&guideline, &target, base.as_deref(), args.net.insecure)
            .await
        {
            Ok(loaded) => {
                let (report, compliant) =
                    super::report::run_report(&loaded, &outcome.records, global.json)?;
                // The record says what the run was scored against.
                outcome.record.guideline = Some(loaded.record_info());
                outcome.record.compliance = Some(record::Compliance {
                    guideline: loaded.id(),
                    target: target.clone(),
                    compliant,
                });
                record::write_atomic(&outcome.record_path, &outcome.record.to_bytes()?)?;
                match report {
                    RunReport::Text(text) => super::out::print(text + "\n")?,
                    RunReport::Json(value) => compliance = Some(value),
                }
                if explicit {
                    code = if compliant {
                        EXIT_OK
                    } else {
                        EXIT_TESTS_FAILED
                    };
                }
            }
            // The run itself went through: a report that cannot be made is
            // a warning, and a tool failure when --guideline asked for it.
            Err(e) => {
                tracing::warn!("no compliance report: {e:#}");
                if explicit {
                    code = EXIT_TOOL_FAILED;
                }
            }
        }
    }
    if code == EXIT_OK && outcome.exit.code != Some(0) {
        tracing::warn!(
            "tempest exited with {} although the outcomes are fine: counted as a Tempest failure",
            outcome
                .exit
                .code
                .map_or_else(|| "a signal".into(), |c| format!("code {c}"))
        );
        code = EXIT_TOOL_FAILED;
    }
    let mut stream_upload = None;
    let upload = if args.upload {
        let uploaded =
            super::upload::send_with_key(&args.net, &outcome.payload, key.as_ref()).await?;
        if !global.json {
            super::upload::print_uploaded(&uploaded, global)?;
        }
        // The results are stored: the full stream is a bonus, and a failure
        // to send it a warning (the stream stays in its file).
        match super::upload::send_stream(
            &args.net,
            &uploaded.id,
            &outcome.stream_path,
            key.as_ref(),
        )
        .await
        {
            Ok(Some(r)) => {
                if !global.json {
                    super::out::print(format!(
                        "Full results uploaded: {} tests ({} passed, {} failed, {} skipped, {} \
                         other){}\n",
                        r.tests,
                        r.passed,
                        r.failed,
                        r.skipped,
                        r.other,
                        if r.rejected_packets > 0 {
                            format!(", {} corrupt packets skipped", r.rejected_packets)
                        } else {
                            String::new()
                        }
                    ))?;
                }
                stream_upload = Some(r);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                "the results are uploaded, but not their full stream ({}): {e:#}",
                outcome.stream_path.display()
            ),
        }
        Some(uploaded)
    } else {
        None
    };
    let document = global.json.then(|| output::TestRun {
        exit_code: code,
        tempest_exit_code: outcome.exit.code,
        cpid: outcome.cpid.cpid.clone(),
        outcomes: outcome.verdict.into(),
        results_file: outcome.json_path.clone(),
        subunit_file: outcome.stream_path.clone(),
        compliance,
        upload,
        stream_upload,
        record_file: outcome.record_path.clone(),
    });
    Ok((code, document))
}

/// Every listed test passed, or (with --guideline) the cloud complies.
pub(crate) const EXIT_OK: u8 = 0;
/// Tests failed, or (with --guideline) the cloud does not comply.
pub(crate) const EXIT_TESTS_FAILED: u8 = 1;
/// The tool or Tempest failed (also any error of `test`, see `main`).
pub(crate) const EXIT_TOOL_FAILED: u8 = 2;

/// For a test list fetched from a RefStack server
/// (`<base>/v1/guidelines/<version>/tests?target=T…`): the guideline
/// version, the target and the API base, so the run can be scored.
fn guideline_of_list_url(list: &str) -> Option<(String, String, Option<String>)> {
    let url = reqwest::Url::parse(list).ok()?;
    let path = url.path();
    let at = path.rfind("/v1/guidelines/")?;
    let rest = path[at + "/v1/guidelines/".len()..].strip_suffix("/tests")?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    let target = url
        .query_pairs()
        .find(|(k, _)| k == "target")
        .map_or_else(|| "platform".to_string(), |(_, v)| v.into_owned());
    let mut base = url.clone();
    base.set_query(None);
    base.set_path(&path[..at]);
    Some((
        rest.to_string(),
        target,
        Some(base.as_str().trim_end_matches('/').to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use super::guideline_of_list_url;

    #[test]
    fn list_urls() {
        assert_eq!(
            guideline_of_list_url(
                "https://refstack.openstack.org/api/v1/guidelines/2020.11/tests?target=compute&type=required"
            ),
            Some((
                "2020.11".into(),
                "compute".into(),
                Some("https://refstack.openstack.org/api".into())
            ))
        );
        assert_eq!(
            guideline_of_list_url("http://h:8000/v1/guidelines/dns.2020.06/tests"),
            Some((
                "dns.2020.06".into(),
                "platform".into(),
                Some("http://h:8000".into())
            ))
        );
        assert_eq!(guideline_of_list_url("list.txt"), None);
        assert_eq!(guideline_of_list_url("http://h/lists/x.txt"), None);
    }
}
