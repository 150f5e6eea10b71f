//! The `/v1` route table: one router per resource.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

/// All `/v1` routes (without the `/v1` prefix).
pub fn v1() -> Router<AppState> {
    Router::new()
        .merge(crate::results::router())
        .merge(crate::compliance::router())
        .merge(crate::stream::router())
        .merge(crate::compare::router())
        .merge(crate::guidelines::router())
        .merge(crate::profile::router())
        .merge(crate::auth::tokens::router())
        .merge(crate::auth::routes::router())
        .merge(crate::vendors::router())
        .merge(crate::products::router())
        .route("/openapi", get(openapi))
}

/// `GET /v1/openapi.json` (the `.json` suffix is stripped before routing).
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::json(),
    )
}
