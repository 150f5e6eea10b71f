//! `GET /v1/guidelines/{version}/tests`: the plain-text test list used by
//! refstack-client `--test-list` (reference §2.2, §5.5), built by
//! `refstack_core::testlist`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use refstack_core::{StatusFilter, Target, TestListQuery};
use serde::Deserialize;

use super::source::{self, FetchError};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;

/// Query parameters of the test list.
#[derive(Debug, Default, Deserialize)]
pub struct TestListParams {
    /// `platform` (default), `compute`, `object`, or an add-on target.
    pub target: Option<String>,
    /// Comma-separated statuses (default: all).
    #[serde(rename = "type")]
    pub statuses: Option<String>,
    /// Include aliases (default true).
    pub alias: Option<String>,
    /// Include flagged tests (default true).
    pub flag: Option<String>,
}

impl TestListParams {
    /// The core query, or 400 `Invalid target: X`.
    pub fn to_query(&self) -> ApiResult<TestListQuery> {
        let target = match self.target.as_deref() {
            None | Some("") => Target::Platform,
            Some(t) => t
                .parse()
                .map_err(|e: refstack_core::InvalidTarget| ApiError::abort(StatusCode::BAD_REQUEST, e.to_string()))?,
        };
        let statuses = match self.statuses.as_deref() {
            None | Some("") => StatusFilter::All,
            Some(v) => StatusFilter::from_query(v),
        };
        Ok(TestListQuery {
            target,
            statuses,
            alias: refstack_core::testlist::query_bool(self.alias.as_deref(), true),
            flagged: refstack_core::testlist::query_bool(self.flag.as_deref(), true),
        })
    }
}

/// Unknown version → 404, invalid target → 400 (both 200 text upstream,
/// §10 item 11), empty list → 204, else `text/plain` lines joined by `\n`.
pub(super) async fn test_list(
    State(state): State<AppState>,
    Path(version): Path<String>,
    Query(params): Query<TestListParams>,
) -> ApiResult<Response> {
    let missing = || format!("Error getting JSON content for version: {version}");
    let query = params.to_query()?;
    let Some(file) = source::file_name(&version) else {
        return Err(ApiError::abort(StatusCode::NOT_FOUND, missing()));
    };
    let guideline = match state.guidelines.parsed(&file).await {
        Ok(g) => g,
        Err(FetchError::NotFound) => return Err(ApiError::abort(StatusCode::NOT_FOUND, missing())),
        Err(FetchError::Failed) => {
            return Err(ApiError::abort(StatusCode::INTERNAL_SERVER_ERROR, missing()));
        }
    };
    let text = refstack_core::test_list_text(&guideline, &query)
        .map_err(|e| ApiError::abort(StatusCode::BAD_REQUEST, e.to_string()))?;
    if text.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], text).into_response())
}
