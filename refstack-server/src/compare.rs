//! `GET /v1/results/{a}/compare/{b}` (beyond the upstream v1 contract, issue
//! 13 item 4): what changed from run `a` to run `b`, both scored by
//! `refstack_core::score` against the same guideline and target (the query's,
//! else run `a`'s meta, else the compliance report's defaults) and compared
//! by `refstack_core::compare`. Both runs must be readable by the caller
//! (the rules of `GET /v1/results/{id}`).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use refstack_api_types::compare::{CapabilityChange, CompareReport, CompareRun, TestChange};
use refstack_api_types::compliance::ComplianceQuery;
use refstack_api_types::{ErrorBody, HttpErrorBody};
use refstack_core::compare::{self, TestState};
use refstack_core::score;

use crate::auth::Caller;
use crate::compliance::{
    ScoredRun, bad_request, choose_guideline, to_status, wire_outcome, wire_target,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;

/// The route, merged into `/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/results/{a}/compare/{b}", get(compare_runs))
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn side(id: &str, run: &ScoredRun, r: &score::ComplianceReport<'_>) -> CompareRun {
    CompareRun {
        test_id: id.to_owned(),
        compliant: r.compliant,
        passed: count(r.required.passed),
        count: count(r.required.count),
        pass_percent: r.required.pass_percent,
        full_results: run.stream.is_some(),
    }
}

/// `GET /v1/results/{a}/compare/{b}`: capabilities whose verdict changed and
/// tests whose pass or outcome changed from `a` to `b`. Unknown run → 404;
/// a run the caller may not read → 401/403; bad target or guideline name,
/// or a target the guideline does not define → 400; unknown guideline → 404.
#[utoipa::path(get, path = "/v1/results/{a}/compare/{b}", tag = "results", params(("a" = String, Path, description = "the earlier run"), ("b" = String, Path, description = "the later run"), ComplianceQuery), responses((status = 200, body = CompareReport), (status = 400, body = HttpErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn compare_runs(
    State(state): State<AppState>,
    caller: Caller,
    Path((a, b)): Path<(String, String)>,
    Query(q): Query<ComplianceQuery>,
) -> ApiResult<axum::Json<CompareReport>> {
    let before = ScoredRun::load(&state, &caller, &a).await?;
    let after = ScoredRun::load(&state, &caller, &b).await?;
    let (target, file, guideline) = choose_guideline(&state, &q, &before.run.meta).await?;
    let (rb, ra) = (before.results(), after.results());
    let not_defined =
        |e: refstack_core::InvalidTarget| bad_request(format!("{e} (not defined by {file})"));
    let sb = score::score(&guideline, target, &rb).map_err(not_defined)?;
    let sa = score::score(&guideline, target, &ra).map_err(not_defined)?;
    let changes = compare::compare(&sb, &sa).map_err(ApiError::internal)?;
    let outcome = |s: &TestState| wire_outcome(s.effective());
    Ok(axum::Json(CompareReport {
        guideline: file.clone(),
        guideline_id: sb.guideline.map(str::to_owned),
        target: wire_target(target)?,
        program: sb.program.to_owned(),
        before: side(&a, &before, &sb),
        after: side(&b, &after, &sa),
        capabilities: changes
            .capabilities
            .iter()
            .map(|c| CapabilityChange {
                status: to_status(c.status),
                id: c.capability.to_owned(),
                before: c.before,
                after: c.after,
            })
            .collect(),
        tests: changes
            .tests
            .iter()
            .map(|t| TestChange {
                status: to_status(t.status),
                capability: t.capability.to_owned(),
                name: t.test.to_owned(),
                flagged: t.flagged,
                passed_before: t.before.passed,
                passed_after: t.after.passed,
                before: outcome(&t.before),
                after: outcome(&t.after),
            })
            .collect(),
    }))
}
