//! Getting a guideline: a local JSON file, a published version compiled
//! into the tester (`refstack-guidelines`: no file, no network), or another
//! version fetched from a RefStack server (`GET <url>/v1/guidelines/<version>`).

use std::path::Path;

use refstack_core::{Guideline, Target};

use crate::error::Error;
use crate::http;

/// Where a guideline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuidelineSource {
    /// A JSON file.
    File(std::path::PathBuf),
    /// A version (`2020.06`, `dns.2020.06`, `next`): built in, or on a server.
    Version(String),
}

impl GuidelineSource {
    /// The same paths positional file arguments take: `-` (standard
    /// input), a path that exists, or one that contains a path separator
    /// or ends in `.json` (a missing file is then an error, not a request
    /// to a server), is a file; anything else (`2020.06`, `dns.2020.06`,
    /// `next`) is a version, and so is the file name of a built-in version
    /// (`2020.06.json`, as the server's URLs name them) when no such file
    /// exists here.
    pub fn parse(spec: &str) -> Self {
        let p = Path::new(spec);
        let json = spec
            .get(spec.len().saturating_sub(5)..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".json"));
        let separator = spec.contains('/') || spec.contains(std::path::MAIN_SEPARATOR);
        if json && !separator && !p.exists() && refstack_guidelines::get(spec).is_some() {
            return Self::Version(spec.to_string());
        }
        if spec == "-" || json || p.exists() || separator {
            Self::File(p.to_path_buf())
        } else {
            Self::Version(spec.to_string())
        }
    }

    /// The built-in file of a version, if the tester ships it.
    pub fn builtin(&self) -> Option<&'static refstack_guidelines::Builtin> {
        match self {
            Self::Version(v) => refstack_guidelines::get(v),
            Self::File(_) => None,
        }
    }
}

/// The versions compiled in, for messages: `2015.05, 2016.08, ...`
/// (powered guidelines first, then add-ons).
pub fn builtin_versions() -> String {
    let all = refstack_guidelines::ALL.iter();
    all.clone()
        .filter(|b| b.addon.is_none())
        .chain(all.filter(|b| b.addon.is_some()))
        .map(|b| b.file.trim_end_matches(".json"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Read, take from the built-in files, or fetch a guideline's JSON bytes.
/// `url` (the RefStack API) is only needed for a version that is not
/// built in.
pub async fn guideline_bytes(
    source: &GuidelineSource,
    url: Option<&str>,
    insecure: bool,
) -> Result<Vec<u8>, Error> {
    if let Some(b) = source.builtin() {
        return Ok(b.json.as_bytes().to_vec());
    }
    match source {
        GuidelineSource::File(path) if path.as_os_str() == "-" => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map_err(|e| {
                Error::Io {
                    action: "read the guideline",
                    path: path.clone(),
                    source: e,
                }
            })?;
            Ok(bytes)
        }
        GuidelineSource::File(path) => std::fs::read(path).map_err(|e| Error::Io {
            action: "read the guideline",
            path: path.clone(),
            source: e,
        }),
        GuidelineSource::Version(version) => {
            let url = match url {
                Some(u) => u.to_owned(),
                None => crate::server::refstack_url(None).map_err(|e| Error::Input {
                    origin: format!("guideline {version}"),
                    message: format!("not built in (built in: {}), and {e}", builtin_versions()),
                })?,
            };
            let client = http::client(&http::HttpOptions {
                insecure,
                ..Default::default()
            })?;
            let endpoint = format!("{}/v1/guidelines/{version}", url.trim_end_matches('/'));
            Ok(http::get_text(&client, &endpoint).await?.into_bytes())
        }
    }
}

/// Why `target` cannot be scored against `g` (which `refstack-core`
/// reports as `Invalid target: <t>`), naming what is wrong with the file.
pub fn invalid_target_message(g: &Guideline, target: Target) -> String {
    let t = target.as_str();
    if g.is_add_on() {
        let name = format!("os_powered_{t}");
        return format!(
            "this add-on guideline has no component '{name}' in `components` (target '{t}')"
        );
    }
    if g.schema.is_v2() {
        let program = target.program_name();
        let Some(platform) = g.platform(program) else {
            return match g.platforms.as_deref() {
                None | Some([]) => format!(
                    "the guideline's `platforms` object is empty: it defines no program to \
                     score against (target '{t}' needs \"{program}\")"
                ),
                Some(programs) => format!(
                    "the guideline has no \"{program}\" in `platforms` (target '{t}'); it \
                     defines: {}",
                    programs
                        .iter()
                        .map(|p| format!("\"{}\"", p.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        };
        if let Some(missing) = platform
            .components
            .iter()
            .find(|c| g.component(&c.name).is_none())
        {
            return format!(
                "\"{program}\" in `platforms` names the component '{}', which is not in \
                 `components` (target '{t}')",
                missing.name
            );
        }
    } else if target != Target::Platform {
        return format!(
            "a schema {} guideline defines only the platform target, not '{t}'",
            g.schema.as_str()
        );
    } else if g.legacy_platform.is_none() {
        return "the guideline has no `platform` object (target 'platform')".into();
    }
    format!("Invalid target: {t}")
}

/// Read, take or fetch, and parse a guideline.
pub async fn load(
    source: &GuidelineSource,
    url: Option<&str>,
    insecure: bool,
) -> Result<Guideline, Error> {
    Ok(load_hashed(source, url, insecure).await?.0)
}

/// [`load`], and the `sha256:` of the guideline's bytes (for the run record).
pub async fn load_hashed(
    source: &GuidelineSource,
    url: Option<&str>,
    insecure: bool,
) -> Result<(Guideline, String), Error> {
    let bytes = guideline_bytes(source, url, insecure).await?;
    let sha256 = crate::record::sha256_bytes(&bytes);
    let origin = match source {
        GuidelineSource::File(p) => p.display().to_string(),
        GuidelineSource::Version(v) => format!("guideline {v}"),
    };
    let g = Guideline::from_json(&bytes).map_err(|e| Error::Input {
        origin,
        message: e.to_string(),
    })?;
    Ok((g, sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn published_versions_need_no_network() {
        for v in ["2020.06", "2020.06.json", "next", "dns.2020.06", "2015.05"] {
            let source = GuidelineSource::parse(v);
            let g = load(&source, Some("http://192.0.2.1:9"), false)
                .await
                .unwrap_or_else(|e| panic!("{v}: {e}"));
            assert!(!g.capabilities.is_empty(), "{v}");
        }
    }
}
