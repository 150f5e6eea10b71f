//! `GET /v1/guidelines[/{file}[/tests]]` (reference §2.2, §5).

pub mod source;
mod tests;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use source::FetchError;

pub use tests::TestListParams;

/// One entry of the guideline list.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ListEntry {
    /// Version file name without add-on prefix (`2020.06.json`).
    pub name: String,
    /// File name to request (`dns.2020.06.json`).
    pub file: String,
}

/// Routes under `/v1/guidelines`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/guidelines", get(list))
        .route("/guidelines/{file}", get(file))
        .route("/guidelines/{file}/tests", get(tests::test_list))
}

/// `GET /v1/guidelines`: `{"powered": [...], "<addon>": [...]}`. Add-ons are
/// grouped by prefix over all sources (fixing §10 item 12); lists keep the
/// source order; failing sources are skipped.
async fn list(
    State(state): State<AppState>,
) -> ApiResult<axum::Json<BTreeMap<String, Vec<ListEntry>>>> {
    let files = state.guidelines.list().await;
    let mut out: BTreeMap<String, Vec<ListEntry>> = BTreeMap::new();
    out.insert("powered".into(), Vec::new());
    for f in files {
        let key = f.addon.clone().unwrap_or_else(|| "powered".into());
        out.entry(key).or_default().push(ListEntry {
            name: f.name().to_owned(),
            file: f.file.clone(),
        });
    }
    Ok(axum::Json(out))
}

const FILE_ERROR: &str =
    "The server was unable to get the JSON content for the specified guideline file.";

/// `GET /v1/guidelines/{file}`: the guideline document as fetched. A file no
/// source has is a 404 (upstream: 500); a failing source is a 500 with
/// upstream's message.
async fn file(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    let Some(file) = source::file_name(&name) else {
        return Err(ApiError::abort(StatusCode::NOT_FOUND, FILE_ERROR));
    };
    match state.guidelines.fetch(&file).await {
        Ok(body) => Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response()),
        Err(FetchError::NotFound) => Err(ApiError::abort(StatusCode::NOT_FOUND, FILE_ERROR)),
        Err(FetchError::Failed) => Err(ApiError::abort(
            StatusCode::INTERNAL_SERVER_ERROR,
            FILE_ERROR,
        )),
    }
}
