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
pub use config::Config;
pub use state::AppState;
