//! `GET /v1/results/{id}/compliance` (beyond the upstream v1 contract): the
//! compliance report of a stored run, scored on the server by
//! `refstack_core::score` from the run's passed test names, so the web UI
//! never reimplements the scoring (reference §6).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use refstack_api_types::compliance::{
    CapabilityReport, CapabilityStatus, ComplianceQuery, ComplianceReport, RequiredSummary,
    StatusReport, TestReport,
};
use refstack_api_types::guidelines::Target as WireTarget;
use refstack_api_types::{ErrorBody, HttpErrorBody};
use refstack_core::score::{self, Match, Results};
use refstack_core::{Guideline, Status, Target};

use crate::auth::{Caller, denied, run_role};
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::guidelines::source::{self, FetchError, GuidelineFile};
use crate::state::AppState;

/// The route, merged into `/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/results/{id}/compliance", get(compliance))
}

fn bad_request(msg: impl Into<String>) -> ApiError {
    ApiError::abort(StatusCode::BAD_REQUEST, msg)
}

/// The wire name of a core target.
fn wire_target(t: Target) -> ApiResult<WireTarget> {
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
fn to_status(s: &str) -> CapabilityStatus {
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

/// Converts core's borrowed report to the wire type, adding each test's
/// aliases from the guideline.
fn to_wire(
    test_id: String,
    file: String,
    g: &Guideline,
    r: &score::ComplianceReport<'_>,
    target: WireTarget,
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
                            .map(|(i, t)| TestReport {
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
    let run = match db::results::get_run(&state.db, &id).await {
        Ok(r) => r,
        Err(DbError::NotFound { .. }) => {
            return Err(ApiError::not_found(format!("Test result {id} not found")));
        }
        Err(e) => return Err(e.into()),
    };
    run_role(&state, &caller, &run.meta)
        .await?
        .ok_or_else(|| denied(&caller))?;
    let target_name = q
        .target
        .as_deref()
        .filter(|t| !t.is_empty())
        .or_else(|| run.meta.get("target").map(String::as_str))
        .filter(|t| !t.is_empty())
        .unwrap_or("platform");
    let target: Target = target_name
        .parse()
        .map_err(|e: refstack_core::InvalidTarget| bad_request(e.to_string()))?;
    let requested = q
        .guideline
        .as_deref()
        .filter(|g| !g.is_empty())
        .or_else(|| run.meta.get("guideline").map(String::as_str));
    let file = choose_file(&state, requested, target).await?;
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
    let names = db::results::result_names(&state.db, &id).await?;
    let results = Results::from_passed_names(names);
    let report = score::score(&guideline, target, &results)
        .map_err(|e| bad_request(format!("{e} (not defined by {file})")))?;
    let wire = wire_target(target)?;
    Ok(axum::Json(to_wire(
        run.run.id, file, &guideline, &report, wire,
    )))
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
