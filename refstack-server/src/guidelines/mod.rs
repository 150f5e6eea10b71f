//! `GET /v1/guidelines[/{file}[/tests]]` (reference §2.2, §5).

pub mod source;
pub(crate) mod tests;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use refstack_api_types::HttpErrorBody;
use refstack_api_types::guidelines::{GuidelineFile, GuidelineList};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use source::FetchError;

/// The response header listing the configured guideline sources that
/// failed (`<source>: <reason>; ...`), on every answer that used them.
pub const SOURCE_ERRORS_HEADER: &str = "x-refstack-guideline-source-errors";

/// Middleware (on the API router): adds [`SOURCE_ERRORS_HEADER`] to the
/// answers of `/v1/guidelines...` and `/v1/results/{id}/compliance` while
/// a configured source is failing, so a list that lacks its files does not
/// read as "none exist".
pub(crate) async fn source_errors_header(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let uses_guidelines = path.starts_with("/v1/guidelines") || path.ends_with("/compliance");
    let mut resp = next.run(req).await;
    if uses_guidelines {
        let errors = state.guidelines.source_errors();
        if !errors.is_empty() {
            let text: String = errors
                .join("; ")
                .chars()
                .map(|c| {
                    if c == ' ' || c.is_ascii_graphic() {
                        c
                    } else {
                        '?'
                    }
                })
                .take(2000)
                .collect();
            if let Ok(value) = header::HeaderValue::from_str(&text) {
                resp.headers_mut()
                    .insert(header::HeaderName::from_static(SOURCE_ERRORS_HEADER), value);
            }
        }
    }
    resp
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
/// source order; failing sources are skipped and named in the
/// `X-Refstack-Guideline-Source-Errors` header.
#[utoipa::path(get, path = "/v1/guidelines", tag = "guidelines", responses((status = 200, body = GuidelineList)))]
pub(crate) async fn list(State(state): State<AppState>) -> ApiResult<axum::Json<GuidelineList>> {
    let files = state.guidelines.list().await;
    let mut out = GuidelineList::default();
    for f in files {
        let entry = GuidelineFile {
            name: f.name().to_owned(),
            file: f.file.clone(),
        };
        match &f.addon {
            Some(prefix) => out.add_ons.entry(prefix.clone()).or_default().push(entry),
            None => out.powered.push(entry),
        }
    }
    Ok(axum::Json(out))
}

const FILE_ERROR: &str =
    "The server was unable to get the JSON content for the specified guideline file.";

/// `GET /v1/guidelines/{file}`: the guideline document as fetched. A file no
/// source has is a 404 (upstream: 500); a failing source is a 500 with
/// upstream's message.
#[utoipa::path(get, path = "/v1/guidelines/{file}", tag = "guidelines", params(("file" = String, Path, description = "2020.06, 2020.06.json, dns.2020.06.json, next")), responses((status = 200, description = "The guideline document", content_type = "application/json"), (status = 404, body = HttpErrorBody), (status = 500, body = HttpErrorBody)))]
pub(crate) async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
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
