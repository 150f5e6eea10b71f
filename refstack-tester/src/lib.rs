//! Run the Tempest tests of an OpenStack interop guideline against a cloud,
//! score the results, sign them and upload them to a RefStack server.
//!
//! This crate is the I/O shell around `refstack-subunit` (streams) and
//! `refstack-core` (guidelines, scoring, payloads, signatures): it starts
//! processes, reads and writes files, and talks HTTP.
//!
//! The main entry points:
//! - [`tempest::Tempest::locate`] and [`tempest::run`]: find and run Tempest;
//! - [`conf::KeystoneConfig::from_file`] and [`cpid::discover`]: the cloud id;
//! - [`http::upload_bytes`], [`http::get_results_page`]: the RefStack API.

pub mod conf;
pub mod convert;
pub mod cpid;
pub mod error;
pub mod guideline;
pub mod http;
pub mod oci;
pub mod output;
pub mod progress;
pub mod record;
pub mod report;
pub mod results;
pub mod run;
pub mod runner;
pub mod sanitize;
pub mod server;
pub mod sign;
pub mod stream;
pub mod tempest;
pub mod testlist;

pub use error::Error;
