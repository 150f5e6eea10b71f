//! Request bodies of the benchmark and their RSA signatures.
//!
//! The key is generated at run time with `ssh-keygen -t rsa -m PEM` and the
//! body is signed with `openssl dgst -sha256 -sign` (RSA PKCS#1 v1.5 over
//! SHA-256 of the raw body bytes), exactly as refstack-client does.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::run_tool;

/// Escapes `s` as the inside of a JSON string.
pub(crate) fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// One passed test of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestEntry {
    pub(crate) name: String,
    pub(crate) uuid: Option<String>,
}

/// Reads test entries from a golden test-list file (`name[id-uuid]` or
/// `name[uuid]` lines), dropping case-insensitive duplicate names (upstream
/// would answer those with a 500).
pub(crate) fn tests_from_list(text: &str) -> Vec<TestEntry> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, uuid) = match line.split_once('[') {
            Some((name, rest)) => {
                let id = rest.trim_end_matches(']');
                let id = id.strip_prefix("id-").unwrap_or(id);
                (name, (!id.is_empty()).then(|| id.to_owned()))
            }
            None => (line, None),
        };
        if seen.insert(name.to_ascii_lowercase()) {
            out.push(TestEntry {
                name: name.to_owned(),
                uuid,
            });
        }
    }
    out
}

/// The upload body `{"cpid", "duration_seconds", "results"}` as
/// refstack-client's `json.dumps` writes it.
pub(crate) fn upload_body(cpid: &str, duration: u64, tests: &[TestEntry]) -> String {
    let items: Vec<String> = tests
        .iter()
        .map(|t| match &t.uuid {
            Some(u) => format!(
                r#"{{"name": "{}", "uuid": "{}"}}"#,
                json_escape(&t.name),
                json_escape(u)
            ),
            None => format!(r#"{{"name": "{}"}}"#, json_escape(&t.name)),
        })
        .collect();
    format!(
        r#"{{"cpid": "{}", "duration_seconds": {duration}, "results": [{}]}}"#,
        json_escape(cpid),
        items.join(", ")
    )
}

/// Lower-case hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RSA key pair in a work directory.
pub(crate) struct SigningKey {
    /// PEM private key file.
    pub(crate) private: PathBuf,
    /// The OpenSSH public key line (`ssh-rsa AAAA...`, no comment).
    pub(crate) public_line: String,
}

impl SigningKey {
    /// Generates a 4096-bit RSA key with `ssh-keygen` (what the RefStack
    /// docs tell users to do).
    pub(crate) fn generate(dir: &Path) -> anyhow::Result<Self> {
        let private = dir.join("bench_key");
        let _ = std::fs::remove_file(&private);
        let _ = std::fs::remove_file(dir.join("bench_key.pub"));
        run_tool(
            std::process::Command::new("ssh-keygen")
                .args([
                    "-q", "-t", "rsa", "-b", "4096", "-m", "PEM", "-N", "", "-C", "",
                ])
                .arg("-f")
                .arg(&private),
        )?;
        let public = std::fs::read_to_string(dir.join("bench_key.pub"))
            .context("reading the generated public key")?;
        let mut parts = public.split_whitespace();
        let (Some(kind), Some(blob)) = (parts.next(), parts.next()) else {
            bail!("unexpected public key line {public:?}");
        };
        Ok(SigningKey {
            private,
            public_line: format!("{kind} {blob}"),
        })
    }

    /// The base64 key blob (second token of the public line).
    pub(crate) fn blob(&self) -> &str {
        self.public_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
    }

    /// Hex RSA-SHA256 signature of `body`, via `openssl dgst`.
    pub(crate) fn sign_hex(&self, dir: &Path, body: &[u8]) -> anyhow::Result<String> {
        let input = dir.join("to_sign.bin");
        let output = dir.join("signature.bin");
        std::fs::write(&input, body)?;
        run_tool(
            std::process::Command::new("openssl")
                .args(["dgst", "-sha256", "-sign"])
                .arg(&self.private)
                .arg("-out")
                .arg(&output)
                .arg(&input),
        )?;
        Ok(to_hex(&std::fs::read(&output)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_test_list_lines() {
        let list = "tempest.api.a.T.test_x[id-6c0a0990-43b6-4529-9b61-5fd8daf7c55c]\n\
                    designate.T.test_y[855399c1-8806-4ae5-aa31-cb8a6f35e218]\n\
                    plain.test\n\
                    TEMPEST.API.A.T.TEST_X[id-1]\n\n";
        let tests = tests_from_list(list);
        assert_eq!(tests.len(), 3);
        assert_eq!(
            tests[0].uuid.as_deref(),
            Some("6c0a0990-43b6-4529-9b61-5fd8daf7c55c")
        );
        assert_eq!(
            tests[1].uuid.as_deref(),
            Some("855399c1-8806-4ae5-aa31-cb8a6f35e218")
        );
        assert_eq!(tests[2].uuid, None);
    }

    #[test]
    fn upload_body_is_valid_json_with_the_contract_shape() -> Result<(), Box<dyn std::error::Error>>
    {
        let tests = vec![
            TestEntry {
                name: "a\"b\\c".into(),
                uuid: Some("u".into()),
            },
            TestEntry {
                name: "d".into(),
                uuid: None,
            },
        ];
        let body = upload_body("cp\u{1}id", 7, &tests);
        let v: serde_json::Value = serde_json::from_str(&body)?;
        assert_eq!(v["cpid"], "cp\u{1}id");
        assert_eq!(v["duration_seconds"], 7);
        assert_eq!(v["results"][0]["name"], "a\"b\\c");
        assert_eq!(v["results"][0]["uuid"], "u");
        assert!(v["results"][1].get("uuid").is_none());
        Ok(())
    }

    #[test]
    fn hex_encoding() {
        assert_eq!(to_hex(&[0, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(to_hex(&[]), "");
    }
}
