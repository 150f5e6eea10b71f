//! The `/v1` route table: one router per resource.

use axum::Router;

use crate::state::AppState;

/// All `/v1` routes (without the `/v1` prefix).
pub fn v1() -> Router<AppState> {
    Router::new()
        .merge(crate::results::router())
        .merge(crate::guidelines::router())
        .merge(crate::profile::router())
        .merge(crate::vendors::router())
        .merge(crate::products::router())
}
