//! The cloud provider id fallback: MD5 of the Keystone URL's host name.
//!
//! refstack-client uses `md5(urlparse(url).hostname)` when Keystone cannot
//! tell it the identity service id: the host name only (lower-cased, no
//! port, no user info, IPv6 without brackets), and only `http`/`https` URLs.

use md5::{Digest as _, Md5};

/// Why no CPID could be derived from a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpidError {
    /// The URL has no `http://` or `https://` scheme.
    #[error("not an http(s) URL: {0:?}")]
    NotHttp(String),
    /// The URL has no host name.
    #[error("URL has no host name: {0:?}")]
    NoHost(String),
}

/// The host name as Python's `urlparse(url).hostname` gives it: lower-case,
/// without user info, port or IPv6 brackets.
///
/// # Errors
/// [`CpidError`] for a non-http(s) URL or an empty host.
pub fn endpoint_hostname(url: &str) -> Result<String, CpidError> {
    let trimmed = url.trim();
    let (scheme, rest) = trimmed
        .split_once("://")
        .ok_or_else(|| CpidError::NotHttp(url.to_owned()))?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(CpidError::NotHttp(url.to_owned()));
    }
    let netloc_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let netloc = &rest[..netloc_end];
    let host_port = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']').map_or(v6, |(h, _)| h)
    } else {
        host_port.split_once(':').map_or(host_port, |(h, _)| h)
    };
    if host.is_empty() {
        return Err(CpidError::NoHost(url.to_owned()));
    }
    Ok(host.to_lowercase())
}

/// The fallback CPID: lower-case hex MD5 of [`endpoint_hostname`].
///
/// # Errors
/// As for [`endpoint_hostname`].
pub fn cpid_from_endpoint(url: &str) -> Result<String, CpidError> {
    let host = endpoint_hostname(url)?;
    Ok(hex::encode(Md5::digest(host.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        let cases = [
            (
                "http://some.url:5000/v2",
                "a7fd82e13f0f6eba9f65d753a9e6dd4d",
            ),
            (
                "http://0.0.0.0:5000/v2.0",
                "f1f17934834ae2613699701054ef9684",
            ),
            (
                "http://127.0.0.1:5000/v3",
                "f528764d624db129b32c21fbca0cb8d6",
            ),
            (
                "https://keystone.example.com/identity/v3",
                "b33dc8a37c8607c6a7612f6296139578",
            ),
            (
                "https://KeyStone.Example.COM:443",
                "b33dc8a37c8607c6a7612f6296139578",
            ),
            (
                "http://user:pw@127.0.0.1:5000",
                "f528764d624db129b32c21fbca0cb8d6",
            ),
        ];
        for (url, md5) in cases {
            assert_eq!(cpid_from_endpoint(url).as_deref(), Ok(md5), "{url}");
        }
    }

    #[test]
    fn hostnames() {
        assert_eq!(
            endpoint_hostname("http://[::1]:5000/v3").as_deref(),
            Ok("::1")
        );
        assert_eq!(
            endpoint_hostname("https://[FE80::1]/").as_deref(),
            Ok("fe80::1")
        );
        assert_eq!(endpoint_hostname("http://host?x=1").as_deref(), Ok("host"));
        assert_eq!(
            cpid_from_endpoint("http://[::1]:5000"),
            Ok(hex::encode(Md5::digest(b"::1")))
        );
        assert!(matches!(
            endpoint_hostname("some.url:5000/v2"),
            Err(CpidError::NotHttp(_))
        ));
        assert!(matches!(
            endpoint_hostname("ftp://host/"),
            Err(CpidError::NotHttp(_))
        ));
        assert!(matches!(
            endpoint_hostname("http:///path"),
            Err(CpidError::NoHost(_))
        ));
    }
}
