//! The shared application state handed to every handler.

use std::sync::Arc;

use crate::auth::oidc::Oidc;
use crate::blob::BlobStore;
use crate::config::Config;
use crate::db::Db;
use crate::guidelines::source::Sources;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration in effect.
    pub cfg: Arc<Config>,
    /// The database.
    pub db: Db,
    /// Guideline sources with their cache.
    pub guidelines: Arc<Sources>,
    /// The OpenID Connect relying party, when configured.
    pub oidc: Option<Arc<Oidc>>,
    /// Where uploaded subunit streams are kept (`streams.blob_store`).
    pub blobs: Arc<BlobStore>,
}

impl AppState {
    /// Builds the state from a configuration and a connected, migrated database.
    /// An empty `ui_url` becomes [`Config::public_ui_url`], an empty `api_url`
    /// [`Config::public_api_url`].
    pub fn new(mut cfg: Config, db: Db) -> Self {
        if cfg.ui_url.is_empty() {
            cfg.ui_url = cfg.public_ui_url();
        }
        if cfg.api_url.is_empty() {
            cfg.api_url = cfg.public_api_url();
        }
        let guidelines = Arc::new(Sources::new(&cfg.guidelines));
        let oidc = Oidc::new(&cfg).map(Arc::new);
        let blobs = Arc::new(BlobStore::new(cfg.streams.blob_store.clone()));
        Self {
            blobs,
            cfg: Arc::new(cfg),
            db,
            guidelines,
            oidc,
        }
    }
}
