//! Finding the cloud provider id (CPID) of a cloud, exactly as
//! refstack-client does: the Keystone v3 identity **service** id, the v2
//! identity **endpoint** id, or, when Keystone cannot tell, the MD5 of the
//! Keystone URL's host name (with the reason logged).

use serde_json::Value;

use crate::conf::{AuthVersion, KeystoneConfig};
use crate::error::Error;
use crate::http::{server_message, transport};

/// Where a CPID came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpidSource {
    /// The identity service id of a Keystone v3 token catalog.
    KeystoneV3,
    /// The first identity endpoint id of a Keystone v2 service catalog.
    KeystoneV2,
    /// MD5 of the host name of the Keystone URL, because Keystone did not tell.
    EndpointHash {
        /// Why Keystone's answer could not be used.
        reason: String,
    },
}

/// A CPID and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpid {
    /// The cloud provider id.
    pub cpid: String,
    /// How it was found.
    pub source: CpidSource,
}

/// The fallback CPID: MD5 (lowercase hex) of the lower-cased host name of
/// `url`, without port or IPv6 brackets. The scheme must be http or https.
pub fn cpid_from_endpoint(url: &str) -> Result<String, Error> {
    refstack_core::cpid::cpid_from_endpoint(url).map_err(|e| Error::Url {
        url: url.to_string(),
        message: format!("{e}; make sure the endpoint includes the URL scheme (i.e. http/https)"),
    })
}

/// Ask Keystone for a token and take the CPID from its catalog; fall back to
/// [`cpid_from_endpoint`] of the token URL when that fails, logging why.
///
/// Errors only when the token URL itself is unusable (no http/https scheme).
pub async fn discover(client: &reqwest::Client, conf: &KeystoneConfig) -> Result<Cpid, Error> {
    let version = conf.auth_version.as_str();
    let reason = match query_keystone(client, conf).await {
        Ok(Some(cpid)) => {
            let source = match conf.auth_version {
                AuthVersion::V3 => CpidSource::KeystoneV3,
                AuthVersion::V2 => CpidSource::KeystoneV2,
            };
            return Ok(Cpid { cpid, source });
        }
        Ok(None) => {
            let reason = format!(
                "Unable to retrieve CPID from Keystone {version} catalog. The catalog or the \
                 identity service endpoint was not found."
            );
            tracing::warn!("{reason}");
            reason
        }
        Err(e) => {
            // A URL with `user:password@` must not reach the log.
            let (reason, _) = crate::sanitize::redact_urls(&format!(
                "Problems retrieving CPID from Keystone using {version} endpoint ({}) with \
                 error ({e})",
                conf.auth_url
            ));
            tracing::warn!("{reason}");
            reason
        }
    };
    tracing::info!("Creating hash from endpoint to use as CPID.");
    let cpid = cpid_from_endpoint(&conf.auth_url)?;
    Ok(Cpid {
        cpid,
        source: CpidSource::EndpointHash { reason },
    })
}

/// `Ok(Some(id))` on a usable catalog, `Ok(None)` when the answer has no
/// usable identity entry, `Err` on any transport or HTTP error.
async fn query_keystone(
    client: &reqwest::Client,
    conf: &KeystoneConfig,
) -> Result<Option<String>, Error> {
    let url = &conf.auth_url;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(conf.token_request().to_string())
        .send()
        .await
        .map_err(|e| transport(url, &e))?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| transport(url, &e))?;
    let ok = match conf.auth_version {
        AuthVersion::V3 => status == 201,
        AuthVersion::V2 => status == 200 || status == 203,
    };
    if !ok {
        return Err(Error::Server {
            url: url.clone(),
            status,
            message: format!(
                "Invalid request with error code: {status}. Error message: {}",
                server_message(&text)
            ),
        });
    }
    let body: Value = serde_json::from_str(&text).map_err(|e| Error::Input {
        origin: url.clone(),
        message: format!("the token answer is not JSON: {e}"),
    })?;
    Ok(match conf.auth_version {
        AuthVersion::V3 => catalog_id_v3(&body),
        AuthVersion::V2 => catalog_id_v2(&body),
    })
}

fn non_empty_str(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The id of the first `identity` service with a non-empty id in a v3 token.
pub fn catalog_id_v3(body: &Value) -> Option<String> {
    body.pointer("/token/catalog")?
        .as_array()?
        .iter()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("identity"))
        .find_map(|s| non_empty_str(s.get("id")))
}

/// The id of the first endpoint of the first `identity` service with a
/// non-empty one in a v2 access answer.
pub fn catalog_id_v2(body: &Value) -> Option<String> {
    body.pointer("/access/serviceCatalog")?
        .as_array()?
        .iter()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("identity"))
        .find_map(|s| non_empty_str(s.pointer("/endpoints/0/id")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoint_hash_vectors() {
        assert_eq!(
            cpid_from_endpoint("http://some.url:5000/v2").unwrap(),
            "a7fd82e13f0f6eba9f65d753a9e6dd4d"
        );
        assert_eq!(
            cpid_from_endpoint("http://0.0.0.0:5000/v2.0").unwrap(),
            "f1f17934834ae2613699701054ef9684"
        );
        assert_eq!(
            cpid_from_endpoint("https://KEYSTONE.example.com/v3").unwrap(),
            "b33dc8a37c8607c6a7612f6296139578"
        );
        assert!(cpid_from_endpoint("some.url:5000/v2").is_err());
        assert!(cpid_from_endpoint("ftp://h/").is_err());
    }

    #[test]
    fn catalogs() {
        let v3 = json!({"token": {"catalog": [
            {"type": "compute", "id": "c"}, {"type": "identity", "id": null},
            {"type": "identity", "id": "test-id2"}]}});
        assert_eq!(catalog_id_v3(&v3).as_deref(), Some("test-id2"));
        assert_eq!(catalog_id_v3(&json!({"token": {"catalog": []}})), None);
        assert_eq!(catalog_id_v3(&json!({"token": {}})), None);
        let v2 = json!({"access": {"serviceCatalog": [
            {"type": "identity", "id": "svc", "endpoints": [{"id": "EP"}]}]}});
        assert_eq!(catalog_id_v2(&v2).as_deref(), Some("EP"));
        assert_eq!(
            catalog_id_v2(&json!({"access": {"serviceCatalog": [
            {"type": "identity", "endpoints": []}]}})),
            None
        );
    }
}
