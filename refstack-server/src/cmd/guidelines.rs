//! `refstack-server guidelines sync DIR`.

use std::path::Path;

use anyhow::Context;
use refstack_server::Config;
use refstack_server::guidelines::source::Sources;

/// Downloads every guideline file the remote sources list into `dir`
/// (`dir/<file>`, add-ons in `dir/add-ons/<file>`).
pub(crate) async fn sync(cfg: &Config, dir: &Path) -> anyhow::Result<()> {
    let mut gcfg = cfg.guidelines.clone();
    gcfg.sources = Some(gcfg.remote_sources());
    gcfg.dir = None;
    let sources = Sources::new(&gcfg);
    tracing::info!(sources = %sources.describe(), "listing guidelines");
    let files = sources.list().await;
    anyhow::ensure!(!files.is_empty(), "no guideline source listed any file");
    let addons = dir.join("add-ons");
    tokio::fs::create_dir_all(&addons)
        .await
        .with_context(|| format!("cannot create {}", addons.display()))?;
    let mut failed = 0usize;
    for f in &files {
        match sources.fetch(&f.file).await {
            Ok(body) => {
                let target = if f.addon.is_some() { &addons } else { dir }.join(&f.file);
                tokio::fs::write(&target, &body)
                    .await
                    .with_context(|| format!("cannot write {}", target.display()))?;
                tracing::info!(file = %target.display(), bytes = body.len(), "saved");
            }
            Err(e) => {
                failed += 1;
                tracing::warn!(file = %f.file, error = ?e, "download failed");
            }
        }
    }
    anyhow::ensure!(failed == 0, "{failed} of {} files failed", files.len());
    Ok(())
}
