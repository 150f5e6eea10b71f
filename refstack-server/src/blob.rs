//! The content-addressed blob store of uploaded subunit streams.
//!
//! Every store is an [`object_store::ObjectStore`]: a local directory is
//! `object_store`'s `LocalFileSystem` (one code path for all stores), and with
//! the server's `s3`, `gcs` or `azure` features a URL (`s3://bucket/prefix`,
//! `gs://...`, `az://...`) names a cloud store, configured by that store's usual
//! environment variables (`AWS_ACCESS_KEY_ID`, `GOOGLE_SERVICE_ACCOUNT`, ...).
//!
//! Blobs are named by the SHA-256 of their bytes (`subunit/ab/abcd….gz`) and
//! written with `PutMode::Create`: an existing blob of that name already holds
//! those bytes, so a repeat is not an error. Blobs are never deleted by the
//! server (another run may share one).

use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use tokio::sync::OnceCell;

/// Errors of the blob store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The configured location cannot be used.
    #[error("blob store {location:?}: {message}")]
    Config {
        /// `streams.blob_store`.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
}

/// A lazily opened store (a directory is created at the first write).
pub struct BlobStore {
    location: String,
    store: OnceCell<Arc<dyn ObjectStore>>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The key of a blob whose SHA-256 is `sha256_hex`, with a file extension
/// naming its compression.
pub fn key_for(sha256_hex: &str, extension: &str) -> String {
    let fan = sha256_hex.get(..2).unwrap_or("00");
    format!("subunit/{fan}/{sha256_hex}.{extension}")
}

impl BlobStore {
    /// A store at `location`: a directory path, a `file://` URL, or (with the
    /// matching feature) a cloud store URL.
    pub fn new(location: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            store: OnceCell::new(),
        }
    }

    fn config_error(&self, message: impl Into<String>) -> BlobError {
        BlobError::Config {
            location: self.location.clone(),
            message: message.into(),
        }
    }

    async fn open(&self) -> Result<Arc<dyn ObjectStore>, BlobError> {
        let location = self.location.trim();
        if location.is_empty() {
            return Err(self.config_error("no location configured"));
        }
        let url = url::Url::parse(location)
            .ok()
            .filter(|u| u.scheme().len() > 1);
        let dir = match &url {
            None => Some(std::path::PathBuf::from(location)),
            Some(u) if u.scheme() == "file" => Some(
                u.to_file_path()
                    .map_err(|()| self.config_error("not a local file URL"))?,
            ),
            Some(_) => None,
        };
        if let Some(dir) = dir {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| self.config_error(format!("cannot create the directory: {e}")))?;
            let fs = LocalFileSystem::new_with_prefix(&dir)?;
            return Ok(Arc::new(fs));
        }
        let url = url.ok_or_else(|| self.config_error("not a URL"))?;
        let (store, prefix) = object_store::parse_url_opts(&url, std::env::vars())?;
        if prefix.as_ref().is_empty() {
            Ok(Arc::from(store))
        } else {
            Ok(Arc::new(PrefixStore::new(store, prefix)))
        }
    }

    async fn store(&self) -> Result<&Arc<dyn ObjectStore>, BlobError> {
        self.store.get_or_try_init(|| self.open()).await
    }

    /// Stores `bytes` under `key` unless a blob of that name exists.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let store = self.store().await?;
        let path = ObjectPath::parse(key)
            .map_err(|e| self.config_error(format!("bad key {key:?}: {e}")))?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match store.put_opts(&path, PutPayload::from(bytes), opts).await {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The bytes stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let store = self.store().await?;
        let path = ObjectPath::parse(key)
            .map_err(|e| self.config_error(format!("bad key {key:?}: {e}")))?;
        Ok(store.get(&path).await?.bytes().await?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn directory_store_round_trip_and_repeat() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("blobs");
        let store = BlobStore::new(root.to_string_lossy());
        let key = key_for("abcdef", "gz");
        assert_eq!(key, "subunit/ab/abcdef.gz");
        store.put(&key, b"one".to_vec()).await.expect("put");
        // Content-addressed: a second put of the same name is not an error.
        store.put(&key, b"one".to_vec()).await.expect("repeat");
        assert_eq!(store.get(&key).await.expect("get"), b"one");
        assert!(root.join("subunit/ab/abcdef.gz").is_file());
        let url = BlobStore::new(format!("file://{}", root.display()));
        assert_eq!(url.get(&key).await.expect("get by URL"), b"one");
    }

    #[tokio::test]
    async fn unknown_scheme_is_a_config_error() {
        let store = BlobStore::new("nosuch://bucket/x");
        assert!(store.put("k", Vec::new()).await.is_err());
        assert!(BlobStore::new("").put("k", Vec::new()).await.is_err());
    }
}
