//! The RefStack v1 API server: an axum application over the storage layer in
//! [`db`]. [`app::app`] builds the router (the testable seam), [`serve`]
//! runs it under connection limits with graceful shutdown,
//! [`config::Config`] holds every option.

pub mod app;
pub mod auth;
pub mod blob;
pub mod compare;
pub mod compliance;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod guidelines;
pub mod openapi;
pub mod products;
pub mod profile;
pub mod results;
pub mod routes;
pub mod serve;
pub mod state;
pub mod stream;
pub mod ui;
pub mod vendors;

pub use app::{app, serve};

/// Installs ring as rustls's process-wide crypto provider, once. reqwest
/// (guideline sources, OpenID Connect) is built without one so that aws-lc
/// is not compiled; every HTTP client here is made after this call.
pub fn ensure_crypto_provider() {
    // An error means a provider is installed already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
pub use config::Config;
pub use state::AppState;
