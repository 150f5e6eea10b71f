//! `refstack-server guidelines sync DIR`.

use std::path::Path;

use anyhow::Context;
use refstack_server::Config;
use refstack_server::guidelines::source::Sources;

/// Writes every guideline file the remote sources list into `dir`, and the
/// built-in files they do not override (unless `[guidelines] builtin =
/// false`): a local copy to serve with `REFSTACK_GUIDELINES_DIR` and edit.
/// A remote source that fails makes the command fail, after what could be
/// written was.
pub(crate) async fn sync(cfg: &Config, dir: &Path, json: bool) -> anyhow::Result<()> {
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
    let errors = sources.source_errors();
    anyhow::ensure!(
        errors.is_empty(),
        "guideline source failed: {}",
        errors.join("; ")
    );
    anyhow::ensure!(
        report.failed.is_empty(),
        "{} files failed: {}",
        report.failed.len(),
        report.failed.join(", ")
    );
    if json {
        super::print_json(&Synced {
            dir,
            files: &report.saved,
        })?;
    } else {
        println!(
            "{} guideline files in {} (serve them with REFSTACK_GUIDELINES_DIR={})",
            report.saved.len(),
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

/// `guidelines sync --json`.
#[derive(serde::Serialize)]
struct Synced<'a> {
    /// The directory written.
    dir: &'a Path,
    /// Every file written, in the order written.
    files: &'a [std::path::PathBuf],
}
