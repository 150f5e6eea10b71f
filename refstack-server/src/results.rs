//! `/v1/results`: upload, list, get, PUT, delete, meta (reference §2.1, §3).

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use refstack_api_types::Timestamp;
use refstack_api_types::products::{ProductInfo, ProductVersionWithProduct};
use refstack_api_types::results::ResultUpdateRequest;
use refstack_api_types::results::{
    Pagination, ResultDetail, ResultListItem, ResultRecord, ResultsPage, ResultsQuery,
    UploadRequest, UploadResponse, UserRole, VerificationStatus,
};
use refstack_api_types::{ErrorBody, ExceptionErrorBody, HttpErrorBody};
use refstack_core::signature::{PublicKey, SignatureError};
use serde_json::Value;
use time::PrimitiveDateTime;

use crate::auth::{Caller, denied, require_owner, run_role};
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Query, RawBody, TextBody};
use crate::state::AppState;

/// Meta keys writable through the API and visible to plain users.
pub const RW_KEYS: [&str; 3] = ["shared", "guideline", "target"];

/// Routes under `/v1/results`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/results", get(list).post(upload))
        .route("/results/schema", get(schema))
        .route("/results/{id}", get(get_one).put(update).delete(delete))
        .route("/results/{id}/meta", get(meta_all))
        .route(
            "/results/{id}/meta/{key}",
            get(meta_get).post(meta_set).delete(meta_delete),
        )
}

pub(crate) fn ts(t: PrimitiveDateTime) -> Timestamp {
    Timestamp(t).truncated_to_seconds()
}

pub(crate) fn version_json(v: &db::versions::VersionInfo) -> ProductVersionWithProduct {
    ProductVersionWithProduct {
        id: v.id.clone(),
        version: v.version.clone(),
        cpid: v.cpid.clone(),
        product_info: ProductInfo {
            id: v.product_id.clone(),
            name: v.product_name.clone(),
            organization_id: v.organization_id.clone(),
            public: v.public,
        },
    }
}

fn verification(v: i32) -> VerificationStatus {
    if v == 1 {
        VerificationStatus::Verified
    } else {
        VerificationStatus::NotVerified
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Test result {id} not found"))
}

pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<db::results::RunDetails> {
    match db::results::get_run(&state.db, id).await {
        Ok(r) => Ok(r),
        Err(DbError::NotFound { .. }) => Err(not_found(id)),
        Err(e) => Err(e.into()),
    }
}

/// What a non-owner sees: meta filtered to the rw keys, private product
/// versions hidden.
fn public_view(
    meta: &BTreeMap<String, String>,
    pv: &Option<db::versions::VersionInfo>,
) -> (BTreeMap<String, String>, Option<ProductVersionWithProduct>) {
    let meta = meta
        .iter()
        .filter(|(k, _)| RW_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let pv = pv.as_ref().filter(|v| v.public).map(version_json);
    (meta, pv)
}

// ------------------------------------------------------------------ upload

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

/// Verifies `X-Signature` over the raw body with `X-Public-Key` (before the
/// body is parsed). Returns the key when the upload is signed.
pub(crate) fn verify_signature(headers: &HeaderMap, body: &[u8]) -> ApiResult<Option<PublicKey>> {
    let sig = header_str(headers, "x-signature");
    let key = header_str(headers, "x-public-key");
    if sig.is_none() && key.is_none() {
        return Ok(None);
    }
    let sig = sig.unwrap_or("");
    if sig.is_empty() || hex::decode(sig.trim()).is_err() {
        return Err(ApiError::validation("Malformed signature"));
    }
    let key = match PublicKey::from_openssh(key.unwrap_or("")) {
        Ok(k) => k,
        Err(SignatureError::UnsupportedKeyType(_)) => {
            return Err(ApiError::validation("Public key has unsupported format"));
        }
        Err(_) => return Err(ApiError::validation("Malformed public key")),
    };
    key.verify_hex(body, sig.trim())
        .map_err(|_| ApiError::validation("Signature verification failed"))?;
    Ok(Some(key))
}

/// `POST /v1/results` (§3.1): signature first, then JSON, schema, at least
/// one result, identity, one-transaction store. 201 `{"test_id", "url"}`.
#[utoipa::path(post, path = "/v1/results", tag = "results", request_body(content = UploadRequest, description = "Raw JSON bytes; sign them with X-Signature / X-Public-Key"), params(("X-Signature" = Option<String>, Header, description = "hex RSA PKCS#1 v1.5 SHA-256 signature of the body"), ("X-Public-Key" = Option<String>, Header, description = "OpenSSH public key line")), responses((status = 201, body = UploadResponse), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody), (status = 413, body = HttpErrorBody)))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<UploadResponse>)> {
    let key = verify_signature(&headers, &body)?;
    // One pass into the typed request; only a failed one looks at the body
    // again, to tell malformed JSON from a schema violation as upstream does
    // (it parses first, then validates).
    let upload: UploadRequest = serde_json::from_slice(&body).map_err(|e| {
        let malformed =
            !e.is_data() || serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err();
        ApiError::validation(if malformed {
            "Malformed request"
        } else {
            "Request doesnt correspond to schema"
        })
    })?;
    if upload.results.is_empty() {
        return Err(ApiError::validation(
            "Uploaded results must contain at least one passing test.",
        ));
    }
    let uploader = match &key {
        Some(k) => {
            let found = db::pubkeys::find_by_fingerprint(&state.db, &k.md5_fingerprint()).await?;
            match found {
                Some(stored) => Some(stored.openid),
                None => {
                    // Upstream: "... Please log into the RefStack server to upload
                    // your key." This says where.
                    return Err(ApiError::abort(
                        StatusCode::UNAUTHORIZED,
                        format!(
                            "User with specified key not found. Please sign in at {} and \
                             import your public key on your profile page.",
                            state.cfg.ui_link("/#/profile")
                        ),
                    ));
                }
            }
        }
        None if !state.cfg.enable_anonymous_upload => {
            // Upstream named its own site; this server names itself.
            return Err(ApiError::abort(
                StatusCode::UNAUTHORIZED,
                format!(
                    "Anonymous result uploads are disabled. Please create a user account and \
                     an api key at {}",
                    state.cfg.ui_link("/#/")
                ),
            ));
        }
        None => None,
    };
    // Identical names inside one upload are stored once (upstream: 500, §10 item 4).
    let first: Vec<bool> = {
        let mut seen = HashSet::with_capacity(upload.results.len());
        upload
            .results
            .iter()
            .map(|r| seen.insert(r.name.as_str()))
            .collect()
    };
    let results = upload
        .results
        .into_iter()
        .zip(first)
        .filter_map(|(r, first)| {
            first.then_some(db::results::NewResult {
                name: r.name,
                uuid: r.uuid,
            })
        })
        .collect();
    let run = db::results::store_upload(
        &state.db,
        &db::results::NewTestRun {
            cpid: upload.cpid,
            duration_seconds: upload.duration_seconds,
            results,
            uploader,
        },
    )
    .await?;
    let url = state.cfg.result_url(&run.id);
    Ok((
        StatusCode::CREATED,
        axum::Json(UploadResponse {
            test_id: run.id,
            url,
        }),
    ))
}

#[utoipa::path(get, path = "/v1/results/schema", tag = "results", responses((status = 200, description = "The JSON schema of an upload", content_type = "application/json")))]
pub(crate) async fn schema() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        refstack_api_types::schemas::RESULTS_SCHEMA,
    )
        .into_response()
}

// ------------------------------------------------------------------ list

/// Converts a strftime format (`%Y-%m-%d %H:%M:%S`) to a `time` description.
fn strftime_to_time(fmt: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            if c == '[' {
                out.push_str("[[");
            } else {
                out.push(c);
            }
            continue;
        }
        out.push_str(match chars.next()? {
            'Y' => "[year]",
            'm' => "[month]",
            'd' => "[day]",
            'H' => "[hour]",
            'M' => "[minute]",
            'S' => "[second]",
            'f' => "[subsecond]",
            '%' => "%",
            _ => return None,
        });
    }
    Some(out)
}

/// Parses a date with `[api] input_date_format`.
pub fn parse_date(value: &str, fmt: &str) -> ApiResult<PrimitiveDateTime> {
    let bad = || {
        ApiError::validation(format!(
            "Invalid date format: time data '{value}' does not match format '{fmt}'"
        ))
    };
    let desc = strftime_to_time(fmt).ok_or_else(bad)?;
    let items = time::format_description::parse_borrowed::<2>(&desc).map_err(|_| bad())?;
    if let Ok(dt) = PrimitiveDateTime::parse(value, &items) {
        return Ok(dt);
    }
    time::Date::parse(value, &items)
        .map(|d| d.midnight())
        .map_err(|_| bad())
}

fn parse_page(raw: Option<&str>) -> ApiResult<u32> {
    let Some(raw) = raw else { return Ok(1) };
    let page: i64 = raw.trim().parse().map_err(|_| {
        ApiError::validation(
            "Invalid page number: The page number can not be converted to an integer",
        )
    })?;
    if page <= 0 {
        return Err(ApiError::validation(
            "Invalid page number: The page number less or equal zero.",
        ));
    }
    u32::try_from(page).map_err(|_| {
        ApiError::validation(
            "Invalid page number: The page number is greater than the total number of pages.",
        )
    })
}

/// `GET /v1/results` with every filter and the visibility rules.
#[utoipa::path(get, path = "/v1/results", tag = "results", params(ResultsQuery), responses((status = 200, body = ResultsPage), (status = 400, body = ExceptionErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ResultsQuery>,
) -> ApiResult<axum::Json<ResultsPage>> {
    let fmt = &state.cfg.input_date_format;
    let mut filter = db::results::RunFilter::default();
    if let Some(s) = q.start_date.as_deref() {
        filter.start_date = Some(parse_date(s, fmt)?);
    }
    if let Some(s) = q.end_date.as_deref() {
        filter.end_date = Some(parse_date(s, fmt)?);
    }
    if let (Some(s), Some(e)) = (filter.start_date, filter.end_date)
        && s > e
    {
        return Err(ApiError::validation(
            "Invalid dates: start_date more than end_date",
        ));
    }
    filter.cpid = q.cpid.clone();
    if let Some(v) = q.verification_status.as_deref().filter(|v| !v.is_empty()) {
        let status = v
            .trim()
            .parse::<i32>()
            .map_err(|_| ApiError::validation(format!("Invalid verification_status value: {v}")))?;
        filter.verification_status = Some(status);
    }
    let is_foundation = caller.is_foundation(&state).await?;
    if q.signed.is_some() {
        let openid = caller.openid.clone().ok_or_else(|| {
            ApiError::validation("To see signed test results you need to authenticate")
        })?;
        filter.visibility = db::results::Visibility::UploadedBy(openid);
    }
    if let Some(pid) = q.product_id.as_deref() {
        let product = match db::products::get(&state.db, pid).await {
            Ok(p) => p,
            Err(DbError::NotFound { .. }) => {
                return Err(ApiError::not_found(format!(
                    "Product with id \"{pid}\" not found"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        filter.product_id = Some(pid.to_owned());
        if caller
            .is_vendor_admin(&state, &product.organization_id)
            .await?
        {
            if q.signed.is_none() {
                filter.visibility = db::results::Visibility::All;
            }
        } else if !product.public {
            return Err(ApiError::forbidden());
        }
    }
    let page = parse_page(q.page.as_deref())?;
    let per_page = state.cfg.results_per_page;
    let found = db::results::list_runs(&state.db, &filter, page, per_page).await?;
    let total_pages = found.total.div_ceil(u64::from(per_page));
    if page > 1 && u64::from(page) > total_pages {
        return Err(ApiError::validation(
            "Invalid page number: The page number is greater than the total number of pages.",
        ));
    }
    let results = found
        .items
        .into_iter()
        .map(|item| {
            let owner = caller.openid.is_some() && item.meta.get("user") == caller.openid.as_ref();
            let (meta, product_version) = if owner || is_foundation {
                (item.meta, item.product_version.as_ref().map(version_json))
            } else {
                public_view(&item.meta, &item.product_version)
            };
            ResultListItem {
                created_at: ts(item.run.created_at),
                url: state.cfg.result_url(&item.run.id),
                id: item.run.id,
                duration_seconds: i64::from(item.run.duration_seconds),
                verification_status: verification(item.run.verification_status),
                meta,
                product_version,
            }
        })
        .collect();
    Ok(axum::Json(ResultsPage {
        results,
        pagination: Pagination {
            current_page: u64::from(page),
            total_pages,
        },
    }))
}

// ------------------------------------------------------------------ one run

/// `GET /v1/results/{id}`: fields by role (§2.1).
#[utoipa::path(get, path = "/v1/results/{id}", tag = "results", params(("id" = String, Path)), responses((status = 200, body = ResultDetail), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ResultDetail>> {
    let run = load(&state, &id).await?;
    let role = run_role(&state, &caller, &run.meta)
        .await?
        .ok_or_else(|| denied(&caller))?;
    let names = db::results::result_names(&state.db, &id).await?;
    let (cpid, meta, product_version) = match role {
        UserRole::Owner | UserRole::Foundation => (
            Some(run.run.cpid.clone()),
            run.meta.clone(),
            run.product_version.as_ref().map(version_json),
        ),
        UserRole::User => {
            let (m, pv) = public_view(&run.meta, &run.product_version);
            (None, m, pv)
        }
    };
    Ok(axum::Json(ResultDetail {
        created_at: ts(run.run.created_at),
        id: run.run.id,
        cpid,
        duration_seconds: i64::from(run.run.duration_seconds),
        verification_status: verification(run.run.verification_status),
        meta,
        product_version,
        results: names,
        user_role: role,
    }))
}

/// PUT parameters: the query string merged with a JSON object body, or
/// with form fields (§1.6). Unknown keys are ignored.
fn put_params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> ApiResult<HashMap<String, Value>> {
    let mut out: HashMap<String, Value> = HashMap::new();
    let form = |s: &str| -> HashMap<String, String> {
        let uri: Uri = format!("/?{s}").parse().unwrap_or_default();
        axum::extract::Query::<HashMap<String, String>>::try_from_uri(&uri)
            .map(|q| q.0)
            .unwrap_or_default()
    };
    if let Some(q) = uri.query() {
        out.extend(form(q).into_iter().map(|(k, v)| (k, Value::String(v))));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| !ct.starts_with("application/x-www-form-urlencoded"));
    if is_json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => out.extend(map),
            _ => return Err(ApiError::validation("Malformed request")),
        }
    } else {
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::validation("Malformed request"))?;
        out.extend(form(text).into_iter().map(|(k, v)| (k, Value::String(v))));
    }
    Ok(out)
}

/// `PUT /v1/results/{id}`: associate a product version and/or (un)verify.
/// 201 with the updated run (§2.1).
#[utoipa::path(put, path = "/v1/results/{id}", tag = "results", params(("id" = String, Path)), request_body = ResultUpdateRequest, responses((status = 201, body = ResultRecord), (status = 400, body = ErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<ResultRecord>)> {
    let run = load(&state, &id).await?;
    let role = run_role(&state, &caller, &run.meta).await?;
    require_owner(&caller, role)?;
    let params = put_params(&uri, &headers, &body)?;
    let verified = run.run.verification_status == 1;
    if let Some(pv) = params.get("product_version_id") {
        if verified {
            return Err(ApiError::abort(
                StatusCode::FORBIDDEN,
                "Can not update product_version_id for a verified test run.",
            ));
        }
        let target = match pv {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => {
                return Err(ApiError::validation(format!(
                    "Invalid product_version_id value: {other}"
                )));
            }
        };
        if let Some(vid) = &target {
            let version = match db::versions::get_info(&state.db, vid).await {
                Ok(v) => v,
                Err(DbError::NotFound { .. }) => {
                    return Err(ApiError::not_found(format!(
                        "Version with id \"{vid}\" not found"
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            if !caller
                .is_vendor_admin(&state, &version.organization_id)
                .await?
            {
                return Err(ApiError::forbidden());
            }
        }
        db::results::set_product_version(&state.db, &id, target.as_deref()).await?;
    }
    if let Some(vs) = params.get("verification_status") {
        if !caller.is_foundation(&state).await? {
            return Err(ApiError::abort(
                StatusCode::FORBIDDEN,
                "You do not have permission to change a verification status.",
            ));
        }
        // Integers 0 and 1, and `false` / `true` (which upstream stored as
        // 0 / 1); a string, even "1", is a 400 (upstream: 500, §10 item 16).
        let status = match vs {
            Value::Number(n) => n.as_i64(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
        .filter(|v| *v == 0 || *v == 1)
        .ok_or_else(|| {
            let shown = match vs {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            ApiError::abort(
                StatusCode::BAD_REQUEST,
                format!("Invalid verification_status value: {shown}"),
            )
        })?;
        if status == 1
            && !["target", "guideline", "shared"]
                .iter()
                .all(|k| run.meta.get(*k).is_some_and(|v| !v.is_empty()))
        {
            return Err(ApiError::abort(
                StatusCode::FORBIDDEN,
                "In order to mark a test verified, the test must be shared and have been \
                 associated to a guideline and target program.",
            ));
        }
        db::results::set_verification_status(&state.db, &id, status as i32).await?;
    }
    let run = load(&state, &id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ResultRecord {
            created_at: ts(run.run.created_at),
            id: run.run.id,
            duration_seconds: i64::from(run.run.duration_seconds),
            verification_status: verification(run.run.verification_status),
            meta: run.meta,
            product_version: run.product_version.as_ref().map(version_json),
        }),
    ))
}

/// `DELETE /v1/results/{id}`: owner/foundation, not verified. 204.
#[utoipa::path(delete, path = "/v1/results/{id}", tag = "results", params(("id" = String, Path)), responses((status = 204), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let run = load(&state, &id).await?;
    let role = run_role(&state, &caller, &run.meta).await?;
    require_owner(&caller, role)?;
    if run.run.verification_status == 1 {
        return Err(ApiError::abort(
            StatusCode::FORBIDDEN,
            "Can not delete a verified test run.",
        ));
    }
    match db::results::delete_run(&state.db, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::NotFound { .. }) => Err(not_found(&id)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ meta

/// `GET /v1/results/{id}/meta`: all keys for owner/foundation, rw keys for
/// users, 401/403 otherwise (upstream: 500, §10 item 2).
#[utoipa::path(get, path = "/v1/results/{id}/meta", tag = "results", params(("id" = String, Path)), responses((status = 200, body = BTreeMap<String, String>), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn meta_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<BTreeMap<String, String>>> {
    let run = load(&state, &id).await?;
    match run_role(&state, &caller, &run.meta).await? {
        Some(UserRole::Owner | UserRole::Foundation) => Ok(axum::Json(run.meta)),
        Some(UserRole::User) => Ok(axum::Json(public_view(&run.meta, &None).0)),
        None => Err(denied(&caller)),
    }
}

/// `GET /v1/results/{id}/meta/{key}`: the value or `null`.
#[utoipa::path(get, path = "/v1/results/{id}/meta/{key}", tag = "results", params(("id" = String, Path), ("key" = String, Path)), responses((status = 200, body = Option<String>), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn meta_get(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<axum::Json<Option<String>>> {
    let run = load(&state, &id).await?;
    match run_role(&state, &caller, &run.meta).await? {
        Some(UserRole::Owner | UserRole::Foundation) => {}
        Some(UserRole::User) if RW_KEYS.contains(&key.as_str()) => {}
        Some(UserRole::User) => return Err(ApiError::abort_empty(StatusCode::FORBIDDEN)),
        None => return Err(denied(&caller)),
    }
    Ok(axum::Json(run.meta.get(&key).cloned()))
}

async fn meta_write_checks(
    state: &AppState,
    caller: &Caller,
    id: &str,
    key: &str,
    verified_msg: &str,
) -> ApiResult<()> {
    if !RW_KEYS.contains(&key) {
        return Err(ApiError::abort_empty(StatusCode::FORBIDDEN));
    }
    let run = load(state, id).await?;
    let role = run_role(state, caller, &run.meta).await?;
    require_owner(caller, role)?;
    if run.run.verification_status == 1 {
        return Err(ApiError::abort(StatusCode::FORBIDDEN, verified_msg));
    }
    Ok(())
}

/// `POST /v1/results/{id}/meta/{key}`: stores the raw body text. 201 `null`.
#[utoipa::path(post, path = "/v1/results/{id}/meta/{key}", tag = "results", params(("id" = String, Path), ("key" = String, Path, description = "shared, guideline or target")), request_body(content = String, content_type = "text/plain", description = "The value, stored as sent"), responses((status = 201, description = "JSON null"), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn meta_set(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
    TextBody(body): TextBody,
) -> ApiResult<(StatusCode, axum::Json<Option<()>>)> {
    meta_write_checks(
        &state,
        &caller,
        &id,
        &key,
        "Can not add/alter a new metadata key for a verified test run.",
    )
    .await?;
    let value = std::str::from_utf8(&body)
        .map_err(|_| ApiError::validation("Metadata value must be UTF-8 text"))?;
    db::meta::set(&state.db, &id, &key, value).await?;
    Ok((StatusCode::CREATED, axum::Json(None)))
}

/// `DELETE /v1/results/{id}/meta/{key}`. 204, or 404 when the key is unset.
#[utoipa::path(delete, path = "/v1/results/{id}/meta/{key}", tag = "results", params(("id" = String, Path), ("key" = String, Path)), responses((status = 204), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn meta_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    meta_write_checks(
        &state,
        &caller,
        &id,
        &key,
        "Can not delete a metadata key for a verified test run.",
    )
    .await?;
    match db::meta::delete(&state.db, &id, &key).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::NotFound { .. }) => Err(ApiError::not_found(format!(
            "Metadata key {key} not found for test run {id}"
        ))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_use_the_configured_format() {
        // Reference §2.1: bad format message.
        let f = "%Y-%m-%d %H:%M:%S";
        assert!(parse_date("2015-01-01 00:00:00", f).is_ok());
        let e = parse_date("2020-01-01", f).unwrap_err();
        assert!(
            matches!(e, ApiError::Exception { ref title, .. } if title ==
            "Invalid date format: time data '2020-01-01' does not match format '%Y-%m-%d %H:%M:%S'")
        );
        assert!(parse_date("2020-01-01", "%Y-%m-%d").is_ok());
    }

    #[test]
    fn page_numbers() {
        assert_eq!(parse_page(None).unwrap(), 1);
        assert!(parse_page(Some("x")).is_err());
        assert!(parse_page(Some("0")).is_err());
        assert_eq!(parse_page(Some("3")).unwrap(), 3);
    }
}
