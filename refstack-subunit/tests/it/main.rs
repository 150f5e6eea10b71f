//! Integration tests of refstack-subunit (one test binary).

mod fold_merge;
mod lifecycle;
#[cfg(feature = "tokio")]
mod live;
mod props;
mod shared_data;
mod streams;
mod util;
mod v1;
