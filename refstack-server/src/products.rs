//! `/v1/products` and product versions (reference §2.6).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use refstack_api_types::CreatedId;
use refstack_api_types::products::{
    ProductCreateRequest, ProductDetail, ProductFull, ProductKind, ProductList, ProductSummary,
    ProductType, ProductUpdateResponse, ProductVersion, ProductVersionCreateRequest,
    ProductVersionWithProduct,
};
use refstack_api_types::products::{ProductUpdateRequest, ProductVersionUpdateRequest};
use refstack_api_types::{ExceptionErrorBody, HttpErrorBody};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::db::products::Product;
use crate::db::vendors::OrgType;
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Query, RawBody};
use crate::results::{ts, version_json};
use crate::state::AppState;
use crate::vendors::{json_object, python_dumps, schema_body};

/// Routes under `/v1/products`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products", get(list).post(create))
        .route("/products/{id}", get(get_one).put(update).delete(delete))
        .route(
            "/products/{id}/versions",
            get(list_versions).post(create_version),
        )
        .route(
            "/products/{id}/versions/{vid}",
            get(get_version).put(update_version).delete(delete_version),
        )
}

fn product_type(p: &Product) -> ProductType {
    ProductType::from_i64(i64::from(p.product_type)).unwrap_or(ProductType::Distro)
}

fn product_kind(p: &Product) -> ProductKind {
    ProductKind::from_i64(i64::from(p.kind)).unwrap_or(ProductKind::Cloud)
}

fn summary(p: &Product, can_manage: bool) -> ProductSummary {
    ProductSummary {
        id: p.id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        organization_id: p.organization_id.clone(),
        public: p.public,
        kind: product_kind(p),
        product_type: product_type(p),
        can_manage,
    }
}

fn full(p: Product) -> ProductFull {
    ProductFull {
        created_at: ts(p.created_at),
        updated_at: p.updated_at.map(ts),
        kind: product_kind(&p),
        product_type: product_type(&p),
        id: p.id,
        name: p.name,
        description: p.description,
        organization_id: p.organization_id,
        created_by_user: p.created_by_user,
        public: p.public,
        properties: p.properties,
        can_manage: true,
    }
}

fn version(v: db::versions::ProductVersion) -> ProductVersion {
    ProductVersion {
        id: v.id,
        product_id: v.product_id,
        version: v.version,
        cpid: v.cpid,
    }
}

async fn load(state: &AppState, id: &str) -> ApiResult<Product> {
    match db::products::get(&state.db, id).await {
        Ok(p) => Ok(p),
        Err(DbError::NotFound { .. }) => Err(ApiError::not_found(format!(
            "Product with id \"{id}\" not found"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The version `vid` of product `product_id`: 404 when it does not exist or
/// belongs to another product (the caller's rights were checked on the
/// product in the URL, so a version of any other product must not be
/// reachable through it).
async fn load_version(
    state: &AppState,
    product_id: &str,
    vid: &str,
) -> ApiResult<db::versions::ProductVersion> {
    let not_found = || ApiError::not_found(format!("Version with id \"{vid}\" not found"));
    match db::versions::get(&state.db, vid).await {
        Ok(v) if v.product_id == product_id => Ok(v),
        Ok(_) | Err(DbError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Requires a signed-in foundation admin or member of the product's vendor.
async fn require_admin(state: &AppState, caller: &Caller, p: &Product) -> ApiResult<()> {
    caller.require()?;
    if caller.is_vendor_admin(state, &p.organization_id).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Public product or admin, else 403.
async fn require_visible(state: &AppState, caller: &Caller, p: &Product) -> ApiResult<bool> {
    let admin = caller.is_vendor_admin(state, &p.organization_id).await?;
    if admin || p.public {
        Ok(admin)
    } else {
        Err(ApiError::forbidden())
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    pub(crate) organization_id: Option<String>,
}

/// `GET /v1/products[?organization_id=]`: sorted by name.
#[utoipa::path(get, path = "/v1/products", tag = "products", params(("organization_id" = Option<String>, Query)), responses((status = 200, body = ProductList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListParams>,
) -> ApiResult<axum::Json<ProductList>> {
    let org = q.organization_id.as_deref().filter(|s| !s.is_empty());
    let mut products: Vec<ProductSummary> = if caller.is_foundation(&state).await? {
        db::products::list(&state.db, org)
            .await?
            .iter()
            .map(|p| summary(p, true))
            .collect()
    } else {
        let own = match &caller.openid {
            Some(o) => db::products::list_for_member(&state.db, o, org).await?,
            None => Vec::new(),
        };
        let mut out: Vec<ProductSummary> = own.iter().map(|p| summary(p, true)).collect();
        for p in db::products::list_public(&state.db, org).await? {
            if !own.iter().any(|o| o.id == p.id) {
                out.push(summary(&p, false));
            }
        }
        out
    };
    products.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(axum::Json(ProductList { products }))
}

/// `POST /v1/products`: 201 `{"id"}`; creates the implicit version too.
/// With an `organization_id` the caller must administer that vendor (fixes
/// §10 item 3); without, the caller's `vendor_<openid>` vendor is used.
#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = ProductCreateRequest, responses((status = 201, body = CreatedId), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<CreatedId>)> {
    let openid = caller.require()?.to_owned();
    let req: ProductCreateRequest = schema_body(&body)?;
    if req.name.trim().is_empty() {
        return Err(ApiError::validation("name should not be empty"));
    }
    let organization_id = match req.organization_id.as_deref().filter(|s| !s.is_empty()) {
        Some(org) => {
            let org = crate::vendors::load(&state, org).await?;
            if !caller.is_vendor_admin(&state, &org.id).await? {
                return Err(ApiError::forbidden());
            }
            org.id
        }
        None => {
            db::vendors::find_or_create_for_member(&state.db, &format!("vendor_{openid}"), &openid)
                .await?
                .id
        }
    };
    let (product, _) = db::products::create(
        &state.db,
        &db::products::NewProduct {
            name: req.name,
            description: req.description,
            organization_id,
            created_by: openid,
            product_type: req.product_type.as_i64() as i32,
            version: req.version,
            properties: None,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedId { id: product.id }),
    ))
}

/// `GET /v1/products/{id}`.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)), responses((status = 200, body = ProductDetail), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ProductDetail>> {
    let p = load(&state, &id).await?;
    if require_visible(&state, &caller, &p).await? {
        Ok(axum::Json(ProductDetail::Full(full(p))))
    } else {
        Ok(axum::Json(ProductDetail::Summary(summary(&p, false))))
    }
}

/// Upstream's `str_to_bool` for `public`.
fn to_bool(v: &Value) -> ApiResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => Ok(matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "1"
        )),
        Value::Number(n) => Ok(n.as_i64() == Some(1)),
        _ => Err(ApiError::validation(format!("Invalid public value: {v}"))),
    }
}

/// `PUT /v1/products/{id}`: 200 with the default product keys.
#[utoipa::path(put, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)), request_body = ProductUpdateRequest, responses((status = 200, body = ProductUpdateResponse), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<ProductUpdateResponse>> {
    caller.require()?;
    let p = load(&state, &id).await?;
    require_admin(&state, &caller, &p).await?;
    let params = json_object(&body)?;
    let mut changes = db::products::ProductUpdate::default();
    if let Some(name) = params.get("name") {
        let name = name
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiError::validation("name should not be empty"))?;
        changes.name = Some(name.to_owned());
    }
    if let Some(d) = params.get("description") {
        changes.description = Some(match d {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        });
    }
    if let Some(v) = params.get("public") {
        let public = to_bool(v)?;
        if public {
            let org = crate::vendors::load(&state, &p.organization_id).await?;
            if !matches!(
                org.org_type(),
                Some(OrgType::Foundation | OrgType::OfficialVendor)
            ) {
                return Err(ApiError::forbidden());
            }
        }
        changes.public = Some(public);
    }
    if let Some(props) = params.get("properties") {
        changes.properties = Some(Some(python_dumps(props)));
    }
    let p = db::products::update(&state.db, &id, &changes).await?;
    Ok(axum::Json(ProductUpdateResponse {
        id: p.id,
        name: p.name,
        organization_id: p.organization_id,
        public: p.public,
        can_manage: true,
    }))
}

/// `DELETE /v1/products/{id}`: 204; 400 while test runs are associated.
#[utoipa::path(delete, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)), responses((status = 204), (status = 400, body = HttpErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require()?;
    let p = load(&state, &id).await?;
    require_admin(&state, &caller, &p).await?;
    match db::products::delete(&state.db, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::InUse(_)) => Err(ApiError::abort(
            StatusCode::BAD_REQUEST,
            "Unable to delete. There are still tests associated to versions of this product.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /v1/products/{id}/versions`.
#[utoipa::path(get, path = "/v1/products/{id}/versions", tag = "products", params(("id" = String, Path)), responses((status = 200, body = Vec<ProductVersion>), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<ProductVersion>>> {
    let p = load(&state, &id).await?;
    require_visible(&state, &caller, &p).await?;
    let versions = db::versions::list(&state.db, &id).await?;
    Ok(axum::Json(versions.into_iter().map(version).collect()))
}

/// `POST /v1/products/{id}/versions`: 201 with the version; 409 for a
/// duplicate (upstream: 500, §10 item 9).
#[utoipa::path(post, path = "/v1/products/{id}/versions", tag = "products", params(("id" = String, Path)), request_body = ProductVersionCreateRequest, responses((status = 201, body = ProductVersion), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 409, body = ExceptionErrorBody)))]
pub(crate) async fn create_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<ProductVersion>)> {
    let openid = caller.require()?.to_owned();
    let p = load(&state, &id).await?;
    require_admin(&state, &caller, &p).await?;
    let req: ProductVersionCreateRequest = schema_body(&body)?;
    if req.version.trim().is_empty() {
        return Err(ApiError::validation("version should not be empty"));
    }
    let v = db::versions::create(
        &state.db,
        &db::versions::NewVersion {
            product_id: id,
            version: Some(req.version),
            cpid: req.cpid,
            created_by: openid,
        },
    )
    .await
    .map_err(|e| match e {
        DbError::Conflict(_) => ApiError::conflict("Version already exists for this product."),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, axum::Json(version(v))))
}

/// `GET /v1/products/{id}/versions/{vid}`.
#[utoipa::path(get, path = "/v1/products/{id}/versions/{vid}", tag = "products", params(("id" = String, Path), ("vid" = String, Path)), responses((status = 200, body = ProductVersion), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn get_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, vid)): Path<(String, String)>,
) -> ApiResult<axum::Json<ProductVersion>> {
    let p = load(&state, &id).await?;
    require_visible(&state, &caller, &p).await?;
    Ok(axum::Json(version(load_version(&state, &id, &vid).await?)))
}

/// `PUT /v1/products/{id}/versions/{vid}`: only `cpid` is applied.
#[utoipa::path(put, path = "/v1/products/{id}/versions/{vid}", tag = "products", params(("id" = String, Path), ("vid" = String, Path)), request_body = ProductVersionUpdateRequest, responses((status = 200, body = ProductVersionWithProduct), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn update_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, vid)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<ProductVersionWithProduct>> {
    caller.require()?;
    let p = load(&state, &id).await?;
    require_admin(&state, &caller, &p).await?;
    load_version(&state, &id, &vid).await?;
    let params = json_object(&body)?;
    if let Some(cpid) = params.get("cpid") {
        let cpid = match cpid {
            Value::Null => None,
            Value::String(s) => Some(s.as_str()),
            other => {
                return Err(ApiError::validation(format!("Invalid cpid value: {other}")));
            }
        };
        db::versions::set_cpid(&state.db, &vid, cpid).await?;
    }
    let info = db::versions::get_info(&state.db, &vid).await?;
    Ok(axum::Json(version_json(&info)))
}

/// `DELETE /v1/products/{id}/versions/{vid}`.
#[utoipa::path(delete, path = "/v1/products/{id}/versions/{vid}", tag = "products", params(("id" = String, Path), ("vid" = String, Path)), responses((status = 204), (status = 400, body = HttpErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn delete_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, vid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require()?;
    let p = load(&state, &id).await?;
    require_admin(&state, &caller, &p).await?;
    let v = load_version(&state, &id, &vid).await?;
    if v.version.is_none() {
        return Err(ApiError::abort(
            StatusCode::BAD_REQUEST,
            "Can not delete the empty version as it is used for basic product/test \
             association. This version was implicitly created with the product, and so it \
             cannot be deleted explicitly.",
        ));
    }
    match db::versions::delete(&state.db, &vid).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::InUse(_)) => Err(ApiError::abort(
            StatusCode::BAD_REQUEST,
            "Unable to delete. There are still tests associated to this product version.",
        )),
        Err(e) => Err(e.into()),
    }
}
