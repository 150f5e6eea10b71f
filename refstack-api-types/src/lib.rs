//! Serde types for the RefStack v1 REST API: the JSON contract shared by
//! `refstack-server` and `refstack-tester`.
