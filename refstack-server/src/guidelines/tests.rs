//! `GET /v1/guidelines/{version}/tests`: the plain-text test list used by
//! refstack-client `--test-list` (reference §2.2, §5.5), built by
//! `refstack_core::testlist`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use refstack_api_types::HttpErrorBody;
use refstack_api_types::guidelines::TestListQuery as TestListParams;
use refstack_core::{StatusFilter, Target, TestListQuery};

use super::source::{self, FetchError};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;

/// The core query of the parameters, or 400 `Invalid target: X`.
fn to_query(params: &TestListParams) -> ApiResult<TestListQuery> {
    let target = match params.target.as_deref() {
        None | Some("") => Target::Platform,
        Some(t) => t.parse().map_err(|e: refstack_core::InvalidTarget| {
            ApiError::abort(StatusCode::BAD_REQUEST, e.to_string())
        })?,
    };
    let statuses = match params.kind.as_deref() {
        None | Some("") => StatusFilter::All,
        Some(v) => StatusFilter::from_query(v),
    };
    Ok(TestListQuery {
        target,
        statuses,
        alias: refstack_core::testlist::query_bool(params.alias.as_deref(), true),
        flagged: refstack_core::testlist::query_bool(params.flag.as_deref(), true),
    })
}

/// Unknown version → 404, invalid target → 400 (both 200 text upstream,
/// §10 item 11), empty list → 204, else `text/plain` lines joined by `\n`.
#[utoipa::path(get, path = "/v1/guidelines/{version}/tests", tag = "guidelines", params(("version" = String, Path), TestListParams), responses((status = 200, description = "Sorted test names, one per line", body = String, content_type = "text/plain"), (status = 204, description = "The list is empty"), (status = 400, body = HttpErrorBody), (status = 404, body = HttpErrorBody)))]
pub(crate) async fn test_list(
    State(state): State<AppState>,
    Path(version): Path<String>,
    Query(params): Query<TestListParams>,
) -> ApiResult<Response> {
    let missing = || format!("Error getting JSON content for version: {version}");
    let query = to_query(&params)?;
    let Some(file) = source::file_name(&version) else {
        return Err(ApiError::abort(StatusCode::NOT_FOUND, missing()));
    };
    let guideline = match state.guidelines.parsed(&file).await {
        Ok(g) => g,
        Err(FetchError::NotFound) => return Err(ApiError::abort(StatusCode::NOT_FOUND, missing())),
        Err(FetchError::Failed) => {
            return Err(ApiError::abort(
                StatusCode::INTERNAL_SERVER_ERROR,
                missing(),
            ));
        }
    };
    let text = state
        .guidelines
        .test_list(&file, &guideline, &query)
        .map_err(|e| ApiError::abort(StatusCode::BAD_REQUEST, e.to_string()))?;
    if text.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], text).into_response())
}
