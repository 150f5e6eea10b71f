//! `report`: the compliance report of a result, offline.

use anyhow::{Result, anyhow};
use refstack_core::score::{self, Results};
use refstack_core::{Guideline, Target};
use refstack_subunit::TestRecord;
use refstack_tester::guideline::{self, GuidelineSource};
use refstack_tester::report;

use crate::cli::{GlobalArgs, ReportArgs, ReportFormat};

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
    let g = &args.guideline;
    let loaded = load_guideline(&g.guideline, &g.target, g.url.as_deref(), g.insecure).await?;
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
