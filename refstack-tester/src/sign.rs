//! Keys on disk: loading a private key (PEM PKCS#1/PKCS#8 or OpenSSH),
//! signing upload bodies, and the self-signature of `sign`. The maths is
//! `refstack-core`'s; this module only reads files.

use std::path::{Path, PathBuf};

use refstack_core::signature::PrivateKey;

use crate::error::Error;
use crate::http::SignatureHeaders;

/// Read a private key file.
pub fn load_private_key(path: &Path) -> Result<PrivateKey, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read the private key",
        path: path.to_path_buf(),
        source,
    })?;
    PrivateKey::from_pem(&text).map_err(|e| Error::Key {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
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
