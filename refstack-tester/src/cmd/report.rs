//! `report`: the compliance report of a result, offline.

use anyhow::{Result, anyhow};
use refstack_core::score::{self, Results};
use refstack_core::{Guideline, Target};
use refstack_subunit::TestRecord;
use refstack_tester::guideline::{self, GuidelineSource};
use refstack_tester::report;

use refstack_api_types::compare::CompareReport;
use refstack_api_types::compliance::ComplianceReport;
use refstack_tester::http;

use crate::cli::{CompareArgs, GlobalArgs, ReportArgs, ReportFormat};

/// A guideline with the target to score against.
pub(crate) struct Loaded {
    guideline: Guideline,
    target: Target,
    /// The file or version, for messages.
    origin: String,
    /// Where it came from, for the run record.
    source: GuidelineSource,
    /// `sha256:` of its bytes.
    sha256: String,
}

impl Loaded {
    /// The report of `results`, or what is wrong with the guideline for
    /// this target.
    fn score<'g>(&'g self, results: &'g Results) -> Result<score::ComplianceReport<'g>> {
        score::score(&self.guideline, self.target, results).map_err(|_| {
            anyhow!(
                "{}: {}",
                self.origin,
                guideline::invalid_target_message(&self.guideline, self.target)
            )
        })
    }
}

pub(crate) async fn load_guideline(
    spec: &str,
    target: &str,
    url: Option<&str>,
    insecure: bool,
) -> Result<Loaded> {
    let target: Target = target.parse().map_err(|e| anyhow!("{e}"))?;
    let source = GuidelineSource::parse(spec);
    let (guideline, sha256) = guideline::load_hashed(&source, url, insecure).await?;
    let origin = match &source {
        GuidelineSource::File(p) => p.display().to_string(),
        GuidelineSource::Version(v) => format!("guideline {v}"),
    };
    Ok(Loaded {
        guideline,
        target,
        origin,
        source,
        sha256,
    })
}

impl Loaded {
    /// The guideline's id: the version, or the file name without `.json`.
    pub(crate) fn id(&self) -> String {
        match &self.source {
            GuidelineSource::Version(v) => v.trim_end_matches(".json").to_string(),
            GuidelineSource::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().trim_end_matches(".json").to_string())
                .unwrap_or_else(|| "-".into()),
        }
    }

    /// The run record's `guideline`.
    pub(crate) fn record_info(&self) -> refstack_tester::record::GuidelineInfo {
        let source = match &self.source {
            GuidelineSource::File(_) => "file",
            s if s.builtin().is_some() => "built-in",
            GuidelineSource::Version(_) => "server",
        };
        refstack_tester::record::GuidelineInfo {
            id: self.id(),
            source: source.to_string(),
            sha256: self.sha256.clone(),
            target: self.target.as_str().to_string(),
        }
    }
}

/// A finished run's compliance report, as text or as the JSON value of
/// `report --json`.
pub(crate) enum RunReport {
    /// The text report.
    Text(String),
    /// The JSON report.
    Json(serde_json::Value),
}

/// The report of a finished run's records, and whether it complies.
pub(crate) fn run_report(
    loaded: &Loaded,
    records: &[TestRecord],
    json: bool,
) -> Result<(RunReport, bool)> {
    let results = Results::from_records(records);
    let r = loaded.score(&results)?;
    let report = if json {
        RunReport::Json(serde_json::to_value(&r)?)
    } else {
        RunReport::Text(report::text(&r))
    };
    Ok((report, r.compliant))
}

pub(crate) async fn run(args: ReportArgs, global: &GlobalArgs) -> Result<u8> {
    if let Some(server) = &args.server {
        return server_report(&args, server, global).await;
    }
    let guideline = args.guideline.as_deref().ok_or_else(|| {
        anyhow!(
            "--guideline FILE|VERSION is needed to score a local result (or give --server URL \
             to ask a server for a run's report)"
        )
    })?;
    let target = args.target.as_deref().unwrap_or("platform");
    let loaded = load_guideline(guideline, target, args.url.as_deref(), args.insecure).await?;
    // A run (directory, record, oci://): its stream, which has every outcome.
    let input = if super::oci::is_run_input(&args.result) {
        Some(super::oci::open_run(&args.result).await?)
    } else {
        None
    };
    let path = input
        .as_ref()
        .map_or_else(|| args.result.clone(), |i| i.run.subunit());
    let results = report::read_results(&path)?;
    let r = loaded.score(&results)?;
    let format = args.format.unwrap_or(if global.json {
        ReportFormat::Json
    } else {
        ReportFormat::Text
    });
    let out = match format {
        ReportFormat::Text => report::text(&r),
        ReportFormat::Json => report::json(&r)? + "\n",
        ReportFormat::Junit => report::junit(&r),
        ReportFormat::Html => report::html(&r),
    };
    super::out::print(out)?;
    Ok(if args.check && !r.compliant { 1 } else { 0 })
}

/// The `guideline` and `target` query of the server's report endpoints.
fn guideline_query<'a>(
    guideline: Option<&'a str>,
    target: Option<&'a str>,
) -> Vec<(&'static str, &'a str)> {
    [("guideline", guideline), ("target", target)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}

/// `report --server URL RUN_ID`: the server's compliance report of a run.
async fn server_report(args: &ReportArgs, server: &str, global: &GlobalArgs) -> Result<u8> {
    let format = args.format.unwrap_or(if global.json {
        ReportFormat::Json
    } else {
        ReportFormat::Text
    });
    if matches!(format, ReportFormat::Junit | ReportFormat::Html) {
        anyhow::bail!("--server reports are text or json; junit and html are for local results");
    }
    let id = args.result.to_string_lossy();
    let query = guideline_query(args.guideline.as_deref(), args.target.as_deref());
    let client = http::client(&http::HttpOptions {
        insecure: args.insecure,
        ..Default::default()
    })?;
    let r: ComplianceReport = http::get_json_as(
        &client,
        server,
        &format!("/v1/results/{id}/compliance"),
        &query,
        args.token.as_deref(),
    )
    .await?;
    match format {
        ReportFormat::Json => super::print_json(&r)?,
        _ => super::out::print(report::server_text(&r))?,
    }
    Ok(if args.check && !r.compliant { 1 } else { 0 })
}

/// `compare A B`: what changed between two runs, as the server scores them.
pub(crate) async fn compare(args: CompareArgs, global: &GlobalArgs) -> Result<u8> {
    let url = args.net.api_url()?;
    let client = http::client(&super::api_http(&args.net))?;
    let query = guideline_query(args.guideline.as_deref(), args.target.as_deref());
    let r: CompareReport = http::get_json_as(
        &client,
        &url,
        &format!("/v1/results/{}/compare/{}", args.a, args.b),
        &query,
        args.token.as_deref(),
    )
    .await?;
    if global.json {
        super::print_json(&r)?;
    } else {
        super::out::print(report::compare_text(&r))?;
    }
    Ok(if args.check && !r.after.compliant {
        1
    } else {
        0
    })
}
