//! Keys on disk: loading a private key (PEM PKCS#1/PKCS#8 or OpenSSH),
//! signing upload bodies, and the self-signature of `sign`. The maths is
//! `refstack-core`'s; this module only reads files.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use refstack_core::signature::{PrivateKey, SignatureError};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::http::SignatureHeaders;

/// The environment variable a private key's passphrase is read from.
pub const PASSPHRASE_ENV: &str = "REFSTACK_KEY_PASSPHRASE";

/// Read a private key file. A passphrase-protected key (encrypted
/// OpenSSH or PKCS#8) is decrypted with the passphrase from
/// [`PASSPHRASE_ENV`], or, when that is unset and stdin and stderr are a
/// terminal, with one asked for there (not echoed).
pub fn load_private_key(path: &Path) -> Result<PrivateKey, Error> {
    load_private_key_with(path, || passphrase_from_env_or_terminal(path))
}

/// [`load_private_key`] with the passphrase, if the key needs one, from
/// `passphrase` (an error there is the reason none can be had).
pub fn load_private_key_with(
    path: &Path,
    passphrase: impl FnOnce() -> Result<Zeroizing<String>, String>,
) -> Result<PrivateKey, Error> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read the private key",
        path: path.to_path_buf(),
        source,
    })?);
    let key_error = |message: String| Error::Key {
        path: path.to_path_buf(),
        message,
    };
    match PrivateKey::from_pem(&text) {
        Err(SignatureError::EncryptedPrivateKey) => {
            let pass = passphrase().map_err(key_error)?;
            PrivateKey::from_pem_with_passphrase(&text, pass.as_bytes())
                .map_err(|e| key_error(e.to_string()))
        }
        other => other.map_err(|e| key_error(e.to_string())),
    }
}

/// The passphrase from [`PASSPHRASE_ENV`], else asked on the terminal.
fn passphrase_from_env_or_terminal(path: &Path) -> Result<Zeroizing<String>, String> {
    if let Some(p) = std::env::var_os(PASSPHRASE_ENV) {
        return p
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| format!("{PASSPHRASE_ENV} is not valid UTF-8"));
    }
    let term = console::Term::stderr();
    if !term.is_term() || !std::io::stdin().is_terminal() {
        return Err(format!(
            "the private key is protected by a passphrase: set {PASSPHRASE_ENV} (there is no \
             terminal to ask for it on)"
        ));
    }
    term.write_str(&format!("Passphrase for {}: ", path.display()))
        .and_then(|()| term.read_secure_line())
        .map(Zeroizing::new)
        .map_err(|e| format!("cannot read the passphrase: {e}"))
}

/// The `X-Signature`/`X-Public-Key` headers for `body` (the exact bytes sent).
pub fn signature_headers(key: &PrivateKey, body: &[u8]) -> Result<SignatureHeaders, Error> {
    let signature_hex = key.sign_hex(body).map_err(|e| Error::Key {
        path: PathBuf::new(),
        message: e.to_string(),
    })?;
    Ok(SignatureHeaders {
        signature_hex,
        public_key: key.public_key().to_openssh(),
    })
}

/// What `sign` prints: the public key and the self-signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSignature {
    /// `ssh-rsa AAAA…` without comment.
    pub public_key: String,
    /// Lowercase hex signature of the bytes `signature`.
    pub signature_hex: String,
    /// True when `<key>.pub` was missing and the public key was derived.
    pub derived: bool,
}

/// Self-sign with the key at `path`. The public key is the first two
/// fields of `<path>.pub` when that file exists (upstream's rule), else it
/// is derived from the private key.
pub fn self_sign(path: &Path) -> Result<SelfSignature, Error> {
    let key = load_private_key(path)?;
    let signature_hex = key.self_signature_hex().map_err(|e| Error::Key {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut pub_path = path.as_os_str().to_owned();
    pub_path.push(".pub");
    let pub_path = PathBuf::from(pub_path);
    match std::fs::read_to_string(&pub_path) {
        Ok(text) => {
            let fields: Vec<&str> = text.split_whitespace().take(2).collect();
            if fields.len() != 2 {
                return Err(Error::Key {
                    path: pub_path,
                    message: "not an OpenSSH public key line".into(),
                });
            }
            Ok(SelfSignature {
                public_key: fields.join(" "),
                signature_hex,
                derived: false,
            })
        }
        Err(_) => Ok(SelfSignature {
            public_key: key.public_key().to_openssh(),
            signature_hex,
            derived: true,
        }),
    }
}
