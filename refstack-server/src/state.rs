//! The shared application state handed to every handler.

use std::sync::Arc;

use crate::config::Config;
use crate::guidelines::source::Sources;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration in effect.
    pub cfg: Arc<Config>,
    /// Guideline sources with their cache.
    pub guidelines: Arc<Sources>,
}

impl AppState {
    /// Builds the state from a configuration.
    pub fn new(cfg: Config) -> Self {
        let guidelines = Arc::new(Sources::new(&cfg.guidelines));
        Self {
            cfg: Arc::new(cfg),
            guidelines,
        }
    }
}
