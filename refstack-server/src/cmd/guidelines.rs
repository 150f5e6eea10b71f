//! `refstack-server guidelines sync DIR`.

use std::path::Path;

use anyhow::Context;
use refstack_server::Config;
use refstack_server::guidelines::source::Sources;

/// Downloads every guideline file the remote sources list into `dir`.
pub(crate) async fn sync(cfg: &Config, dir: &Path) -> anyhow::Result<()> {
    let mut gcfg = cfg.guidelines.clone();
    gcfg.sources = Some(gcfg.remote_sources());
    gcfg.dir = None;
    let sources = Sources::new(&gcfg);
    tracing::info!(sources = %sources.describe(), "downloading guidelines");
    let report = sources
        .download_all(dir)
        .await
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    for file in &report.saved {
        tracing::info!(file = %file.display(), "saved");
    }
    anyhow::ensure!(
        !report.saved.is_empty(),
        "no guideline source listed any file"
    );
    anyhow::ensure!(
        report.failed.is_empty(),
        "{} files failed: {}",
        report.failed.len(),
        report.failed.join(", ")
    );
    Ok(())
}
