//! Shared helpers for the criterion benchmarks: locating the shared data set.
