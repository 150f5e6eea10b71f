//! Random secrets (session ids, CSRF tokens, API tokens) and their stored digests.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::error::{ApiError, ApiResult};

/// `n` random bytes from the operating system's CSPRNG (through ring), base64url without padding.
pub fn random(n: usize) -> ApiResult<String> {
    use ring::rand::SecureRandom as _;
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ApiError::internal("no randomness"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Hex SHA-256 of a secret: what the database stores and looks up. The secrets hashed here
/// have 256 bits of entropy, so a plain (unsalted, fast) hash is enough.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn randomness_and_digests() {
        let a = super::random(32).unwrap_or_default();
        let b = super::random(32).unwrap_or_default();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(
            super::digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(super::equal("abc", "abc"));
        assert!(!super::equal("abc", "abd"));
        assert!(!super::equal("abc", "ab"));
    }
}
