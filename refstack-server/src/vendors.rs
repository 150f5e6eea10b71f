//! `/v1/vendors`: organizations, the register/approve/deny/cancel workflow
//! and membership (reference §2.5).

use std::collections::HashSet;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use base64::Engine;
use refstack_api_types::CreatedId;
use refstack_api_types::vendors::VendorUpdateRequest;
use refstack_api_types::vendors::{
    OrganizationType, VendorAction, VendorActionError, VendorActionRequest, VendorCreateRequest,
    VendorDetail, VendorFull, VendorList, VendorSummary, VendorUser,
};
use refstack_api_types::{ExceptionErrorBody, HttpErrorBody};
use serde_json::Value;

use crate::auth::Caller;
use crate::db::vendors::{OrgType, Organization};
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::extract::RawBody;
use crate::results::ts;
use crate::state::AppState;

/// Routes under `/v1/vendors`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/vendors", get(list).post(create))
        .route("/vendors/{id}", get(get_one).put(update).delete(delete))
        .route("/vendors/{id}/action", post(action))
        .route("/vendors/{id}/users", get(users))
        .route(
            "/vendors/{id}/users/{openid}",
            put(add_user).delete(remove_user),
        )
}

fn kind(o: &Organization) -> OrganizationType {
    match o.org_type() {
        Some(OrgType::Foundation) => OrganizationType::Foundation,
        Some(OrgType::PendingVendor) => OrganizationType::PendingVendor,
        Some(OrgType::OfficialVendor) => OrganizationType::OfficialVendor,
        _ => OrganizationType::PrivateVendor,
    }
}

fn is_public(o: &Organization) -> bool {
    matches!(
        o.org_type(),
        Some(OrgType::Foundation | OrgType::OfficialVendor)
    )
}

fn summary(o: &Organization, can_manage: bool) -> VendorSummary {
    VendorSummary {
        id: o.id.clone(),
        kind: kind(o),
        name: o.name.clone(),
        description: o.description.clone(),
        can_manage,
    }
}

fn full(o: Organization) -> VendorFull {
    VendorFull {
        created_at: ts(o.created_at),
        updated_at: o.updated_at.map(ts),
        kind: kind(&o),
        id: o.id,
        name: o.name,
        description: o.description,
        group_id: o.group_id,
        created_by_user: o.created_by_user,
        properties: o.properties,
        can_manage: true,
    }
}

/// Python's `json.dumps` with default separators (`", "`, `": "`), which is
/// how upstream stores `properties`.
pub fn python_dumps(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push_str(": ");
                    write(item, out);
                }
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Parses a JSON object body (PUT handlers: no schema, unknown keys ignored).
pub(crate) fn json_object(body: &[u8]) -> ApiResult<serde_json::Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::validation("Malformed request")),
    }
}

/// Parses a schema-validated POST body: `Malformed request` or
/// `Request doesnt correspond to schema`.
pub(crate) fn schema_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| ApiError::validation("Malformed request"))?;
    serde_json::from_value(value)
        .map_err(|_| ApiError::validation("Request doesnt correspond to schema"))
}

pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<Organization> {
    match db::vendors::get(&state.db, id).await {
        Ok(o) => Ok(o),
        Err(DbError::NotFound { .. }) => Err(ApiError::not_found(format!(
            "Organization with id {id} is not found"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// `GET /v1/vendors`.
#[utoipa::path(get, path = "/v1/vendors", tag = "vendors", responses((status = 200, body = VendorList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<VendorList>> {
    if caller.is_foundation(&state).await? {
        let all = db::vendors::list(&state.db).await?;
        return Ok(axum::Json(VendorList {
            vendors: all.iter().map(|o| summary(o, true)).collect(),
        }));
    }
    let public =
        db::vendors::list_by_types(&state.db, &[OrgType::Foundation, OrgType::OfficialVendor])
            .await?;
    let own = match &caller.openid {
        Some(o) => db::vendors::list_for_member(&state.db, o).await?,
        None => Vec::new(),
    };
    let own_ids: HashSet<&str> = own.iter().map(|o| o.id.as_str()).collect();
    let public_ids: HashSet<&str> = public.iter().map(|o| o.id.as_str()).collect();
    let mut vendors: Vec<VendorSummary> = public
        .iter()
        .map(|o| summary(o, own_ids.contains(o.id.as_str())))
        .collect();
    vendors.extend(
        own.iter()
            .filter(|o| !public_ids.contains(o.id.as_str()))
            .map(|o| summary(o, true)),
    );
    Ok(axum::Json(VendorList { vendors }))
}

/// `POST /v1/vendors`: 201 `{"id"}`; the creator becomes its admin.
#[utoipa::path(post, path = "/v1/vendors", tag = "vendors", request_body = VendorCreateRequest, responses((status = 201, body = CreatedId), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, axum::Json<CreatedId>)> {
    let openid = caller.require()?;
    let req: VendorCreateRequest = schema_body(&body)?;
    if req.name.trim().is_empty() {
        return Err(ApiError::validation("name should not be empty"));
    }
    let org = db::vendors::create(
        &state.db,
        &db::vendors::NewOrganization {
            name: req.name,
            description: req.description,
            created_by: openid.to_owned(),
            kind: OrgType::PrivateVendor,
            properties: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedId { id: org.id })))
}

/// `GET /v1/vendors/{id}`: every column for admins, a summary of public
/// vendors for others, 403 for private ones.
#[utoipa::path(get, path = "/v1/vendors/{id}", tag = "vendors", params(("id" = String, Path)), responses((status = 200, body = VendorDetail), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<VendorDetail>> {
    let org = load(&state, &id).await?;
    if caller.is_vendor_admin(&state, &org.id).await? {
        return Ok(axum::Json(VendorDetail::Full(full(org))));
    }
    if !is_public(&org) {
        return Err(ApiError::forbidden());
    }
    Ok(axum::Json(VendorDetail::Summary(summary(&org, false))))
}

async fn require_admin(state: &AppState, caller: &Caller, org: &Organization) -> ApiResult<()> {
    caller.require()?;
    if caller.is_vendor_admin(state, &org.id).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// `PUT /v1/vendors/{id}`: name (not of an official vendor unless
/// foundation), description, properties. 200 with the full vendor.
#[utoipa::path(put, path = "/v1/vendors/{id}", tag = "vendors", params(("id" = String, Path)), request_body = VendorUpdateRequest, responses((status = 200, body = VendorFull), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<VendorFull>> {
    caller.require()?;
    let org = load(&state, &id).await?;
    require_admin(&state, &caller, &org).await?;
    let params = json_object(&body)?;
    let mut changes = db::vendors::OrgUpdate::default();
    if let Some(name) = params.get("name") {
        let name = name
            .as_str()
            .ok_or_else(|| ApiError::validation("name should be a string"))?;
        if name != org.name {
            if org.org_type() == Some(OrgType::OfficialVendor)
                && !caller.is_foundation(&state).await?
            {
                return Err(ApiError::abort(
                    StatusCode::FORBIDDEN,
                    "Name change for an official vendor is not allowed.",
                ));
            }
            if name.trim().is_empty() {
                return Err(ApiError::validation("name should not be empty"));
            }
            changes.name = Some(name.to_owned());
        }
    }
    if let Some(d) = params.get("description") {
        changes.description = Some(match d {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        });
    }
    if let Some(p) = params.get("properties") {
        changes.properties = Some(Some(python_dumps(p)));
    }
    let org = db::vendors::update(&state.db, &id, &changes).await?;
    Ok(axum::Json(full(org)))
}

/// `DELETE /v1/vendors/{id}`: 204; 400 while test runs are associated.
#[utoipa::path(delete, path = "/v1/vendors/{id}", tag = "vendors", params(("id" = String, Path)), responses((status = 204), (status = 400, body = HttpErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require()?;
    let org = load(&state, &id).await?;
    require_admin(&state, &caller, &org).await?;
    if org.org_type() == Some(OrgType::Foundation) {
        return Err(ApiError::forbidden());
    }
    match db::vendors::delete(&state.db, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(DbError::InUse(_)) => Err(ApiError::abort(
            StatusCode::BAD_REQUEST,
            "Unable to delete. There are still tests associated to products for this vendor.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /v1/vendors/{id}/action`: exactly one of register, approve, deny,
/// cancel. 200 `null`.
#[utoipa::path(post, path = "/v1/vendors/{id}/action", tag = "vendors", params(("id" = String, Path)), request_body = VendorActionRequest, responses((status = 200, description = "JSON null"), (status = 400, body = HttpErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<Option<()>>> {
    let openid = caller.require()?.to_owned();
    let req = VendorActionRequest::from_json(&body).map_err(|e| match e {
        VendorActionError::InvalidActions(_) => {
            ApiError::abort(StatusCode::BAD_REQUEST, e.to_string())
        }
        VendorActionError::Malformed => ApiError::validation("Malformed request"),
    })?;
    let org = load(&state, &id).await?;
    let foundation = caller.is_foundation(&state).await?;
    let member = db::vendors::is_member(&state.db, &org.id, &openid).await?;
    if org.org_type() == Some(OrgType::Foundation) {
        return Err(ApiError::forbidden());
    }
    let outcome = match req.action {
        VendorAction::Register | VendorAction::Cancel if !member => {
            return Err(ApiError::forbidden());
        }
        VendorAction::Approve | VendorAction::Deny if !foundation => {
            return Err(ApiError::forbidden());
        }
        VendorAction::Register => db::vendors::register(&state.db, &id).await,
        VendorAction::Cancel => db::vendors::cancel(&state.db, &id).await,
        VendorAction::Approve => db::vendors::approve(&state.db, &id).await,
        VendorAction::Deny => {
            let reason = req.registration_decline_reason.unwrap_or_default();
            if reason.trim().is_empty() {
                return Err(ApiError::abort(
                    StatusCode::BAD_REQUEST,
                    "The decline reason can not be empty",
                ));
            }
            db::vendors::deny(&state.db, &id, &reason).await
        }
    };
    match outcome {
        Ok(_) => Ok(axum::Json(None)),
        Err(DbError::InvalidState(_)) => Err(ApiError::abort(
            StatusCode::BAD_REQUEST,
            "Invalid organization state for this action.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /v1/vendors/{id}/users`: the members, for admins only (upstream
/// answered `null` to other users, §10 item 8: now 403).
#[utoipa::path(get, path = "/v1/vendors/{id}/users", tag = "vendors", params(("id" = String, Path)), responses((status = 200, body = Vec<VendorUser>), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<VendorUser>>> {
    caller.require()?;
    let org = load(&state, &id).await?;
    require_admin(&state, &caller, &org).await?;
    let members = db::vendors::members(&state.db, &id).await?;
    Ok(axum::Json(
        members
            .into_iter()
            .map(|u| VendorUser {
                openid: u.openid,
                email: u.email,
                fullname: u.fullname,
            })
            .collect(),
    ))
}

fn decode_openid(b64: &str) -> ApiResult<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(b64))
        .map_err(|_| ApiError::validation("The openid must be base64-encoded"))?;
    String::from_utf8(bytes).map_err(|_| ApiError::validation("The openid must be base64-encoded"))
}

/// `PUT /v1/vendors/{id}/users/{b64 openid}`: 204 (idempotent); 404 for an
/// unknown user (upstream: 500, §10 item 8).
#[utoipa::path(put, path = "/v1/vendors/{id}/users/{openid}", tag = "vendors", params(("id" = String, Path), ("openid" = String, Path, description = "standard base64 of the openid")), responses((status = 204), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn add_user(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, b64)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let me = caller.require()?.to_owned();
    let org = load(&state, &id).await?;
    require_admin(&state, &caller, &org).await?;
    let openid = decode_openid(&b64)?;
    if db::users::find(&state.db, &openid).await?.is_none() {
        return Err(ApiError::not_found(format!("User {openid} not found")));
    }
    db::vendors::add_member(&state.db, &id, &openid, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/vendors/{id}/users/{b64 openid}`: 204.
#[utoipa::path(delete, path = "/v1/vendors/{id}/users/{openid}", tag = "vendors", params(("id" = String, Path), ("openid" = String, Path, description = "standard base64 of the openid")), responses((status = 204), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody)))]
pub(crate) async fn remove_user(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, b64)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require()?;
    let org = load(&state, &id).await?;
    require_admin(&state, &caller, &org).await?;
    let openid = decode_openid(&b64)?;
    db::vendors::remove_member(&state.db, &id, &openid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dumps_like_python() {
        let v = serde_json::json!({"a": [1, "x"], "b": {"c": null}});
        assert_eq!(
            super::python_dumps(&v),
            r#"{"a": [1, "x"], "b": {"c": null}}"#
        );
    }
}
