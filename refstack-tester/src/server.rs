//! Which RefStack server to talk to. There is no default server (the
//! public one was retired): `--url`, else `REFSTACK_URL` (both through
//! clap), else `url = "..."` in the tester's configuration file, else an
//! error that says how to set one.
//!
//! The configuration file is `$REFSTACK_TESTER_CONFIG`, else
//! `$XDG_CONFIG_HOME/refstack-tester/config.toml`, else
//! `~/.config/refstack-tester/config.toml`; a missing file is no error.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// The tester's configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TesterConfig {
    /// The RefStack API, e.g. `https://refstack.example.org/api`.
    pub url: Option<String>,
}

/// The configuration file's path (it may not exist), from `get` (normally
/// `std::env::var_os`).
pub fn config_path(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let set = |k: &str| get(k).filter(|v| !v.is_empty());
    if let Some(p) = set("REFSTACK_TESTER_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = match set("XDG_CONFIG_HOME") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(set("HOME")?).join(".config"),
    };
    Some(base.join("refstack-tester").join("config.toml"))
}

/// Reads the configuration file at `path`; a missing file is the default.
pub fn read_config(path: &Path) -> Result<TesterConfig, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TesterConfig::default()),
        Err(source) => {
            return Err(Error::Io {
                action: "read the configuration file",
                path: path.to_owned(),
                source,
            });
        }
    };
    toml::from_str(&text).map_err(|e| Error::Config {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })
}

/// The RefStack API to use: `explicit` (`--url` / `REFSTACK_URL`), else the
/// configuration file's `url`, else [`Error::NoServer`].
pub fn refstack_url(explicit: Option<&str>) -> Result<String, Error> {
    resolve(explicit, config_path(|k| std::env::var_os(k)).as_deref())
}

fn resolve(explicit: Option<&str>, config: Option<&Path>) -> Result<String, Error> {
    if let Some(url) = explicit.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.to_owned());
    }
    if let Some(path) = config
        && let Some(url) = read_config(path)?.url.filter(|u| !u.trim().is_empty())
    {
        return Ok(url.trim().to_owned());
    }
    Err(Error::NoServer {
        config: config.map_or_else(
            || "~/.config/refstack-tester/config.toml".to_owned(),
            |p| p.display().to_string(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_then_file_then_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        let err = resolve(None, Some(&file)).unwrap_err().to_string();
        assert!(err.contains("--url"), "{err}");
        assert!(err.contains("REFSTACK_URL"), "{err}");
        assert!(err.contains(&file.display().to_string()), "{err}");
        std::fs::write(&file, "url = \"http://127.0.0.1:8000\"\n").unwrap();
        assert_eq!(resolve(None, Some(&file)).unwrap(), "http://127.0.0.1:8000");
        assert_eq!(
            resolve(Some("http://h/api"), Some(&file)).unwrap(),
            "http://h/api"
        );
        std::fs::write(&file, "uri = 1\n").unwrap();
        assert!(matches!(
            resolve(None, Some(&file)),
            Err(Error::Config { .. })
        ));
    }

    #[test]
    fn config_file_location() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert_eq!(
            config_path(env(&[
                ("REFSTACK_TESTER_CONFIG", "/x.toml"),
                ("HOME", "/h")
            ])),
            Some(PathBuf::from("/x.toml"))
        );
        assert_eq!(
            config_path(env(&[("XDG_CONFIG_HOME", "/c"), ("HOME", "/h")])),
            Some(PathBuf::from("/c/refstack-tester/config.toml"))
        );
        assert_eq!(
            config_path(env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.config/refstack-tester/config.toml"))
        );
        assert_eq!(config_path(env(&[])), None);
    }
}
