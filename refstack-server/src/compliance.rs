//! `GET /v1/results/{id}/compliance` (beyond the upstream v1 contract): the
//! compliance report of a stored run, scored on the server by
//! `refstack_core::score` from the run's passed test names, so the web UI
//! never reimplements the scoring (reference §6).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use std::collections::HashMap;

use refstack_api_types::compliance::{
    CapabilityReport, CapabilityStatus, ComplianceQuery, ComplianceReport, RequiredSummary,
    StatusReport, StreamSummary, TestOutcome, TestReport,
};
use refstack_api_types::guidelines::Target as WireTarget;
use refstack_api_types::{ErrorBody, HttpErrorBody};
use refstack_core::score::{self, Match, Outcome, Results};
use refstack_core::testid::TestId;
use refstack_core::{Guideline, Status, Target};

use crate::auth::{Caller, denied, run_role};
use crate::db::outcomes::{OutcomeStatus, StoredOutcome};
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::guidelines::source::{self, FetchError, GuidelineFile};
use crate::state::AppState;

/// The route, merged into `/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/results/{id}/compliance", get(compliance))
}

pub(crate) fn bad_request(msg: impl Into<String>) -> ApiError {
    ApiError::abort(StatusCode::BAD_REQUEST, msg)
}

/// The wire name of a core target.
pub(crate) fn wire_target(t: Target) -> ApiResult<WireTarget> {
    WireTarget::from_name(t.as_str())
        .ok_or_else(|| ApiError::internal(format!("target {t} has no wire name")))
}

/// `YYYY.MM` sorts after `next` when choosing the newest approved version.
fn newest_dated<'a>(files: impl Iterator<Item = &'a GuidelineFile>) -> Option<&'a GuidelineFile> {
    let mut files: Vec<&GuidelineFile> = files.collect();
    files.sort_by(|a, b| b.name().cmp(a.name()));
    files
        .iter()
        .find(|f| f.name() != "next.json")
        .or_else(|| files.first())
        .copied()
}

/// The guideline file to score against: the requested one (a bare version
/// is looked up in the target's list: `dns.2020.06.json` for target `dns`),
/// else the newest dated file of the target's list.
async fn choose_file(
    state: &AppState,
    requested: Option<&str>,
    target: Target,
) -> ApiResult<String> {
    let prefix = target.add_on().map(|a| a.as_str());
    if let Some(req) = requested.filter(|r| !r.is_empty()) {
        let file = source::file_name(req)
            .ok_or_else(|| bad_request(format!("Invalid guideline name: {req}")))?;
        return Ok(match (prefix, source::classify(&file)) {
            (Some(p), Some(None)) => format!("{p}.{file}"),
            _ => file,
        });
    }
    let listed = state.guidelines.list().await;
    let wanted = prefix.map(str::to_owned);
    newest_dated(listed.iter().filter(|f| f.addon == wanted))
        .map(|f| f.file.clone())
        .ok_or_else(|| {
            ApiError::abort(
                StatusCode::NOT_FOUND,
                format!("No guideline is available for target {target}"),
            )
        })
}

/// The wire status of one of core's scored status names
/// ([`Status::SCORED`]).
pub(crate) fn to_status(s: &str) -> CapabilityStatus {
    match Status::parse(s) {
        Status::Required => CapabilityStatus::Required,
        Status::Advisory => CapabilityStatus::Advisory,
        Status::Deprecated => CapabilityStatus::Deprecated,
        Status::Removed | Status::Other(_) => CapabilityStatus::Removed,
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Core's outcome of a stored stream status.
fn core_outcome(s: OutcomeStatus) -> Outcome {
    match s {
        OutcomeStatus::Success => Outcome::Passed,
        OutcomeStatus::Fail => Outcome::Failed,
        OutcomeStatus::Skip => Outcome::Skipped,
        OutcomeStatus::ExpectedFail => Outcome::ExpectedFailure,
        OutcomeStatus::UnexpectedSuccess => Outcome::UnexpectedSuccess,
        OutcomeStatus::InProgress => Outcome::Incomplete,
        OutcomeStatus::Exists => Outcome::NotRun,
    }
}

/// The wire status of core's outcome.
pub(crate) fn wire_outcome(o: Outcome) -> TestOutcome {
    match o {
        Outcome::Passed => TestOutcome::Passed,
        Outcome::Failed => TestOutcome::Failed,
        Outcome::Skipped => TestOutcome::Skipped,
        Outcome::ExpectedFailure => TestOutcome::ExpectedFailure,
        Outcome::UnexpectedSuccess => TestOutcome::UnexpectedSuccess,
        Outcome::Incomplete => TestOutcome::Incomplete,
        Outcome::NotRun => TestOutcome::NotRun,
    }
}

/// A run's stream outcomes by upload name (the name without attributes, as
/// passed names are stored): a pass wins over other records of the same
/// name (a retry, another worker), else the first one stays.
pub(crate) struct StreamOutcomes {
    by_name: HashMap<String, StoredOutcome>,
}

impl StreamOutcomes {
    pub(crate) fn new(outcomes: Vec<StoredOutcome>) -> Self {
        let mut by_name: HashMap<String, StoredOutcome> = HashMap::with_capacity(outcomes.len());
        for o in outcomes {
            let name = TestId::parse(&o.id).upload_name().into_owned();
            match by_name.get_mut(&name) {
                Some(existing) if o.status == OutcomeStatus::Success => *existing = o,
                Some(_) => {}
                None => {
                    by_name.insert(name, o);
                }
            }
        }
        Self { by_name }
    }

    /// `(upload name, core outcome)` pairs for [`Results::with_outcomes`].
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, Outcome)> {
        self.by_name
            .iter()
            .map(|(n, o)| (n.as_str(), core_outcome(o.status)))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&StoredOutcome> {
        self.by_name.get(name)
    }
}

/// The per-test fields a report takes from the stream: status, duration,
/// skip reason, traceback, mismatch.
pub(crate) fn test_details(
    t: &score::TestReport<'_>,
    stream: Option<&StreamOutcomes>,
) -> (
    TestOutcome,
    Option<u64>,
    Option<String>,
    Option<String>,
    bool,
) {
    let status = match t.outcome {
        Some(o) => wire_outcome(o),
        None if t.passed => TestOutcome::Passed,
        None => TestOutcome::NotRun,
    };
    let found = t.outcome_name.and_then(|n| stream.and_then(|s| s.get(n)));
    (
        status,
        found.and_then(|o| o.duration_us).map(|us| us / 1000),
        found.and_then(|o| o.reason.clone()),
        found.and_then(|o| o.traceback.clone()),
        t.mismatch,
    )
}

/// Converts core's borrowed report to the wire type, adding each test's
/// aliases from the guideline.
fn to_wire(
    test_id: String,
    file: String,
    g: &Guideline,
    r: &score::ComplianceReport<'_>,
    target: WireTarget,
    stream: Option<&StreamOutcomes>,
    info: Option<&db::outcomes::StreamInfo>,
) -> ComplianceReport {
    let q = &r.required;
    let statuses = r
        .statuses
        .iter()
        .map(|s| StatusReport {
            status: to_status(s.status),
            count: count(s.count),
            passed: count(s.passed),
            flagged_passed: count(s.flagged_passed),
            flagged_failed: count(s.flagged_failed),
            capabilities: s
                .capabilities
                .iter()
                .map(|c| {
                    let defined = g.capability(c.id);
                    CapabilityReport {
                        id: c.id.to_owned(),
                        defined: c.defined,
                        total: count(c.total),
                        passed: count(c.passed),
                        flagged_passed: count(c.flagged_passed),
                        flagged_failed: count(c.flagged_failed),
                        passes: c.passes,
                        tests: c
                            .tests
                            .iter()
                            .enumerate()
                            .map(|(i, t)| {
                                let (status, duration_ms, skip_reason, traceback, mismatch) =
                                    test_details(t, stream);
                                TestReport {
                                    name: t.name.to_owned(),
                                    idempotent_id: t.idempotent_id.map(str::to_owned),
                                    aliases: defined
                                        .and_then(|d| d.tests.get(i))
                                        .filter(|gt| gt.name == t.name)
                                        .map(|gt| gt.aliases.clone())
                                        .unwrap_or_default(),
                                    passed: t.passed,
                                    passed_as: match t.matched_by {
                                        Some(Match::Alias { name }) => Some(name.to_owned()),
                                        _ => None,
                                    },
                                    flagged: t.flagged,
                                    flag_reason: t.flag_reason.map(str::to_owned),
                                    status,
                                    duration_ms,
                                    skip_reason,
                                    traceback,
                                    mismatch,
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    ComplianceReport {
        test_id,
        guideline: file,
        guideline_id: r.guideline.map(str::to_owned),
        schema: r.schema.to_owned(),
        target,
        program: r.program.to_owned(),
        compliant: r.compliant,
        required: RequiredSummary {
            capabilities: count(q.capabilities),
            count: count(q.count),
            passed: count(q.passed),
            not_passed: count(q.not_passed),
            flagged_passed: count(q.flagged_passed),
            flagged_failed: count(q.flagged_failed),
            non_flagged_total: count(q.non_flagged_total),
            non_flagged_passed: count(q.non_flagged_passed),
            pass_percent: q.pass_percent,
            non_flagged_pass_percent: q.non_flagged_pass_percent,
        },
        failing_required_capabilities: r
            .failing_required_capabilities
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        stream: info.map(|i| StreamSummary {
            tests: u64::try_from(i.tests).unwrap_or(0),
            rejected_packets: u64::try_from(i.rejected).unwrap_or(0),
            mismatches: count(
                r.statuses
                    .iter()
                    .flat_map(|s| &s.capabilities)
                    .flat_map(|c| &c.tests)
                    .filter(|t| t.mismatch)
                    .count(),
            ),
        }),
        statuses,
    }
}

/// `GET /v1/results/{id}/compliance`: visible to whoever may read the run
/// (same rules as `GET /v1/results/{id}`). Unknown run → 404; bad target or
/// guideline name, or a target the guideline does not define → 400;
/// unknown guideline → 404.
#[utoipa::path(get, path = "/v1/results/{id}/compliance", tag = "results", params(("id" = String, Path), ComplianceQuery), responses((status = 200, body = ComplianceReport), (status = 400, body = HttpErrorBody), (status = 401, body = HttpErrorBody), (status = 404, body = ErrorBody), (status = 500, body = HttpErrorBody)))]
pub(crate) async fn compliance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ComplianceQuery>,
) -> ApiResult<axum::Json<ComplianceReport>> {
    let run = ScoredRun::load(&state, &caller, &id).await?;
    let (target, file, guideline) = choose_guideline(&state, &q, &run.run.meta).await?;
    let results = run.results();
    let report = score::score(&guideline, target, &results)
        .map_err(|e| bad_request(format!("{e} (not defined by {file})")))?;
    let wire = wire_target(target)?;
    Ok(axum::Json(to_wire(
        run.run.run.id.clone(),
        file,
        &guideline,
        &report,
        wire,
        run.stream.as_ref(),
        run.info.as_ref(),
    )))
}

/// A run the caller may read, with what scoring it takes: its passed names
/// and, when its stream was uploaded, every outcome.
pub(crate) struct ScoredRun {
    /// The run.
    pub(crate) run: db::results::RunDetails,
    names: Vec<String>,
    /// Its stream, if any.
    pub(crate) info: Option<db::outcomes::StreamInfo>,
    /// Its outcomes by name, with a stream.
    pub(crate) stream: Option<StreamOutcomes>,
}

impl ScoredRun {
    /// Loads run `id`: 404 when it does not exist, 401/403 (as `GET
    /// /v1/results/{id}`) when the caller may not read it.
    pub(crate) async fn load(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Self> {
        let run = match db::results::get_run(&state.db, id).await {
            Ok(r) => r,
            Err(DbError::NotFound { .. }) => {
                return Err(ApiError::not_found(format!("Test result {id} not found")));
            }
            Err(e) => return Err(e.into()),
        };
        run_role(state, caller, &run.meta)
            .await?
            .ok_or_else(|| denied(caller))?;
        let names = db::results::result_names(&state.db, id).await?;
        let info = db::outcomes::stream_info(&state.db, id).await?;
        let stream = match &info {
            Some(_) => Some(StreamOutcomes::new(
                db::outcomes::outcomes(&state.db, id).await?,
            )),
            None => None,
        };
        Ok(Self {
            run,
            names,
            info,
            stream,
        })
    }

    /// What core scores: the passed names, plus the outcomes of a stream.
    pub(crate) fn results(&self) -> Results {
        let results = Results::from_passed_names(self.names.iter().map(String::as_str));
        match &self.stream {
            Some(s) => results.with_outcomes(s.pairs()),
            None => results,
        }
    }
}

/// The target and guideline a report is scored against: the query's, else
/// the run's meta, else `platform` and the newest dated guideline. A bad
/// target or guideline name is a 400, an unknown guideline a 404.
pub(crate) async fn choose_guideline(
    state: &AppState,
    q: &ComplianceQuery,
    meta: &std::collections::BTreeMap<String, String>,
) -> ApiResult<(Target, String, std::sync::Arc<Guideline>)> {
    let target_name = q
        .target
        .as_deref()
        .filter(|t| !t.is_empty())
        .or_else(|| meta.get("target").map(String::as_str))
        .filter(|t| !t.is_empty())
        .unwrap_or("platform");
    let target: Target = target_name
        .parse()
        .map_err(|e: refstack_core::InvalidTarget| bad_request(e.to_string()))?;
    let requested = q
        .guideline
        .as_deref()
        .filter(|g| !g.is_empty())
        .or_else(|| meta.get("guideline").map(String::as_str));
    let file = choose_file(state, requested, target).await?;
    let guideline = match state.guidelines.parsed(&file).await {
        Ok(g) => g,
        Err(FetchError::NotFound) => {
            return Err(ApiError::abort(
                StatusCode::NOT_FOUND,
                format!("Guideline {file} not found"),
            ));
        }
        Err(FetchError::Failed) => {
            return Err(ApiError::abort(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The server was unable to get or parse the guideline {file}"),
            ));
        }
    };
    Ok((target, file, guideline))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gf(file: &str) -> GuidelineFile {
        GuidelineFile {
            file: file.into(),
            addon: source::classify(file).flatten(),
        }
    }

    #[test]
    fn newest_dated_skips_next() {
        let files = [gf("2019.11.json"), gf("next.json"), gf("2020.06.json")];
        assert_eq!(
            newest_dated(files.iter()).map(|f| f.file.as_str()),
            Some("2020.06.json")
        );
        let only_next = [gf("next.json")];
        assert_eq!(
            newest_dated(only_next.iter()).map(|f| f.file.as_str()),
            Some("next.json")
        );
        assert!(newest_dated([].iter()).is_none());
    }
}
