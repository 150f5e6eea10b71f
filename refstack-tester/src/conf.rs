//! Reading `tempest.conf` (INI) and Tempest's `accounts.yaml`, and turning
//! them into the Keystone settings used to find the cloud's CPID.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// A parsed INI file with Python `configparser`-like rules: `[section]`
/// headers, `key = value` or `key: value` lines, `#`/`;` comment lines,
/// indented continuation lines, case-insensitive keys and a `DEFAULT` section
/// whose values every section inherits.
///
/// Values are taken literally: unlike upstream's `configparser`, a `%` in a
/// password is not an interpolation error (oslo.config, which Tempest uses,
/// does not interpolate either).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Ini {
    /// Parse INI text. `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, Error> {
        let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        let mut last_key: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let bad = |what: &str| Error::Config {
                path: origin.to_path_buf(),
                message: format!("line {line_no}: {what}"),
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                last_key = None;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indented = raw.starts_with([' ', '\t']);
            if indented
                && let (Some(section), Some(key)) = (&current, &last_key)
                && let Some(value) = sections.get_mut(section).and_then(|s| s.get_mut(key))
            {
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(bad("section header without a closing ']'"));
                };
                let name = name.trim().to_string();
                sections.entry(name.clone()).or_default();
                current = Some(name);
                last_key = None;
                continue;
            }
            let Some(section) = &current else {
                return Err(bad("option outside of any [section]"));
            };
            let split = trimmed
                .find(['=', ':'])
                .ok_or_else(|| bad("expected 'key = value'"))?;
            let key = trimmed[..split].trim().to_ascii_lowercase();
            if key.is_empty() {
                return Err(bad("empty option name"));
            }
            let value = trimmed[split + 1..].trim().to_string();
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(Self { sections })
    }

    /// Read and parse an INI file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read the configuration file",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// The value of `key` in `section`, falling back to `[DEFAULT]`.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.sections
            .get(section)
            .and_then(|s| s.get(&key))
            .or_else(|| self.sections.get("DEFAULT").and_then(|s| s.get(&key)))
            .map(String::as_str)
    }

    /// Every option as `(section, option, value)`, in section and option
    /// order, `[DEFAULT]` not inherited.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.sections.iter().flat_map(|(section, options)| {
            options
                .iter()
                .map(move |(k, v)| (section.as_str(), k.as_str(), v.as_str()))
        })
    }

    /// A boolean option, oslo.config style (`true/yes/on/1`, `false/no/off/0`).
    pub fn get_bool(&self, section: &str, key: &str) -> Option<bool> {
        match self.get(section, key)?.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(true),
            "false" | "no" | "off" | "0" => Some(false),
            _ => None,
        }
    }
}

/// Which Keystone API the credentials are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVersion {
    /// Identity v2.0 (`POST …/tokens`).
    V2,
    /// Identity v3 (`POST …/auth/tokens`).
    V3,
}

impl AuthVersion {
    /// `"v2"` or `"v3"`, as tempest.conf spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V3 => "v3",
        }
    }
}

/// One entry of Tempest's `accounts.yaml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Account {
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Legacy name of `project_name`.
    pub tenant_name: Option<String>,
    /// Project name.
    pub project_name: Option<String>,
    /// Legacy name of `project_id`.
    pub tenant_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Domain of both the user and the project.
    pub domain_name: Option<String>,
    /// Domain of the user.
    pub user_domain_name: Option<String>,
    /// Domain of the project.
    pub project_domain_name: Option<String>,
}

/// Everything needed to ask Keystone for a token, read from tempest.conf and
/// the first account of its accounts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoneConfig {
    /// v2 or v3.
    pub auth_version: AuthVersion,
    /// The token URL: `[identity] uri` + `/tokens` (v2) or `uri_v3` + `/auth/tokens` (v3).
    pub auth_url: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Project (tenant) id, if known.
    pub project_id: Option<String>,
    /// Project (tenant) name, if known.
    pub project_name: Option<String>,
    /// Domain of the user (v3).
    pub user_domain_name: String,
    /// Domain of the project (v3).
    pub project_domain_name: String,
    /// `[identity] ca_certificates_file`.
    pub ca_certificates_file: Option<PathBuf>,
    /// `[identity] disable_ssl_certificate_validation`.
    pub disable_ssl_certificate_validation: bool,
}

/// `~/…` expanded with `$HOME`.
pub fn expand_user(path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(path)
}

/// Read an accounts file and return its entries.
pub fn read_accounts(path: &Path) -> Result<Vec<Account>, Error> {
    let text = std::fs::read_to_string(path).map_err(|_| Error::Config {
        path: path.to_path_buf(),
        message: "accounts file not found".into(),
    })?;
    let accounts: Option<Vec<Account>> =
        serde_yaml_ng::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: format!("not a valid accounts file: {e}"),
        })?;
    match accounts {
        Some(list) if !list.is_empty() => Ok(list),
        _ => Err(Error::Config {
            path: path.to_path_buf(),
            message: "accounts file found, but was empty".into(),
        }),
    }
}

impl KeystoneConfig {
    /// Build the Keystone settings from a parsed tempest.conf, following
    /// refstack-client's rules: `[identity] auth_version` (default v3),
    /// `uri`/`uri_v3`, `[identity] domain_name` (default `Default`; beyond
    /// upstream, `[auth] default_credentials_domain_name` and the account's
    /// own domain keys are honoured), and the **first** account of `[auth]
    /// test_accounts_file`.
    pub fn from_ini(ini: &Ini, conf_path: &Path) -> Result<Self, Error> {
        let bad = |message: String| Error::Config {
            path: conf_path.to_path_buf(),
            message,
        };
        let version = ini.get("identity", "auth_version").unwrap_or("v3");
        let (auth_version, auth_url) = match version {
            "v2" => {
                let uri = ini
                    .get("identity", "uri")
                    .ok_or_else(|| bad("no option 'uri' in section [identity]".into()))?;
                (
                    AuthVersion::V2,
                    format!("{}/tokens", uri.trim_end_matches('/')),
                )
            }
            "v3" => {
                let uri = ini
                    .get("identity", "uri_v3")
                    .ok_or_else(|| bad("no option 'uri_v3' in section [identity]".into()))?;
                (
                    AuthVersion::V3,
                    format!("{}/auth/tokens", uri.trim_end_matches('/')),
                )
            }
            other => {
                return Err(bad(format!(
                    "[identity] auth_version must be 'v2' or 'v3', not '{other}'"
                )));
            }
        };
        let default_domain = ini
            .get("identity", "domain_name")
            .or_else(|| ini.get("auth", "default_credentials_domain_name"))
            .unwrap_or("Default")
            .to_string();

        let account = match ini.get("auth", "test_accounts_file") {
            Some(file) => {
                let path = expand_user(file);
                read_accounts(&path)?.swap_remove(0)
            }
            None if ini.get("identity", "username").is_some() => {
                return Err(bad(
                    "using the [identity] section to specify user credentials is no \
                    longer supported; define them in the accounts file ([auth] test_accounts_file) \
                    as described in the Tempest configuration guide"
                        .into(),
                ));
            }
            None => {
                return Err(bad(
                    "user credentials cannot be found: set [auth] test_accounts_file \
                    to an accounts file as described in the Tempest configuration guide"
                        .into(),
                ));
            }
        };
        let username = account
            .username
            .clone()
            .ok_or_else(|| bad("the first account of the accounts file has no username".into()))?;
        let password = account.password.clone().unwrap_or_default();
        let user_domain_name = account
            .user_domain_name
            .clone()
            .or_else(|| account.domain_name.clone())
            .unwrap_or_else(|| default_domain.clone());
        let project_domain_name = account
            .project_domain_name
            .clone()
            .or_else(|| account.domain_name.clone())
            .unwrap_or(default_domain);
        let ca = ini
            .get("identity", "ca_certificates_file")
            .filter(|s| !s.is_empty())
            .map(expand_user);
        Ok(Self {
            auth_version,
            auth_url,
            username,
            password,
            project_id: account.tenant_id.or(account.project_id),
            project_name: account.tenant_name.or(account.project_name),
            user_domain_name,
            project_domain_name,
            ca_certificates_file: ca,
            disable_ssl_certificate_validation: ini
                .get_bool("identity", "disable_ssl_certificate_validation")
                .unwrap_or(false),
        })
    }

    /// Read tempest.conf at `path` and build the Keystone settings.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        Self::from_ini(&Ini::read(path)?, path)
    }

    /// The JSON body of the token request, as refstack-client sends it
    /// (v3: password method, project scope by name, or by id when only the
    /// id is known; v2: `tenantId` if known, else `tenantName`).
    pub fn token_request(&self) -> serde_json::Value {
        use serde_json::json;
        match self.auth_version {
            AuthVersion::V3 => {
                let project = match (&self.project_name, &self.project_id) {
                    (None, Some(id)) => json!({"id": id}),
                    (name, _) => {
                        json!({"name": name, "domain": {"name": self.project_domain_name}})
                    }
                };
                json!({"auth": {
                    "identity": {"methods": ["password"], "password": {"user": {
                        "name": self.username,
                        "domain": {"name": self.user_domain_name},
                        "password": self.password}}},
                    "scope": {"project": project}}})
            }
            AuthVersion::V2 => {
                let creds = json!({"username": self.username, "password": self.password});
                match &self.project_id {
                    Some(id) => json!({"auth": {"tenantId": id, "passwordCredentials": creds}}),
                    None => json!({"auth": {"tenantName": self.project_name,
                                            "passwordCredentials": creds}}),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_rules() {
        let text = "[DEFAULT]\nlog = x\n# c\n[identity]\nURI = http://a/v2.0\nuri_v3: http://a/v3\n\
                    pass = a%b\nmulti = one\n  two\n";
        let ini = Ini::parse(text, Path::new("t.conf")).unwrap();
        assert_eq!(ini.get("identity", "uri"), Some("http://a/v2.0"));
        assert_eq!(ini.get("identity", "uri_v3"), Some("http://a/v3"));
        assert_eq!(ini.get("identity", "pass"), Some("a%b"));
        assert_eq!(ini.get("identity", "multi"), Some("one\ntwo"));
        assert_eq!(ini.get("identity", "log"), Some("x"));
        assert_eq!(ini.get("auth", "log"), Some("x"));
    }

    #[test]
    fn ini_errors_name_the_line() {
        let err = Ini::parse("[a]\nnovalue\n", Path::new("t.conf")).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = Ini::parse("key = v\n", Path::new("t.conf")).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn keystone_v2_from_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let acc = write(
            dir.path(),
            "accounts.yaml",
            "- username: admin\n  tenant_name: tenant_name\n  password: test\n  roles: [Member]\n",
        );
        let conf = format!(
            "[identity]\nauth_version = v2\nuri = http://0.0.0.0:35357/v2.0/\n\
             [auth]\ntest_accounts_file = {}\n",
            acc.display()
        );
        let ini = Ini::parse(&conf, Path::new("t.conf")).unwrap();
        let k = KeystoneConfig::from_ini(&ini, Path::new("t.conf")).unwrap();
        assert_eq!(k.auth_url, "http://0.0.0.0:35357/v2.0/tokens");
        assert_eq!(k.auth_version, AuthVersion::V2);
        assert_eq!(k.project_name.as_deref(), Some("tenant_name"));
        assert_eq!(
            k.token_request(),
            serde_json::json!({"auth": {"tenantName": "tenant_name",
                "passwordCredentials": {"username": "admin", "password": "test"}}})
        );
    }

    #[test]
    fn keystone_v3_body_and_tls() {
        let dir = tempfile::tempdir().unwrap();
        let acc = write(
            dir.path(),
            "a.yaml",
            "- {username: u, password: p, project_name: pn}\n",
        );
        let conf = format!(
            "[identity]\nuri_v3 = https://k/v3\ndomain_name = D\n\
             disable_ssl_certificate_validation = True\nca_certificates_file = /ca.pem\n\
             [auth]\ntest_accounts_file = {}\n",
            acc.display()
        );
        let ini = Ini::parse(&conf, Path::new("t.conf")).unwrap();
        let k = KeystoneConfig::from_ini(&ini, Path::new("t.conf")).unwrap();
        assert_eq!(k.auth_url, "https://k/v3/auth/tokens");
        assert!(k.disable_ssl_certificate_validation);
        assert_eq!(k.ca_certificates_file, Some(PathBuf::from("/ca.pem")));
        assert_eq!(
            k.token_request(),
            serde_json::json!({"auth": {"identity": {"methods": ["password"], "password":
                {"user": {"name": "u", "domain": {"name": "D"}, "password": "p"}}},
                "scope": {"project": {"name": "pn", "domain": {"name": "D"}}}}})
        );
    }

    #[test]
    fn keystone_config_errors() {
        let ini = Ini::parse(
            "[identity]\nuri_v3 = http://k/v3\nusername = a\n",
            Path::new("c"),
        )
        .unwrap();
        let e = KeystoneConfig::from_ini(&ini, Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("no longer supported"), "{e}");
        let ini = Ini::parse("[identity]\nuri_v3 = http://k/v3\n", Path::new("c")).unwrap();
        let e = KeystoneConfig::from_ini(&ini, Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("cannot be found"), "{e}");
        let ini = Ini::parse("[identity]\nauth_version = v2\n", Path::new("c")).unwrap();
        let e = KeystoneConfig::from_ini(&ini, Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("'uri'"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = write(dir.path(), "e.yaml", "");
        let conf = format!(
            "[identity]\nuri_v3 = x\n[auth]\ntest_accounts_file = {}\n",
            empty.display()
        );
        let ini = Ini::parse(&conf, Path::new("c")).unwrap();
        let e = KeystoneConfig::from_ini(&ini, Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let conf = "[identity]\nuri_v3 = x\n[auth]\ntest_accounts_file = /nonexistent/a.yaml\n";
        let ini = Ini::parse(conf, Path::new("c")).unwrap();
        let e = KeystoneConfig::from_ini(&ini, Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("not found"), "{e}");
    }
}
