//! Keeping secrets out of everything the tester writes about a run: the
//! sanitised copy of tempest.conf, the allow-listed infrastructure
//! parameters of the run record, and any text derived from them.
//!
//! Three layers, each on its own enough for the common case:
//! 1. options whose name says "secret" (`password`, `token`, `secret`,
//!    `credential`, `private`, `…key`) have their value replaced;
//! 2. every value is searched for URLs, whose user-info (`user:pass@`) and
//!    secret-looking query parameters are replaced; comment lines, where
//!    people park old passwords, are dropped;
//! 3. the [`Secrets`] known from the configuration (those option values and
//!    every string of the `accounts.yaml` file) are replaced wherever they
//!    appear, whatever the option is called.

use std::collections::BTreeMap;
use std::path::Path;

use crate::conf::Ini;
use crate::error::Error;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Strings shorter than this are not searched for (a two-letter password
/// would blank out half of the file; option names hide longer ones).
const MIN_SECRET_LEN: usize = 4;

/// Whether an option's name says its value is a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // Switches (`use_dynamic_credentials`) name secrets without holding one.
    if ["use_", "create_", "enable_", "disable_"]
        .iter()
        .any(|p| k.starts_with(p))
        || k.ends_with("_enabled")
    {
        return false;
    }
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "private",
        "apikey",
        "api_key",
        "auth_key",
        "access_key",
        "signature",
        "cookie",
    ];
    WORDS.iter().any(|w| k.contains(w)) || k.ends_with("key") || k.ends_with("_pass") || k == "pass"
}

/// Known secret strings, replaced wherever they appear in output.
///
/// Two kinds: *credentials* (values of secret-named options and accounts
/// keys, URL passwords), which must never be published, and the other
/// strings of the accounts file (user, project and domain names), which
/// are replaced in what the tester writes but which a Tempest log may
/// legitimately mention: only credentials make `publish` refuse a stream.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Every secret, longest first.
    values: Vec<String>,
    /// The credentials among them that a stream is searched for.
    credentials: Vec<String>,
}

/// Credentials too short or too well known to mean anything in a log
/// (`image_ssh_password = gocubsgo` is CirrOS's published default).
const WELL_KNOWN: &[&str] = &["password", "secret", "changeme", "gocubsgo", "cubswin:)"];

/// Shorter credentials are not searched for in a stream.
const MIN_CREDENTIAL_LEN: usize = 8;

impl Secrets {
    /// Add a secret (ignored when shorter than 4 characters) that is not a
    /// credential.
    pub fn add(&mut self, value: &str) {
        let v = value.trim();
        if v.chars().count() >= MIN_SECRET_LEN
            && v != REDACTED
            && !self.values.iter().any(|s| s == v)
        {
            self.values.push(v.to_string());
            // Longest first, so that a secret containing another is
            // replaced whole.
            self.values.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Add a credential: replaced like any secret, and searched for in
    /// streams (unless shorter than 8 characters or well known).
    pub fn add_credential(&mut self, value: &str) {
        self.add(value);
        let v = value.trim();
        if v.len() >= MIN_CREDENTIAL_LEN
            && !WELL_KNOWN.contains(&v.to_ascii_lowercase().as_str())
            && !self.credentials.iter().any(|s| s == v)
        {
            self.credentials.push(v.to_string());
        }
    }

    /// The secrets of a tempest.conf: values of secret-named options, and
    /// every string of its `[auth] test_accounts_file` (an unreadable or
    /// invalid accounts file adds nothing: the run fails on it anyway).
    pub fn from_conf(ini: &Ini) -> Self {
        let mut s = Self::default();
        for (_, key, value) in ini.entries() {
            if is_secret_key(key) {
                for line in value.lines() {
                    s.add_credential(line);
                }
            }
            for pass in url_passwords(value) {
                s.add_credential(&pass);
            }
        }
        if let Some(file) = ini.get("auth", "test_accounts_file") {
            s.add_accounts_file(&crate::conf::expand_user(file));
        }
        s
    }

    /// Every string value of a YAML accounts file (user names, passwords,
    /// projects, domains, roles): the file's content is a secret as a whole.
    pub fn add_accounts_file(&mut self, path: &Path) {
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let Ok(value) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text) else {
            return;
        };
        self.add_yaml(&value, false);
    }

    /// The strings of a YAML value; those under a secret-named key
    /// (`password`) are credentials.
    fn add_yaml(&mut self, v: &serde_yaml_ng::Value, credential: bool) {
        use serde_yaml_ng::Value;
        match v {
            Value::String(s) if credential => self.add_credential(s),
            Value::String(s) => self.add(s),
            Value::Sequence(items) => items.iter().for_each(|i| self.add_yaml(i, credential)),
            Value::Mapping(m) => m.iter().for_each(|(k, i)| {
                let secret = k.as_str().is_some_and(is_secret_key);
                self.add_yaml(i, credential || secret);
            }),
            Value::Tagged(t) => self.add_yaml(&t.value, credential),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every known secret replaced by [`REDACTED`]; the count
    /// of replacements.
    pub fn scrub(&self, text: &str) -> (String, usize) {
        let mut out = text.to_string();
        let mut n = 0;
        for s in &self.values {
            let found = out.matches(s.as_str()).count();
            if found > 0 {
                n += found;
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        (out, n)
    }

    /// Whether any credential occurs in `bytes` (a stream, a file).
    pub fn found_in(&self, bytes: &[u8]) -> bool {
        self.credentials
            .iter()
            .any(|s| memchr::memmem::find(bytes, s.as_bytes()).is_some())
    }

    /// Whether any credential occurs in the file at `path`, read in
    /// pieces (a credential across two pieces is found: pieces overlap).
    pub fn found_in_file(&self, path: &Path) -> Result<bool, Error> {
        use std::io::Read as _;
        if self.credentials.is_empty() {
            return Ok(false);
        }
        let longest = self.credentials.iter().map(String::len).max().unwrap_or(0);
        let mut file = std::fs::File::open(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let mut buf = vec![0u8; (1 << 20) + longest];
        let mut kept = 0;
        loop {
            let n = file.read(&mut buf[kept..]).map_err(|source| Error::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            })?;
            if n == 0 {
                return Ok(false);
            }
            let end = kept + n;
            if self.found_in(&buf[..end]) {
                return Ok(true);
            }
            kept = longest.saturating_sub(1).min(end);
            buf.copy_within(end - kept..end, 0);
        }
    }
}

/// The password of every URL with user-info in `text`.
fn url_passwords(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '"' | '\'' | '>' | '<'))
            .unwrap_or(after.len());
        let authority = &after[..end];
        if let Some(userinfo_end) = authority.rfind('@') {
            let userinfo = &authority[..userinfo_end];
            if let Some((_, pass)) = userinfo.split_once(':') {
                out.push(pass.to_string());
            }
        }
        rest = &after[end..];
    }
    out
}

/// `text` with the user-info of every URL (`scheme://user:pass@host`) and
/// the values of secret-looking query parameters (`?token=…`) replaced.
/// The count of replacements.
pub fn redact_urls(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut n = 0;
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        out.push_str(&rest[..at + 3]);
        let after = &rest[at + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '>' | '<'))
            .unwrap_or(after.len());
        let url = &after[..end];
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let (authority, tail) = url.split_at(authority_end);
        match authority.rfind('@') {
            Some(i) => {
                out.push_str(REDACTED);
                out.push_str(&authority[i..]);
                n += 1;
            }
            None => out.push_str(authority),
        }
        let (tail, m) = redact_query(tail);
        n += m;
        out.push_str(&tail);
        rest = &after[end..];
    }
    out.push_str(rest);
    (out, n)
}

fn redact_query(tail: &str) -> (String, usize) {
    let Some(q) = tail.find('?') else {
        return (tail.to_string(), 0);
    };
    let (path, query) = tail.split_at(q + 1);
    let (query, fragment) = match query.find('#') {
        Some(f) => query.split_at(f),
        None => (query, ""),
    };
    let mut n = 0;
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, v)) if is_secret_key(k) && !v.is_empty() => {
                n += 1;
                format!("{k}={REDACTED}")
            }
            _ => p.to_string(),
        })
        .collect();
    (format!("{path}{}{fragment}", parts.join("&")), n)
}

/// One value made safe to show: URL credentials and known secrets replaced.
pub fn clean_value(value: &str, secrets: &Secrets) -> String {
    let (v, _) = redact_urls(value);
    secrets.scrub(&v).0
}

/// A sanitised tempest.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitisedConf {
    /// The text to write and publish.
    pub text: String,
    /// `section.option` of every option whose value was replaced or cleaned.
    pub redacted: Vec<String>,
    /// Comment lines dropped.
    pub comments_removed: u64,
}

/// Sanitise tempest.conf text, line by line (the layout is kept): comment
/// lines are dropped, secret-named options get [`REDACTED`] (their
/// continuation lines dropped), URL credentials and known `secrets` are
/// replaced everywhere else.
pub fn sanitise_conf(text: &str, secrets: &Secrets) -> SanitisedConf {
    let mut out = String::with_capacity(text.len());
    let mut redacted = Vec::new();
    let mut comments_removed = 0;
    let mut section = String::new();
    // The option whose continuation lines follow, and whether it is secret.
    let mut current: Option<(String, bool)> = None;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            comments_removed += 1;
            continue;
        }
        if trimmed.is_empty() {
            current = None;
            out.push('\n');
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented && let Some((name, secret)) = &current {
            if *secret {
                continue;
            }
            let cleaned = clean_value(raw, secrets);
            if cleaned != raw && !redacted.contains(name) {
                redacted.push(name.clone());
            }
            out.push_str(&cleaned);
            out.push('\n');
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[')
            && let Some(name) = rest.strip_suffix(']')
        {
            section = name.trim().to_string();
            current = None;
            out.push_str(&clean_value(raw, secrets));
            out.push('\n');
            continue;
        }
        match trimmed.find(['=', ':']) {
            Some(split) => {
                let key = trimmed[..split].trim();
                let name = format!("{section}.{}", key.to_ascii_lowercase());
                let value = trimmed[split + 1..].trim();
                let sep = &trimmed[split..=split];
                if is_secret_key(key) {
                    out.push_str(&format!("{key} {sep} {REDACTED}\n"));
                    redacted.push(name.clone());
                    current = Some((name, true));
                } else {
                    let cleaned = clean_value(value, secrets);
                    if cleaned != value {
                        redacted.push(name.clone());
                    }
                    let cleaned_key = clean_value(key, secrets);
                    if cleaned.is_empty() {
                        out.push_str(&format!("{cleaned_key} {sep}\n"));
                    } else {
                        out.push_str(&format!("{cleaned_key} {sep} {cleaned}\n"));
                    }
                    current = Some((name, false));
                }
            }
            None => {
                // Not an option: kept, cleaned like a value.
                out.push_str(&clean_value(raw, secrets));
                out.push('\n');
                current = None;
            }
        }
    }
    SanitisedConf {
        text: out,
        redacted,
        comments_removed,
    }
}

/// Options recorded as infrastructure parameters: what a run's outcome
/// depends on besides the code (images, flavors, networks, microversions,
/// regions). Whole sections of feature flags and available services are
/// allowed too ([`ALLOWED_SECTIONS`]); nothing else is recorded.
pub const ALLOWED_OPTIONS: &[&str] = &[
    "auth.create_isolated_networks",
    "auth.tempest_roles",
    "auth.use_dynamic_credentials",
    "compute.fixed_network_name",
    "compute.flavor_ref",
    "compute.flavor_ref_alt",
    "compute.image_ref",
    "compute.image_ref_alt",
    "compute.max_microversion",
    "compute.min_compute_nodes",
    "compute.min_microversion",
    "compute.region",
    "dns.region",
    "identity.auth_version",
    "identity.region",
    "identity.v2_admin_endpoint_type",
    "identity.v2_public_endpoint_type",
    "identity.v3_endpoint_type",
    "image.region",
    "network.floating_network_name",
    "network.project_network_cidr",
    "network.project_network_mask_bits",
    "network.public_network_id",
    "network.public_router_id",
    "network.region",
    "network.shared_physical_network",
    "object-storage.region",
    "orchestration.region",
    "placement.max_microversion",
    "placement.min_microversion",
    "validation.auth_method",
    "validation.connect_method",
    "validation.image_ssh_user",
    "validation.ip_version_for_ssh",
    "validation.network_for_ssh",
    "validation.run_validation",
    "volume.max_microversion",
    "volume.min_microversion",
    "volume.region",
    "volume.storage_protocol",
    "volume.vendor_name",
];

/// Sections recorded whole (feature flags and service availability).
pub const ALLOWED_SECTIONS: &[&str] = &[
    "compute-feature-enabled",
    "dns-feature-enabled",
    "identity-feature-enabled",
    "image-feature-enabled",
    "network-feature-enabled",
    "object-storage-feature-enabled",
    "orchestration-feature-enabled",
    "service_available",
    "volume-feature-enabled",
];

/// The allow-listed options of a tempest.conf (`section.option` → value,
/// cleaned), `[DEFAULT]` not inherited; a secret-named option is never
/// taken, even from an allowed section.
pub fn infra_params(ini: &Ini, secrets: &Secrets) -> BTreeMap<String, String> {
    ini.entries()
        .filter(|(section, key, _)| {
            let name = format!("{section}.{key}");
            !is_secret_key(key)
                && (ALLOWED_OPTIONS.contains(&name.as_str()) || ALLOWED_SECTIONS.contains(section))
        })
        .map(|(section, key, value)| (format!("{section}.{key}"), clean_value(value, secrets)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::default();
        values.iter().for_each(|v| s.add(v));
        s
    }

    #[test]
    fn secret_names() {
        for k in [
            "admin_password",
            "password",
            "image_ssh_password",
            "auth_token",
            "client_secret",
            "private_key_path",
            "api_key",
            "ssh_key",
            "credentials_file",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "image_ref",
            "flavor_ref",
            "uri_v3",
            "region",
            "keypair_type",
            "username",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn urls_lose_credentials_and_secret_parameters() {
        let (t, n) =
            redact_urls("see https://bob:hunter22@keystone.example:5000/v3?token=abc&x=1#f");
        assert_eq!(
            t,
            "see https://<redacted>@keystone.example:5000/v3?token=<redacted>&x=1#f"
        );
        assert_eq!(n, 2);
        let (t, n) = redact_urls("http://h/a?b=c and ftp://u@h");
        assert_eq!(
            (t.as_str(), n),
            ("http://h/a?b=c and ftp://<redacted>@h", 1)
        );
        assert_eq!(redact_urls("no url here").0, "no url here");
    }

    #[test]
    fn conf_is_sanitised_in_every_unusual_place() {
        let conf = "\
[DEFAULT]
# admin_password = OldPassw0rd
log_file = /var/log/tempest.log
[identity]
uri_v3 = https://admin:S3cretPass@keystone.example:5000/v3
admin_password = Adm1nPass
region = RegionOne
; token was tok-123456
[auth]
test_accounts_file = /etc/tempest/accounts.yaml
note = the password is Adm1nPass, keep it
[object-storage]
reseller_admin_role = ResellerAdmin
multi_line_secret = first
  continued-Adm1nPass
";
        let s = secrets(&["Adm1nPass"]);
        let out = sanitise_conf(conf, &s);
        for secret in [
            "OldPassw0rd",
            "S3cretPass",
            "Adm1nPass",
            "tok-123456",
            "continued",
        ] {
            assert!(!out.text.contains(secret), "{secret} leaked:\n{}", out.text);
        }
        assert_eq!(out.comments_removed, 2);
        assert!(out.text.contains("region = RegionOne"));
        assert!(
            out.text
                .contains("uri_v3 = https://<redacted>@keystone.example:5000/v3")
        );
        assert!(out.text.contains("admin_password = <redacted>"));
        assert_eq!(
            out.redacted,
            [
                "identity.uri_v3",
                "identity.admin_password",
                "auth.note",
                "object-storage.multi_line_secret"
            ]
        );
    }

    #[test]
    fn infra_params_are_allow_listed_and_clean() {
        let conf = "\
[compute]
image_ref = 1234-image
flavor_ref = 42
some_other = x
[compute-feature-enabled]
resize = True
api_key = nope
[network]
public_network_id = net-1
[identity]
uri = https://u:p4ssw0rd@k/v2.0
region = https://u:p4ssw0rd@k
";
        let ini = Ini::parse(conf, Path::new("t.conf")).unwrap();
        let p = infra_params(&ini, &Secrets::default());
        let keys: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "compute-feature-enabled.resize",
                "compute.flavor_ref",
                "compute.image_ref",
                "identity.region",
                "network.public_network_id"
            ]
        );
        assert_eq!(p["identity.region"], "https://<redacted>@k");
    }

    #[test]
    fn only_credentials_are_searched_for_in_streams() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = dir.path().join("accounts.yaml");
        std::fs::write(
            &accounts,
            "- username: tempest-user\n  project_name: tempest-project\n  password: Zq8-very-secret\n  roles: [member]\n",
        )
        .unwrap();
        let conf = format!(
            "[auth]\ntest_accounts_file = {}\n[validation]\nimage_ssh_password = gocubsgo\n\
             [identity]\nadmin_password = AdminPass-42\n",
            accounts.display()
        );
        let s = Secrets::from_conf(&Ini::parse(&conf, Path::new("t.conf")).unwrap());
        // Everything is replaced in what the tester writes ...
        assert_eq!(
            s.scrub("tempest-user tempest-project Zq8-very-secret gocubsgo AdminPass-42")
                .0,
            "<redacted> <redacted> <redacted> <redacted> <redacted>"
        );
        // ... but a log naming the user, or CirrOS's well-known password,
        // is no reason to refuse a stream; a credential is.
        assert!(!s.found_in(b"created server for tempest-user in tempest-project, ssh gocubsgo"));
        assert!(s.found_in(b"POST /v3/auth/tokens {\"password\": \"Zq8-very-secret\"}"));
        assert!(s.found_in(b"admin AdminPass-42"));
    }

    #[test]
    fn scrub_finds_secrets_anywhere_and_in_files_across_pieces() {
        let mut s = secrets(&["abc"]);
        s.add_credential("longsecret");
        s.add_credential("longsecret-2");
        assert_eq!(
            s.scrub("x longsecret-2 y longsecret abc").0,
            "x <redacted> y <redacted> abc"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut data = vec![b'a'; (1 << 20) - 3];
        data.extend_from_slice(b"longsecret");
        std::fs::write(&path, &data).unwrap();
        assert!(s.found_in_file(&path).unwrap());
        std::fs::write(&path, b"nothing").unwrap();
        assert!(!s.found_in_file(&path).unwrap());
    }
}
