//! Getting a guideline: a local JSON file, or a version fetched from a
//! RefStack server (`GET <url>/v1/guidelines/<version>`).

use std::path::Path;

use refstack_core::Guideline;

use crate::error::Error;
use crate::http;

/// Where a guideline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuidelineSource {
    /// A JSON file.
    File(std::path::PathBuf),
    /// A version (`2020.06`, `dns.2020.06`, `next`) on a server.
    Version(String),
}

impl GuidelineSource {
    /// A path that exists, or ends in `.json` or contains a `/`, is a file;
    /// anything else is a version.
    pub fn parse(spec: &str) -> Self {
        let p = Path::new(spec);
        if p.exists() || spec.contains('/') {
            Self::File(p.to_path_buf())
        } else {
            Self::Version(spec.trim_end_matches(".json").to_string())
        }
    }
}

/// Read or fetch a guideline's JSON bytes.
pub async fn guideline_bytes(
    source: &GuidelineSource,
    url: &str,
    insecure: bool,
) -> Result<Vec<u8>, Error> {
    match source {
        GuidelineSource::File(path) => std::fs::read(path).map_err(|e| Error::Io {
            action: "read the guideline",
            path: path.clone(),
            source: e,
        }),
        GuidelineSource::Version(version) => {
            let client = http::client(&http::HttpOptions {
                insecure,
                ..Default::default()
            })?;
            let endpoint = format!("{}/v1/guidelines/{version}", url.trim_end_matches('/'));
            Ok(http::get_text(&client, &endpoint).await?.into_bytes())
        }
    }
}

/// Read or fetch and parse a guideline.
pub async fn load(source: &GuidelineSource, url: &str, insecure: bool) -> Result<Guideline, Error> {
    let bytes = guideline_bytes(source, url, insecure).await?;
    let origin = match source {
        GuidelineSource::File(p) => p.display().to_string(),
        GuidelineSource::Version(v) => format!("guideline {v}"),
    };
    Guideline::from_json(&bytes).map_err(|e| Error::Input {
        origin,
        message: e.to_string(),
    })
}
