//! Upload signatures: RSA PKCS#1 v1.5 with SHA-256 over exact bytes.
//!
//! The wire format is RefStack's: `X-Signature` is the lower-case hex of the
//! signature, `X-Public-Key` an OpenSSH public key line (`ssh-rsa AAAA…`,
//! comment optional). The server indexes keys by the MD5 of the decoded key
//! blob ([`PublicKey::md5_fingerprint`]) and checks a self-signature over the
//! nine bytes `signature` when a key is registered
//! ([`PublicKey::verify_self_signature`]).
//!
//! Private keys are read from PEM PKCS#1 (`BEGIN RSA PRIVATE KEY`), PEM
//! PKCS#8 (`BEGIN PRIVATE KEY`) and the OpenSSH format `ssh-keygen` writes
//! by default (`BEGIN OPENSSH PRIVATE KEY`, which upstream rejected); with
//! a passphrase ([`PrivateKey::from_pem_with_passphrase`]), also encrypted
//! OpenSSH keys (bcrypt-pbkdf) and encrypted PKCS#8 (`BEGIN ENCRYPTED
//! PRIVATE KEY`, PBES2).
//! Private-key operations run in ring (constant-time, blinded); the `rsa`
//! and `ssh-key` crates are only used to parse and convert encodings.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest as _, Md5};
use ring::rand::SystemRandom;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents,
};
use rsa::pkcs1::der::{Decode as _, Encode as _};
use zeroize::Zeroizing;

/// The message a key owner signs to prove possession when registering a key.
pub const SELF_SIGNATURE_MESSAGE: &[u8] = b"signature";

/// Why a key or signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key line is not `<algorithm> <base64> [comment]`.
    #[error("malformed public key: {0}")]
    MalformedPublicKey(String),
    /// The key is not an RSA key.
    #[error("unsupported key type {0:?}: only ssh-rsa keys are supported")]
    UnsupportedKeyType(String),
    /// The RSA key is outside 2048..=8192 bits.
    #[error("unsupported RSA key size: {0} bits (2048 to 8192 supported)")]
    UnsupportedKeySize(usize),
    /// The signature is not a hex string.
    #[error("malformed signature: not a hex string")]
    MalformedSignature,
    /// The signature does not match the message and key.
    #[error("signature verification failed")]
    VerificationFailed,
    /// The private key could not be read.
    #[error("malformed private key: {0}")]
    MalformedPrivateKey(String),
    /// The private key is protected by a passphrase and none was given.
    #[error("the private key is protected by a passphrase")]
    EncryptedPrivateKey,
    /// The passphrase does not decrypt the private key.
    #[error("wrong passphrase for the private key (or a damaged key)")]
    WrongPassphrase,
    /// Signing failed inside the crypto library.
    #[error("signing failed")]
    SigningFailed,
}

/// An RSA public key, as read from an OpenSSH public key line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The SSH wire blob (`string "ssh-rsa", mpint e, mpint n`).
    blob: Vec<u8>,
    /// Modulus, big-endian, no leading zeros.
    n: Vec<u8>,
    /// Public exponent, big-endian, no leading zeros.
    e: Vec<u8>,
    comment: Option<String>,
}

impl PublicKey {
    /// Parses an OpenSSH public key line: `ssh-rsa AAAA… [comment]`.
    /// Surrounding whitespace is ignored; a comment may have several words.
    ///
    /// # Errors
    /// [`SignatureError::MalformedPublicKey`], [`SignatureError::UnsupportedKeyType`]
    /// or [`SignatureError::UnsupportedKeySize`].
    pub fn from_openssh(line: &str) -> Result<Self, SignatureError> {
        let line = line.trim();
        let mut parts = line.splitn(2, char::is_whitespace);
        let algorithm = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default().trim_start();
        let mut rest_parts = rest.splitn(2, char::is_whitespace);
        let b64 = rest_parts.next().unwrap_or_default();
        let comment = rest_parts
            .next()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if algorithm.is_empty() || b64.is_empty() {
            return Err(SignatureError::MalformedPublicKey(
                "expected `ssh-rsa <base64> [comment]`".to_owned(),
            ));
        }
        if algorithm != "ssh-rsa" {
            return Err(SignatureError::UnsupportedKeyType(algorithm.to_owned()));
        }
        let blob = BASE64
            .decode(b64)
            .map_err(|e| SignatureError::MalformedPublicKey(format!("bad base64: {e}")))?;
        let mut key = Self::from_blob(&blob)?;
        key.comment = comment;
        Ok(key)
    }

    /// Parses a raw SSH public key blob (the base64-decoded middle field).
    ///
    /// # Errors
    /// As for [`PublicKey::from_openssh`].
    pub fn from_blob(blob: &[u8]) -> Result<Self, SignatureError> {
        let (algorithm, rest) = read_ssh_string(blob)
            .ok_or_else(|| SignatureError::MalformedPublicKey("truncated key blob".to_owned()))?;
        if algorithm != b"ssh-rsa" {
            return Err(SignatureError::UnsupportedKeyType(
                String::from_utf8_lossy(algorithm).into_owned(),
            ));
        }
        let (e, rest) = read_ssh_string(rest)
            .ok_or_else(|| SignatureError::MalformedPublicKey("truncated exponent".to_owned()))?;
        let (n, rest) = read_ssh_string(rest)
            .ok_or_else(|| SignatureError::MalformedPublicKey("truncated modulus".to_owned()))?;
        if !rest.is_empty() {
            return Err(SignatureError::MalformedPublicKey(
                "trailing bytes after the modulus".to_owned(),
            ));
        }
        let e = positive_mpint(e)
            .ok_or_else(|| SignatureError::MalformedPublicKey("bad exponent".to_owned()))?;
        let n = positive_mpint(n)
            .ok_or_else(|| SignatureError::MalformedPublicKey("bad modulus".to_owned()))?;
        Self::from_components(n, e, None)
    }

    fn from_components(
        n: &[u8],
        e: &[u8],
        comment: Option<String>,
    ) -> Result<Self, SignatureError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        if n.is_empty() || e.is_empty() {
            return Err(SignatureError::MalformedPublicKey(
                "zero modulus or exponent".to_owned(),
            ));
        }
        let bits = n.len() * 8 - n[0].leading_zeros() as usize;
        if !(2048..=8192).contains(&bits) {
            return Err(SignatureError::UnsupportedKeySize(bits));
        }
        let mut blob = Vec::with_capacity(n.len() + e.len() + 32);
        write_ssh_string(&mut blob, b"ssh-rsa");
        write_mpint(&mut blob, e);
        write_mpint(&mut blob, n);
        Ok(Self {
            blob,
            n: n.to_vec(),
            e: e.to_vec(),
            comment,
        })
    }

    /// The key blob (SSH wire encoding).
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The comment of the parsed line, if any.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.n.len() * 8 - self.n.first().map_or(0, |b| b.leading_zeros() as usize)
    }

    /// The OpenSSH line without comment: `ssh-rsa AAAA…` (what the upstream
    /// client sends as `X-Public-Key`).
    pub fn to_openssh(&self) -> String {
        format!("ssh-rsa {}", BASE64.encode(&self.blob))
    }

    /// Lower-case hex MD5 of the key blob: the `md5_hash` RefStack stores
    /// and looks keys up by.
    pub fn md5_fingerprint(&self) -> String {
        hex::encode(Md5::digest(&self.blob))
    }

    /// Verifies an RSA PKCS#1 v1.5 SHA-256 signature over `message`.
    ///
    /// # Errors
    /// [`SignatureError::VerificationFailed`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        RsaPublicKeyComponents {
            n: &self.n[..],
            e: &self.e[..],
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
        .map_err(|_| SignatureError::VerificationFailed)
    }

    /// Verifies a hex-encoded signature (the `X-Signature` header value).
    ///
    /// # Errors
    /// [`SignatureError::MalformedSignature`] or
    /// [`SignatureError::VerificationFailed`].
    pub fn verify_hex(&self, message: &[u8], signature_hex: &str) -> Result<(), SignatureError> {
        let signature =
            hex::decode(signature_hex.trim()).map_err(|_| SignatureError::MalformedSignature)?;
        self.verify(message, &signature)
    }

    /// Verifies the self-signature over the bytes `signature`, as RefStack
    /// requires when a key is registered.
    ///
    /// # Errors
    /// As for [`PublicKey::verify_hex`].
    pub fn verify_self_signature(&self, signature_hex: &str) -> Result<(), SignatureError> {
        self.verify_hex(SELF_SIGNATURE_MESSAGE, signature_hex)
    }
}

/// The MD5 fingerprint of an `X-Public-Key` header without parsing the key:
/// RefStack's `md5(b64decode(header.strip().split()[1]))`.
///
/// # Errors
/// [`SignatureError::MalformedPublicKey`] when there is no second field or it
/// is not base64.
pub fn md5_fingerprint_of_line(line: &str) -> Result<String, SignatureError> {
    let b64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| SignatureError::MalformedPublicKey("no key field".to_owned()))?;
    let blob = BASE64
        .decode(b64)
        .map_err(|e| SignatureError::MalformedPublicKey(format!("bad base64: {e}")))?;
    Ok(hex::encode(Md5::digest(&blob)))
}

/// An RSA private key that signs with ring.
pub struct PrivateKey {
    pair: RsaKeyPair,
    public: PublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public", &self.public.to_openssh())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a private key file's contents: PEM PKCS#1, PEM PKCS#8 or
    /// OpenSSH, without passphrase.
    ///
    /// # Errors
    /// [`SignatureError::MalformedPrivateKey`],
    /// [`SignatureError::EncryptedPrivateKey`] or
    /// [`SignatureError::UnsupportedKeyType`]/[`SignatureError::UnsupportedKeySize`].
    pub fn from_pem(text: &str) -> Result<Self, SignatureError> {
        Self::load(text, None)
    }

    /// [`PrivateKey::from_pem`] for a key that may be protected by
    /// `passphrase`: an encrypted OpenSSH key (`ssh-keygen -N`) or an
    /// encrypted PKCS#8 PEM (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2). A key
    /// without encryption is read as is, the passphrase unused. OpenSSL's
    /// legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`) is not supported.
    ///
    /// # Errors
    /// [`SignatureError::WrongPassphrase`] when the passphrase does not
    /// decrypt the key; otherwise as for [`PrivateKey::from_pem`].
    pub fn from_pem_with_passphrase(text: &str, passphrase: &[u8]) -> Result<Self, SignatureError> {
        Self::load(text, Some(passphrase))
    }

    fn load(text: &str, passphrase: Option<&[u8]>) -> Result<Self, SignatureError> {
        let trimmed = text.trim_start();
        if trimmed.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
            let key = ssh_key::PrivateKey::from_openssh(trimmed.trim()).map_err(|e| {
                SignatureError::MalformedPrivateKey(format!("bad OpenSSH key: {e}"))
            })?;
            if !key.is_encrypted() {
                return Self::from_openssh_key(&key);
            }
            let passphrase = passphrase.ok_or(SignatureError::EncryptedPrivateKey)?;
            let key = key
                .decrypt(passphrase)
                .map_err(|_| SignatureError::WrongPassphrase)?;
            return Self::from_openssh_key(&key);
        }
        if trimmed.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(SignatureError::MalformedPrivateKey(
                "OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED) is not supported; \
                 convert the key with `ssh-keygen -p -f KEY` (OpenSSH format, same passphrase \
                 or a new one) or `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
                    .to_owned(),
            ));
        }
        let (label, der) = rsa::pkcs1::der::pem::decode_vec(trimmed.as_bytes())
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("bad PEM: {e}")))?;
        let der = Zeroizing::new(der);
        match label {
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&der),
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "ENCRYPTED PRIVATE KEY" => {
                let passphrase = passphrase.ok_or(SignatureError::EncryptedPrivateKey)?;
                let info = rsa::pkcs8::EncryptedPrivateKeyInfo::from_der(&der).map_err(|e| {
                    SignatureError::MalformedPrivateKey(format!("bad encrypted PKCS#8: {e}"))
                })?;
                let plain = info
                    .decrypt(passphrase)
                    .map_err(|_| SignatureError::WrongPassphrase)?;
                // A wrong passphrase can, rarely, still end in valid padding:
                // then what comes out is not a key.
                Self::from_pkcs8_der(plain.as_bytes()).map_err(|e| match e {
                    SignatureError::MalformedPrivateKey(_) => SignatureError::WrongPassphrase,
                    other => other,
                })
            }
            other => Err(SignatureError::MalformedPrivateKey(format!(
                "unsupported PEM label {other:?}"
            ))),
        }
    }

    /// Reads a PKCS#1 `RSAPrivateKey` DER structure.
    ///
    /// # Errors
    /// As for [`PrivateKey::from_pem`].
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, SignatureError> {
        let parsed = rsa::pkcs1::RsaPrivateKey::from_der(der)
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("bad PKCS#1: {e}")))?;
        let public = PublicKey::from_components(
            parsed.modulus.as_bytes(),
            parsed.public_exponent.as_bytes(),
            None,
        )?;
        let pair = RsaKeyPair::from_der(der)
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("rejected: {e}")))?;
        Ok(Self { pair, public })
    }

    /// Reads a PKCS#8 `PrivateKeyInfo` DER structure holding an RSA key.
    ///
    /// # Errors
    /// As for [`PrivateKey::from_pem`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SignatureError> {
        let info = rsa::pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("bad PKCS#8: {e}")))?;
        const RSA_ENCRYPTION: rsa::pkcs8::ObjectIdentifier =
            rsa::pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(SignatureError::UnsupportedKeyType(
                info.algorithm.oid.to_string(),
            ));
        }
        let parsed = rsa::pkcs1::RsaPrivateKey::from_der(info.private_key)
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("bad PKCS#1: {e}")))?;
        let public = PublicKey::from_components(
            parsed.modulus.as_bytes(),
            parsed.public_exponent.as_bytes(),
            None,
        )?;
        let pair = RsaKeyPair::from_pkcs8(der)
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("rejected: {e}")))?;
        Ok(Self { pair, public })
    }

    /// Reads an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`).
    ///
    /// The format lacks the CRT exponents `d mod (p-1)` and `d mod (q-1)`
    /// that ring needs; they are computed once, at load time, with the
    /// `rsa` crate's big integers (variable-time, local, not an oracle).
    /// Signing itself runs in ring.
    ///
    /// # Errors
    /// As for [`PrivateKey::from_pem`].
    pub fn from_openssh(text: &str) -> Result<Self, SignatureError> {
        let key = ssh_key::PrivateKey::from_openssh(text.trim())
            .map_err(|e| SignatureError::MalformedPrivateKey(format!("bad OpenSSH key: {e}")))?;
        Self::from_openssh_key(&key)
    }

    fn from_openssh_key(key: &ssh_key::PrivateKey) -> Result<Self, SignatureError> {
        if key.is_encrypted() {
            return Err(SignatureError::EncryptedPrivateKey);
        }
        let pair = key.key_data().rsa().ok_or_else(|| {
            SignatureError::UnsupportedKeyType(key.algorithm().as_str().to_owned())
        })?;
        // Secret integers are wiped on drop.
        let mpint = |m: &ssh_key::Mpint| -> Result<Zeroizing<rsa::BigUint>, SignatureError> {
            m.as_positive_bytes()
                .map(|b| Zeroizing::new(rsa::BigUint::from_bytes_be(b)))
                .ok_or_else(|| SignatureError::MalformedPrivateKey("negative integer".to_owned()))
        };
        let n = mpint(&pair.public.n)?;
        let e = mpint(&pair.public.e)?;
        let d = mpint(&pair.private.d)?;
        let p = mpint(&pair.private.p)?;
        let q = mpint(&pair.private.q)?;
        let iqmp = mpint(&pair.private.iqmp)?;
        let one = rsa::BigUint::from(1u8);
        if *p <= one || *q <= one {
            return Err(SignatureError::MalformedPrivateKey("bad primes".to_owned()));
        }
        let dp = Zeroizing::new(&*d % (&*p - &one));
        let dq = Zeroizing::new(&*d % (&*q - &one));
        let uint = |v: &rsa::BigUint| -> Zeroizing<Vec<u8>> { Zeroizing::new(v.to_bytes_be()) };
        let (n_b, e_b, d_b, p_b, q_b, dp_b, dq_b, qi_b) = (
            uint(&n),
            uint(&e),
            uint(&d),
            uint(&p),
            uint(&q),
            uint(&dp),
            uint(&dq),
            uint(&iqmp),
        );
        let der = pkcs1_der(&[&n_b, &e_b, &d_b, &p_b, &q_b, &dp_b, &dq_b, &qi_b])?;
        Self::from_pkcs1_der(&der)
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` with RSA PKCS#1 v1.5 SHA-256 (deterministic).
    ///
    /// # Errors
    /// [`SignatureError::SigningFailed`] if ring fails.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| SignatureError::SigningFailed)?;
        Ok(signature)
    }

    /// Signs `message` and returns lower-case hex (the `X-Signature` value).
    ///
    /// # Errors
    /// As for [`PrivateKey::sign`].
    pub fn sign_hex(&self, message: &[u8]) -> Result<String, SignatureError> {
        self.sign(message).map(hex::encode)
    }

    /// The self-signature over the bytes `signature`, hex encoded (what
    /// `refstack-client sign` prints for key registration).
    ///
    /// # Errors
    /// As for [`PrivateKey::sign`].
    pub fn self_signature_hex(&self) -> Result<String, SignatureError> {
        self.sign_hex(SELF_SIGNATURE_MESSAGE)
    }
}

/// Encodes a two-prime PKCS#1 `RSAPrivateKey` (version 0) from its eight
/// big-endian integers n, e, d, p, q, dP, dQ, qInv.
fn pkcs1_der(parts: &[&Zeroizing<Vec<u8>>; 8]) -> Result<Zeroizing<Vec<u8>>, SignatureError> {
    fn bad(e: rsa::pkcs1::der::Error) -> SignatureError {
        SignatureError::MalformedPrivateKey(e.to_string())
    }
    fn uint(b: &[u8]) -> Result<rsa::pkcs1::UintRef<'_>, SignatureError> {
        rsa::pkcs1::UintRef::new(b).map_err(bad)
    }
    let key = rsa::pkcs1::RsaPrivateKey {
        modulus: uint(parts[0])?,
        public_exponent: uint(parts[1])?,
        private_exponent: uint(parts[2])?,
        prime1: uint(parts[3])?,
        prime2: uint(parts[4])?,
        exponent1: uint(parts[5])?,
        exponent2: uint(parts[6])?,
        coefficient: uint(parts[7])?,
        other_prime_infos: None,
    };
    key.to_der().map(Zeroizing::new).map_err(bad)
}

fn read_ssh_string(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let len_bytes: [u8; 4] = input.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    let body = input.get(4..4usize.checked_add(len)?)?;
    Some((body, &input[4 + len..]))
}

/// An SSH mpint that must be positive: a leading 0x00 is allowed only before
/// a byte with the high bit set; negative values are rejected.
fn positive_mpint(bytes: &[u8]) -> Option<&[u8]> {
    match bytes.first() {
        None => Some(bytes),
        Some(b) if b & 0x80 != 0 => None,
        Some(_) => Some(bytes),
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn write_ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    // Key material is far below 4 GiB; saturate rather than panic.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn write_mpint(out: &mut Vec<u8>, positive: &[u8]) {
    if positive.first().is_some_and(|b| b & 0x80 != 0) {
        let len = u32::try_from(positive.len() + 1).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(0);
        out.extend_from_slice(positive);
    } else {
        write_ssh_string(out, positive);
    }
}
