//! The RefStack v1 API server.

pub mod db;
