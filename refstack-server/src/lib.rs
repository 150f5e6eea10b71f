//! The RefStack v1 API server.
