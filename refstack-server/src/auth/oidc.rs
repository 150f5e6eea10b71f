//! OpenID Connect sign-in (relying party) with the `openidconnect` crate: discovery,
//! authorization code flow with PKCE (S256), `state` and `nonce`, id_token verification
//! (asymmetric algorithms only, `iss`, `aud`, `exp`, `nonce`), JWKS cached and fetched
//! again once when an id_token names an unknown key (rotation).
//!
//! Pending sign-ins are stored in the database (`auth_states`), so the callback may reach
//! another server process than the one that started the sign-in. The crate's HTTP goes
//! through our reqwest 0.13 client ([`Http`]), which never follows redirects.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    HttpRequest, HttpResponse, IssuerUrl, JsonWebKeySet, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError,
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::secret;
use crate::config::Config;
use crate::db;

/// How long a started sign-in may take (the user typing their password included).
pub const PENDING_TTL: Duration = Duration::from_secs(600);

/// How long sign-out waits for the provider's metadata when it has none cached.
pub const SIGNOUT_WAIT: Duration = Duration::from_secs(2);

/// Why a sign-in failed. The `Display` text is shown to the user on the UI's
/// auth-failure page, so it never carries secrets or tokens.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Discovery, the key set or the token endpoint could not be reached or answered
    /// garbage.
    #[error("The identity provider is unreachable. Please try again later.")]
    Unreachable(String),
    /// The `state` is unknown, used or does not belong to this browser.
    #[error("Authentication failed. Please try again.")]
    State,
    /// The provider answered the authorization request with an error.
    #[error("The identity provider refused the sign-in: {0}")]
    Provider(String),
    /// The token endpoint refused the code (used twice, expired, wrong verifier, ...).
    #[error("The identity provider did not accept the sign-in. Please try again.")]
    Token(String),
    /// The id_token failed verification.
    #[error("The identity provider's answer could not be verified.")]
    IdToken(String),
    /// A claim needed for the openid, e-mail or name is missing or unusable.
    #[error("The identity provider did not tell us {0}.")]
    Claim(String),
    /// Storage failed.
    #[error("Sign-in is not possible right now. Please try again later.")]
    Db(#[from] db::DbError),
    /// The server's own configuration is wrong (logged).
    #[error("Sign-in is misconfigured on this server.")]
    Config(String),
}

impl OidcError {
    /// The details for the log (never shown to the user).
    pub fn detail(&self) -> String {
        match self {
            Self::Unreachable(d)
            | Self::Token(d)
            | Self::IdToken(d)
            | Self::Config(d)
            | Self::Provider(d)
            | Self::Claim(d) => d.clone(),
            Self::State => "unknown, used or foreign state".into(),
            Self::Db(e) => e.to_string(),
        }
    }
}

/// Errors of [`Http`].
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request failed.
    #[error("{0}")]
    Reqwest(#[from] reqwest::Error),
    /// The response could not be rebuilt.
    #[error("{0}")]
    Http(#[from] axum::http::Error),
}

/// The crate's HTTP client over reqwest 0.13 (rustls), redirects off.
#[derive(Debug, Clone)]
pub struct Http(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = self.0.execute(request).await?;
            let mut out = axum::http::Response::builder().status(response.status());
            for (k, v) in response.headers() {
                out = out.header(k, v);
            }
            let body = response.bytes().await?.to_vec();
            Ok(out.body(body)?)
        })
    }
}

/// The provider's metadata (with its keys) as last fetched.
#[derive(Clone)]
struct Discovered {
    metadata: ProviderMetadataWithLogout,
    at: Instant,
}

/// Who signed in, from the verified id_token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user's openid (see `OidcConfig::openid_claim`).
    pub openid: String,
    /// E-mail address, if the provider sent one.
    pub email: Option<String>,
    /// Full name, if the provider sent one.
    pub fullname: Option<String>,
}

/// The relying party: configuration, HTTP client and the metadata cache.
pub struct Oidc {
    http: Http,
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    redirect_url: String,
    scopes: Vec<String>,
    openid_claim: String,
    email_claim: String,
    name_claim: String,
    metadata_ttl: Duration,
    cache: Mutex<Option<Discovered>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .finish_non_exhaustive()
    }
}

/// The crate's client for the metadata `$d` (its typestate type is not worth naming).
macro_rules! client {
    ($self:expr, $d:expr) => {{
        let redirect = RedirectUrl::new($self.redirect_url.clone())
            .map_err(|e| OidcError::Config(format!("redirect URL: {e}")))?;
        CoreClient::from_provider_metadata(
            $d.metadata.clone(),
            ClientId::new($self.client_id.clone()),
            $self.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect)
    }};
}

/// The id_token signature algorithms accepted: asymmetric ones only (`none` and HS* are
/// refused whatever the provider advertises).
const ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

impl Oidc {
    /// The relying party of `cfg`, or `None` when OpenID Connect is not configured. Nothing
    /// is fetched yet: discovery happens at the first sign-in (a provider that is down at
    /// startup does not keep the API from serving).
    pub fn new(cfg: &Config) -> Option<Oidc> {
        let o = &cfg.oidc;
        if !o.enabled() {
            return None;
        }
        let timeout = Duration::from_secs(o.timeout_secs.max(1));
        crate::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .unwrap_or_default();
        let secret = o.client_secret.expose();
        Some(Oidc {
            http: Http(client),
            issuer: o.issuer_url.trim().to_owned(),
            client_id: o.client_id.clone(),
            client_secret: (!secret.is_empty()).then(|| secret.to_owned()),
            redirect_url: cfg.oidc_redirect_url(),
            scopes: o.scopes.clone(),
            openid_claim: o.openid_claim.clone(),
            email_claim: o.email_claim.clone(),
            name_claim: o.name_claim.clone(),
            metadata_ttl: Duration::from_secs(o.metadata_ttl_secs),
            cache: Mutex::new(None),
        })
    }

    /// The cached metadata, fetched when missing or older than the TTL. A failed fetch is
    /// not cached (the next sign-in tries again); a stale copy is used if the refresh fails.
    async fn discovered(&self) -> Result<Discovered, OidcError> {
        let mut cache = self.cache.lock().await;
        if let Some(d) = cache.as_ref()
            && d.at.elapsed() < self.metadata_ttl
        {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer URL: {e}")))?;
        match ProviderMetadataWithLogout::discover_async(issuer, &self.http).await {
            Ok(metadata) => {
                let d = Discovered {
                    metadata,
                    at: Instant::now(),
                };
                *cache = Some(d.clone());
                Ok(d)
            }
            Err(e) => {
                let detail = format!("discovery of {}: {}", self.issuer, error_chain(&e));
                match cache.as_ref() {
                    Some(stale) => {
                        tracing::warn!(%detail, "using the provider metadata fetched before");
                        Ok(stale.clone())
                    }
                    None => Err(OidcError::Unreachable(detail)),
                }
            }
        }
    }

    /// Fetches the key set again (an id_token named a key we do not have) and caches it.
    async fn refetch_keys(&self, old: &Discovered) -> Result<Discovered, OidcError> {
        let jwks = JsonWebKeySet::fetch_async(old.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| OidcError::Unreachable(format!("key set: {}", error_chain(&e))))?;
        let d = Discovered {
            metadata: old.metadata.clone().set_jwks(jwks),
            at: old.at,
        };
        *self.cache.lock().await = Some(d.clone());
        Ok(d)
    }

    /// Starts a sign-in: stores the pending state and returns the provider's authorization
    /// URL and the `state` (which the caller binds to the browser with a cookie).
    pub async fn begin(
        &self,
        db: &db::Db,
        next: Option<String>,
    ) -> Result<(String, String), OidcError> {
        let d = self.discovered().await?;
        let client = client!(self, d);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in self.scopes.iter().filter(|s| s.as_str() != "openid") {
            request = request.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let expires_at = db::now() + PENDING_TTL;
        db::sessions::create_auth_state(
            db,
            &db::sessions::AuthState {
                state_hash: secret::digest(state.secret()),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next_path: next,
                expires_at,
            },
        )
        .await?;
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in: consumes the pending state, exchanges the code (with the PKCE
    /// verifier) and verifies the id_token. Returns who signed in and where to go next.
    pub async fn finish(
        &self,
        db: &db::Db,
        code: &str,
        state: &str,
    ) -> Result<(Identity, Option<String>), OidcError> {
        let pending = db::sessions::take_auth_state(db, &secret::digest(state))
            .await?
            .ok_or(OidcError::State)?;
        let mut d = self.discovered().await?;
        let client = client!(self, d);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match &e {
                openidconnect::RequestTokenError::Request(_) => {
                    OidcError::Unreachable(format!("token endpoint: {}", error_chain(&e)))
                }
                _ => OidcError::Token(format!("token endpoint: {}", error_chain(&e))),
            })?;
        let id_token = openidconnect::TokenResponse::id_token(&response)
            .ok_or_else(|| OidcError::IdToken("no id_token in the token response".into()))?
            .clone();
        let nonce = Nonce::new(pending.nonce.clone());
        let mut refetched = false;
        loop {
            let client = client!(self, d);
            let verifier = client.id_token_verifier().set_allowed_algs(ALGS);
            match id_token.claims(&verifier, &nonce) {
                Ok(_) => break,
                Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )) if !refetched => {
                    refetched = true;
                    d = self.refetch_keys(&d).await?;
                }
                Err(e) => return Err(OidcError::IdToken(error_chain(&e))),
            }
        }
        // The signature and the claims are verified: read every claim from the payload.
        let claims = payload(&id_token.to_string())
            .ok_or_else(|| OidcError::IdToken("undecodable payload".into()))?;
        Ok((self.identity(&claims)?, pending.next_path))
    }

    /// Maps verified claims to the user's openid, e-mail and name.
    pub fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, OidcError> {
        let openid = map_openid(&self.openid_claim, claims)?;
        if openid.is_empty() || openid.chars().count() > db::users::MAX_FIELD_LEN {
            return Err(OidcError::Claim(format!(
                "a usable identity (openid {openid:?} must have 1 to {} characters)",
                db::users::MAX_FIELD_LEN
            )));
        }
        let text = |name: &str| {
            claim_text(claims, name)
                .map(|v| v.chars().take(db::users::MAX_FIELD_LEN).collect::<String>())
                .filter(|v| !v.is_empty())
        };
        Ok(Identity {
            openid,
            email: text(&self.email_claim),
            fullname: text(&self.name_claim),
        })
    }

    /// Where to send the browser after the session ended: the provider's
    /// `end_session_endpoint` (RP-initiated logout, with `client_id` and
    /// `post_logout_redirect_uri`) when its metadata has one. A process that has not
    /// fetched the metadata yet (the sign-in happened on another one) fetches it, waiting
    /// at most [`SIGNOUT_WAIT`]: the session is already gone, so a slow or unreachable
    /// provider only means the browser returns to the UI directly.
    pub async fn end_session_url(&self, post_logout: &str) -> Option<String> {
        let d = tokio::time::timeout(SIGNOUT_WAIT, self.discovered())
            .await
            .ok()?
            .ok()?;
        let endpoint = d
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("post_logout_redirect_uri", post_logout);
        Some(url.to_string())
    }
}

/// The JSON payload of a compact JWS (already verified by the caller).
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A claim as text: strings as they are, numbers printed.
fn claim_text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The openid for `claims` under `template` (see `OidcConfig::openid_claim`).
pub fn map_openid(template: &str, claims: &Map<String, Value>) -> Result<String, OidcError> {
    let need = |name: &str| {
        claim_text(claims, name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| OidcError::Claim(format!("the claim {name:?}")))
    };
    let template = template.trim();
    if template.is_empty() {
        return Ok(format!("{}#{}", need("iss")?, need("sub")?));
    }
    if !template.contains('{') {
        return need(template);
    }
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            OidcError::Config(format!("openid_claim {template:?}: no closing }}"))
        })?;
        out.push_str(&need(&after[..close])?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An error with its sources, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn openid_mapping() {
        let c = claims(json!({
            "iss": "https://id.example.org", "sub": "abc", "preferred_username": "jane",
            "n": 7, "empty": ""
        }));
        assert_eq!(
            map_openid("", &c).ok().as_deref(),
            Some("https://id.example.org#abc")
        );
        assert_eq!(
            map_openid("preferred_username", &c).ok().as_deref(),
            Some("jane")
        );
        assert_eq!(
            map_openid("https://openstackid.org/{preferred_username}", &c)
                .ok()
                .as_deref(),
            Some("https://openstackid.org/jane")
        );
        assert_eq!(map_openid("{sub}-{n}", &c).ok().as_deref(), Some("abc-7"));
        assert!(matches!(
            map_openid("missing", &c),
            Err(OidcError::Claim(_))
        ));
        assert!(matches!(map_openid("empty", &c), Err(OidcError::Claim(_))));
        assert!(matches!(
            map_openid("x/{sub", &c),
            Err(OidcError::Config(_))
        ));
    }

    #[test]
    fn payload_decoding() {
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"a":1}"#);
        assert_eq!(payload(&format!("h.{body}.s")).map(|m| m.len()), Some(1));
        assert!(payload("garbage").is_none());
    }
}
