//! `Authorization: Bearer <JWT>` API tokens (reference §8.3): RS256, claim
//! `user_openid`, `exp` required, 42 s leeway, verified against the user's
//! stored OpenSSH RSA keys. As PyJWT (which upstream used) does, `nbf` and
//! `iat` are checked too when present: a token that is not yet valid, or
//! issued in the future, is refused (same leeway).

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::ApiError;

/// Leeway on `exp`, as upstream.
pub const LEEWAY_SECS: u64 = 42;

#[derive(Debug, Deserialize)]
struct Claims {
    user_openid: Option<serde_json::Value>,
}

/// The registered claims jsonwebtoken does not check itself.
#[derive(Debug, Deserialize)]
struct TimeClaims {
    iat: Option<serde_json::Value>,
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `iat`, when present, is a number no later than now + leeway (PyJWT:
/// "Issued At claim (iat) must be an integer", "The token is not yet valid
/// (iat)").
fn iat_ok(claims: &TimeClaims) -> bool {
    match &claims.iat {
        None => true,
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .is_some_and(|iat| iat <= (now() + LEEWAY_SECS) as f64),
        Some(_) => false,
    }
}

/// Extracts the token from an `Authorization` header value.
pub fn bearer_token(header: &str) -> Result<&str, ApiError> {
    let Some((scheme, token)) = header.split_once(' ') else {
        return Err(ApiError::validation("Token is not valid"));
    };
    if scheme != "Bearer" {
        return Err(ApiError::validation(
            "Authorization schema 'Bearer' should be used",
        ));
    }
    Ok(token)
}

/// Reads the `user_openid` claim without verifying the signature.
pub fn unverified_openid(token: &str) -> Result<String, ApiError> {
    let data = jsonwebtoken::dangerous::insecure_decode::<Claims>(token)
        .map_err(|_| ApiError::validation("Token is not valid"))?;
    match data.claims.user_openid {
        // A NUL cannot be an openid (and PostgreSQL cannot even look it up).
        Some(serde_json::Value::String(s)) if s.contains('\0') => {
            Err(ApiError::validation("Token is not valid"))
        }
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::validation("Token does not contain user's openid")),
    }
}

/// RSA `(n, e)` of an OpenSSH `ssh-rsa` key blob given as base64.
pub fn rsa_components(pubkey_b64: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let blob = base64::engine::general_purpose::STANDARD
        .decode(pubkey_b64.trim())
        .ok()?;
    let mut rest = blob.as_slice();
    let mut next = || -> Option<Vec<u8>> {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let v = rest.get(4..4 + len)?.to_vec();
        rest = &rest[4 + len..];
        Some(v)
    };
    if next()? != b"ssh-rsa" {
        return None;
    }
    let strip = |v: Vec<u8>| -> Vec<u8> {
        let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        v[start..].to_vec()
    };
    let e = strip(next()?);
    let n = strip(next()?);
    (!e.is_empty() && !n.is_empty()).then_some((n, e))
}

/// Verifies `token` against each key (`(format, base64 body)`); the first key
/// that verifies wins.
pub fn verify<'a>(
    token: &str,
    keys: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApiError> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = LEEWAY_SECS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp"]);
    for (format, body) in keys {
        if format != "ssh-rsa" {
            continue;
        }
        let Some((n, e)) = rsa_components(body) else {
            continue;
        };
        let key = DecodingKey::from_rsa_raw_components(&n, &e);
        if let Ok(data) = jsonwebtoken::decode::<TimeClaims>(token, &key, &validation) {
            return if iat_ok(&data.claims) {
                Ok(())
            } else {
                Err(ApiError::validation("Token is not valid"))
            };
        }
    }
    Err(ApiError::validation("Token is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing() {
        // Reference §8.3.
        assert!(bearer_token("Bearer abc").is_ok());
        let e = bearer_token("Basic abc").unwrap_err();
        assert!(matches!(e, ApiError::Exception { ref title, .. }
            if title == "Authorization schema 'Bearer' should be used"));
        let e = bearer_token("Bearer").unwrap_err();
        assert!(
            matches!(e, ApiError::Exception { ref title, .. } if title == "Token is not valid")
        );
        assert!(unverified_openid("not-a-jwt").is_err());
    }
}
