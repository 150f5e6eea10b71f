//! Sign-in with OpenID Connect, on every backend.
//!
//! * Against a real, OpenID Certified provider (npm `oidc-provider`, installed in
//!   `tests/oidc/` by `npm ci`; found through `REFSTACK_TEST_OIDC_DIR`, skipped without it
//!   unless `REFSTACK_CI=1`): the authorization code flow driven through the provider's
//!   own development login and consent forms, then sign-out through its
//!   `end_session_endpoint`.
//! * Against a small in-test provider that signs id_tokens with test RSA keys: every
//!   malformed or hostile answer (tampered, expired, wrong `aud`/`iss`, `nonce` mismatch,
//!   `alg: none`, HS256, unknown `kid`, key rotation), `state` checks, a code used twice,
//!   the provider unreachable.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use base64::Engine as _;
use common::{Resp, TestApp, base_config};
use refstack_server::config::Secret;
use refstack_server::db;
use refstack_server::{AppState, Config};
use serde_json::{Value, json};
use sha2::Digest as _;

const CLIENT_ID: &str = "refstack";
const CLIENT_SECRET: &str = "s3cret-for-tests";
const UI: &str = "http://ui.test";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// ------------------------------------------------------------------ fake provider

/// The in-test provider's state: what it publishes and the next id_token it hands out.
#[derive(Default)]
struct Fake {
    issuer: String,
    keys: Vec<Value>,
    id_token: String,
    used_codes: HashSet<String>,
    /// (code, code_verifier) of every token request.
    verifiers: Vec<(String, String)>,
    jwks_fetches: usize,
}

type Shared = Arc<Mutex<Fake>>;

/// Makes an id_token for a nonce.
type MakeToken<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// A test RSA key (a fixture user's) as signing key and public JWK.
struct Key {
    kid: &'static str,
    enc: jsonwebtoken::EncodingKey,
    jwk: Value,
}

fn key(fixture_user: &str, kid: &'static str) -> Key {
    let pem = std::fs::read(common::fixture(&format!("{fixture_user}.pem"))).expect("pem");
    let line =
        std::fs::read_to_string(common::fixture(&format!("{fixture_user}.pub"))).expect("pub");
    let blob = line.split_whitespace().nth(1).unwrap_or_default();
    let (n, e) = refstack_server::auth::jwt::rsa_components(blob).expect("rsa");
    Key {
        kid,
        enc: jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("rsa pem"),
        jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&n), "e": b64(&e)}),
    }
}

fn sign(claims: &Value, k: &Key) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some(k.kid.into());
    jsonwebtoken::encode(&h, claims, &k.enc).expect("sign")
}

async fn discovery(State(s): State<Shared>) -> axum::Json<Value> {
    let issuer = s.lock().map(|f| f.issuer.clone()).unwrap_or_default();
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
    }))
}

async fn jwks(State(s): State<Shared>) -> axum::Json<Value> {
    let mut f = s.lock().expect("lock");
    f.jwks_fetches += 1;
    axum::Json(json!({"keys": f.keys}))
}

async fn token(State(s): State<Shared>, body: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let code = form.get("code").cloned().unwrap_or_default();
    let mut f = s.lock().expect("lock");
    f.verifiers.push((
        code.clone(),
        form.get("code_verifier").cloned().unwrap_or_default(),
    ));
    if !f.used_codes.insert(code) {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": "code already used"})),
        )
            .into_response();
    }
    axum::Json(json!({
        "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": f.id_token
    }))
    .into_response()
}

async fn fake_provider() -> Shared {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    if let Ok(mut f) = shared.lock() {
        f.issuer = format!("http://127.0.0.1:{port}");
    }
    tokio::spawn(async move { axum::serve(listener, app).await });
    shared
}

fn oidc_config(issuer: &str) -> Config {
    let mut cfg = base_config();
    cfg.ui_url = UI.into();
    cfg.api_url = "http://api.test/api".into();
    cfg.oidc.issuer_url = issuer.into();
    cfg.oidc.client_id = CLIENT_ID.into();
    cfg.oidc.client_secret = Secret::new(CLIENT_SECRET);
    cfg
}

/// A sign-in started at `/v1/auth/signin`.
struct Pending {
    state: String,
    nonce: String,
    challenge: String,
    query: BTreeMap<String, String>,
}

async fn start(t: &TestApp) -> Pending {
    let r = t.get("/v1/auth/signin").send().await.expect(302, t.label());
    let loc = location(&r.headers);
    let url = url::Url::parse(&loc).unwrap_or_else(|e| panic!("{loc}: {e}"));
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let bound = set_cookie(&r.headers, "refstack_signin").expect("state cookie");
    assert_eq!(bound, query["state"], "{}", t.label());
    Pending {
        state: query["state"].clone(),
        nonce: query["nonce"].clone(),
        challenge: query["code_challenge"].clone(),
        query,
    }
}

async fn finish(t: &TestApp, p: &Pending, code: &str) -> Resp {
    t.get(&format!(
        "/v1/auth/signin_return?code={code}&state={}",
        p.state
    ))
    .header("cookie", &format!("refstack_signin={}", p.state))
    .send()
    .await
    .expect(302, t.label())
}

fn location(h: &HeaderMap) -> String {
    h.get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn set_cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The message of a redirect to the UI's auth-failure page.
fn failure_message(r: &Resp) -> Option<String> {
    let loc = location(&r.headers);
    let q = loc.strip_prefix(&format!("{UI}/#/auth_failure?message="))?;
    Some(
        url::form_urlencoded::parse(format!("m={q}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default(),
    )
}

fn claims(issuer: &str, nonce: &str) -> Value {
    let now = unix_now();
    json!({
        "iss": issuer, "aud": CLIENT_ID, "sub": "u1", "iat": now, "exp": now + 300,
        "nonce": nonce, "email": "u1@example.org", "name": "User One",
        "preferred_username": "u1"
    })
}

fn issuer(f: &Shared) -> String {
    f.lock().map(|f| f.issuer.clone()).unwrap_or_default()
}

fn set(f: &Shared, edit: impl FnOnce(&mut Fake)) {
    if let Ok(mut g) = f.lock() {
        edit(&mut g);
    }
}

#[tokio::test]
async fn fake_provider_happy_path_with_pkce() {
    let fake = fake_provider().await;
    let k1 = key("alice", "k1");
    set(&fake, |f| f.keys = vec![k1.jwk.clone()]);
    let iss = issuer(&fake);
    let mut n = 0;
    for t in TestApp::all_with(|| oidc_config(&iss)).await {
        let l = t.label().to_owned();
        n += 1;
        let p = start(&t).await;
        assert_eq!(p.query["response_type"], "code", "{l}");
        assert_eq!(p.query["client_id"], CLIENT_ID, "{l}");
        assert_eq!(p.query["code_challenge_method"], "S256", "{l}");
        assert_eq!(
            p.query["redirect_uri"], "http://api.test/api/v1/auth/signin_return",
            "{l}"
        );
        assert_eq!(p.query["scope"], "openid email profile", "{l}");
        assert!(p.nonce.len() >= 16 && p.state.len() >= 16, "{l}");
        set(&fake, |f| f.id_token = sign(&claims(&iss, &p.nonce), &k1));
        let code = format!("code-{n}");
        let r = finish(&t, &p, &code).await;
        assert_eq!(location(&r.headers), UI, "{l}: {:?}", failure_message(&r));
        let cookie = set_cookie(&r.headers, "refstack").expect("session");
        // The PKCE verifier sent matches the challenge.
        let verifier = fake
            .lock()
            .ok()
            .and_then(|f| {
                f.verifiers
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default();
        assert_eq!(
            b64(&sha2::Sha256::digest(verifier.as_bytes())),
            p.challenge,
            "{l}"
        );
        let me = t
            .get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(me["openid"], format!("{iss}#u1"), "{l}");
        assert_eq!(me["email"], "u1@example.org", "{l}");
        assert_eq!(me["fullname"], "User One", "{l}");
        // Sign-out ends the session, then the provider's end_session_endpoint.
        let r = t
            .get("/v1/auth/signout")
            .cookie(&cookie)
            .send()
            .await
            .expect(302, &l);
        assert_eq!(
            location(&r.headers),
            format!(
                "{iss}/logout?client_id={CLIENT_ID}&post_logout_redirect_uri=http%3A%2F%2Fui.test"
            ),
            "{l}"
        );
        t.get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(401, &l);
    }
}

#[tokio::test]
async fn openid_claim_template_keeps_upstream_openids() {
    let fake = fake_provider().await;
    let k1 = key("alice", "k1");
    set(&fake, |f| f.keys = vec![k1.jwk.clone()]);
    let iss = issuer(&fake);
    let cfg = || {
        let mut c = oidc_config(&iss);
        c.oidc.openid_claim = "https://openstackid.org/{preferred_username}".into();
        c
    };
    let mut n = 0;
    for t in TestApp::all_with(cfg).await {
        n += 1;
        let l = t.label().to_owned();
        // alice's upstream account: her data stays hers.
        let run = t.upload(common::Who::Alice, "c", &["t.a"]).await;
        let p = start(&t).await;
        let mut c = claims(&iss, &p.nonce);
        c["preferred_username"] = json!("alice");
        c["email"] = Value::Null;
        set(&fake, |f| f.id_token = sign(&c, &k1));
        let r = finish(&t, &p, &format!("tpl-{n}")).await;
        let cookie = set_cookie(&r.headers, "refstack").expect("session");
        let me = t
            .get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(me["openid"], common::ALICE, "{l}");
        // No e-mail claim: the stored one stays.
        assert_eq!(me["email"], "alice@example.org", "{l}");
        t.get(&format!("/v1/results/{run}"))
            .cookie(&cookie)
            .send()
            .await
            .expect(200, &l);
        // A provider that does not send the claim: a clear failure.
        let p = start(&t).await;
        let mut c = claims(&iss, &p.nonce);
        c.as_object_mut().map(|o| o.remove("preferred_username"));
        set(&fake, |f| f.id_token = sign(&c, &k1));
        let r = finish(&t, &p, &format!("tpl-missing-{n}")).await;
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("The identity provider did not tell us the claim \"preferred_username\"."),
            "{l}"
        );
    }
}

#[tokio::test]
async fn hostile_id_tokens_are_refused() {
    let fake = fake_provider().await;
    let k1 = key("alice", "k1");
    let other = key("bob", "k1");
    let unknown = key("carol", "k9");
    set(&fake, |f| f.keys = vec![k1.jwk.clone()]);
    let iss = issuer(&fake);
    let mut n = 0;
    for t in TestApp::all_with(|| oidc_config(&iss)).await {
        let l = t.label().to_owned();
        let cases: Vec<(&str, MakeToken)> = vec![
            (
                "tampered payload",
                Box::new(|nonce: &str| {
                    let good = sign(&claims(&iss, nonce), &k1);
                    let mut c = claims(&iss, nonce);
                    c["sub"] = json!("admin");
                    let parts: Vec<&str> = good.split('.').collect();
                    format!(
                        "{}.{}.{}",
                        parts[0],
                        b64(c.to_string().as_bytes()),
                        parts[2]
                    )
                }),
            ),
            (
                "signed by another key with the same kid",
                Box::new(|nonce: &str| sign(&claims(&iss, nonce), &other)),
            ),
            (
                "expired",
                Box::new(|nonce: &str| {
                    let mut c = claims(&iss, nonce);
                    c["exp"] = json!(unix_now() - 3600);
                    c["iat"] = json!(unix_now() - 7200);
                    sign(&c, &k1)
                }),
            ),
            (
                "wrong aud",
                Box::new(|nonce: &str| {
                    let mut c = claims(&iss, nonce);
                    c["aud"] = json!("someone-else");
                    sign(&c, &k1)
                }),
            ),
            (
                "wrong iss",
                Box::new(|nonce: &str| sign(&claims("https://evil.example", nonce), &k1)),
            ),
            (
                "nonce mismatch",
                Box::new(|_: &str| sign(&claims(&iss, "another-nonce"), &k1)),
            ),
            (
                "no nonce",
                Box::new(|_: &str| {
                    let mut c = claims(&iss, "");
                    c.as_object_mut().map(|o| o.remove("nonce"));
                    sign(&c, &k1)
                }),
            ),
            (
                "alg none",
                Box::new(|nonce: &str| {
                    format!(
                        "{}.{}.",
                        b64(br#"{"alg":"none","typ":"JWT"}"#),
                        b64(claims(&iss, nonce).to_string().as_bytes())
                    )
                }),
            ),
            (
                "HS256 with the client secret",
                Box::new(|nonce: &str| {
                    jsonwebtoken::encode(
                        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                        &claims(&iss, nonce),
                        &jsonwebtoken::EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
                    )
                    .expect("hs256")
                }),
            ),
            (
                "unknown kid",
                Box::new(|nonce: &str| sign(&claims(&iss, nonce), &unknown)),
            ),
            ("not a JWT", Box::new(|_: &str| "garbage".into())),
        ];
        for (what, make) in &cases {
            n += 1;
            let p = start(&t).await;
            let fetches = fake.lock().map(|f| f.jwks_fetches).unwrap_or_default();
            set(&fake, |f| f.id_token = make(&p.nonce));
            let r = finish(&t, &p, &format!("bad-{n}")).await;
            let ctx = format!("{l}: {what}");
            assert!(
                set_cookie(&r.headers, "refstack").is_none(),
                "{ctx}: signed in"
            );
            let msg =
                failure_message(&r).unwrap_or_else(|| panic!("{ctx}: {}", location(&r.headers)));
            // A token response whose id_token is not even a JWT fails to parse.
            if *what == "not a JWT" {
                assert!(
                    msg.contains("did not accept") || msg.contains("could not be verified"),
                    "{ctx}: {msg}"
                );
            } else {
                assert_eq!(
                    msg, "The identity provider's answer could not be verified.",
                    "{ctx}"
                );
            }
            let after = fake.lock().map(|f| f.jwks_fetches).unwrap_or_default();
            if *what == "unknown kid" {
                assert_eq!(
                    after,
                    fetches + 1,
                    "{ctx}: the keys are fetched again exactly once"
                );
            }
            // The attempt is spent either way.
            let again = finish(&t, &p, &format!("bad-again-{n}")).await;
            assert_eq!(
                failure_message(&again).as_deref(),
                Some("Authentication failed. Please try again."),
                "{ctx}"
            );
        }
        assert!(
            db::users::find(t.dbh(), &format!("{iss}#u1"))
                .await
                .expect("db")
                .is_none()
                && db::users::find(t.dbh(), &format!("{iss}#admin"))
                    .await
                    .expect("db")
                    .is_none(),
            "{l}: no user created"
        );
    }
}

#[tokio::test]
async fn rotated_keys_are_fetched_again() {
    let fake = fake_provider().await;
    let k1 = key("alice", "k1");
    let k2 = key("bob", "k2");
    let iss = issuer(&fake);
    let mut n = 0;
    for t in TestApp::all_with(|| oidc_config(&iss)).await {
        n += 1;
        let l = t.label().to_owned();
        set(&fake, |f| f.keys = vec![k1.jwk.clone()]);
        let p = start(&t).await; // discovery: k1 only
        // The provider rotates to k2 before the callback.
        set(&fake, |f| {
            f.keys = vec![k1.jwk.clone(), k2.jwk.clone()];
            f.id_token = sign(&claims(&iss, &p.nonce), &k2);
        });
        let before = fake.lock().map(|f| f.jwks_fetches).unwrap_or_default();
        let r = finish(&t, &p, &format!("rot-{n}")).await;
        assert_eq!(location(&r.headers), UI, "{l}: {:?}", failure_message(&r));
        assert_eq!(
            fake.lock().map(|f| f.jwks_fetches).unwrap_or_default(),
            before + 1,
            "{l}"
        );
        // The refreshed keys are cached: the next sign-in with k2 fetches nothing.
        let p = start(&t).await;
        set(&fake, |f| f.id_token = sign(&claims(&iss, &p.nonce), &k2));
        let r = finish(&t, &p, &format!("rot2-{n}")).await;
        assert_eq!(location(&r.headers), UI, "{l}");
        assert_eq!(
            fake.lock().map(|f| f.jwks_fetches).unwrap_or_default(),
            before + 1,
            "{l}"
        );
    }
}

#[tokio::test]
async fn state_and_code_checks() {
    let fake = fake_provider().await;
    let k1 = key("alice", "k1");
    set(&fake, |f| f.keys = vec![k1.jwk.clone()]);
    let iss = issuer(&fake);
    let mut n = 0;
    for t in TestApp::all_with(|| oidc_config(&iss)).await {
        n += 1;
        let l = t.label().to_owned();
        let failed = Some("Authentication failed. Please try again.");
        let p = start(&t).await;
        let first_token = sign(&claims(&iss, &p.nonce), &k1);
        set(&fake, |f| f.id_token = first_token.clone());
        // Without this browser's state cookie (login CSRF), with another one, with none.
        let r = t
            .get(&format!("/v1/auth/signin_return?code=c&state={}", p.state))
            .send()
            .await;
        assert_eq!(failure_message(&r).as_deref(), failed, "{l}: no cookie");
        let r = t
            .get(&format!("/v1/auth/signin_return?code=c&state={}", p.state))
            .header("cookie", "refstack_signin=someone-elses")
            .send()
            .await;
        assert_eq!(
            failure_message(&r).as_deref(),
            failed,
            "{l}: foreign cookie"
        );
        let r = t
            .get("/v1/auth/signin_return?code=c&state=forged")
            .header("cookie", "refstack_signin=forged")
            .send()
            .await;
        assert_eq!(failure_message(&r).as_deref(), failed, "{l}: unknown state");
        let r = t.get("/v1/auth/signin_return").send().await;
        assert_eq!(failure_message(&r).as_deref(), failed, "{l}: no parameters");
        // The real callback still works after those attempts.
        let code = format!("once-{n}");
        let r = finish(&t, &p, &code).await;
        assert_eq!(location(&r.headers), UI, "{l}: {:?}", failure_message(&r));
        // Replaying the callback: the state is spent.
        let r = finish(&t, &p, &code).await;
        assert_eq!(failure_message(&r).as_deref(), failed, "{l}: replay");
        // The same code with a fresh state: the provider refuses it.
        let p2 = start(&t).await;
        set(&fake, |f| f.id_token = sign(&claims(&iss, &p2.nonce), &k1));
        let r = finish(&t, &p2, &code).await;
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("The identity provider did not accept the sign-in. Please try again."),
            "{l}: code used twice"
        );
        assert!(set_cookie(&r.headers, "refstack").is_none(), "{l}");
        // A replayed id_token (the one of the completed sign-in, for a new attempt):
        // its nonce is the old attempt's.
        let p4 = start(&t).await;
        set(&fake, |f| f.id_token = first_token.clone());
        let r = finish(&t, &p4, &format!("replayed-token-{n}")).await;
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("The identity provider's answer could not be verified."),
            "{l}: replayed id_token"
        );
        assert!(set_cookie(&r.headers, "refstack").is_none(), "{l}");
        // The provider's own refusals.
        let p3 = start(&t).await;
        let r = t
            .get(&format!(
                "/v1/auth/signin_return?error=access_denied&state={}",
                p3.state
            ))
            .send()
            .await;
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("Authentication canceled."),
            "{l}"
        );
        let r = t
            .get("/v1/auth/signin_return?error=server_error&error_description=down+for+maintenance")
            .send()
            .await;
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("The identity provider refused the sign-in: down for maintenance"),
            "{l}"
        );
    }
}

/// Scale-out: the sign-in starts on one server process and the provider sends the
/// browser back to another (no sticky sessions); the session works on both.
#[tokio::test]
async fn callback_on_another_server_process() {
    let fake = fake_provider().await;
    let k1 = key("alice", "k1");
    set(&fake, |f| f.keys = vec![k1.jwk.clone()]);
    let iss = issuer(&fake);
    let mut n = 0;
    for mut a in TestApp::all_with(|| oidc_config(&iss)).await {
        n += 1;
        let l = a.label().to_owned();
        let p = start(&a).await;
        set(&fake, |f| f.id_token = sign(&claims(&iss, &p.nonce), &k1));
        // The second process: another app (its own caches) on the same database.
        let second = refstack_server::app(AppState::new(oidc_config(&iss), a.dbh().clone()));
        let first = std::mem::replace(&mut a.app, second);
        let r = finish(&a, &p, &format!("other-{n}")).await;
        assert_eq!(location(&r.headers), UI, "{l}: {:?}", failure_message(&r));
        let cookie = set_cookie(&r.headers, "refstack").expect("session");
        a.get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(200, &l);
        a.app = first;
        a.get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(200, &l);
        // Replayed on the first process: the state was consumed on the second.
        let r = finish(&a, &p, &format!("other-{n}")).await;
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("Authentication failed. Please try again."),
            "{l}"
        );
        // Signed out on a third process that never talked to the provider: it still
        // sends the browser to the provider's end_session_endpoint.
        a.app = refstack_server::app(AppState::new(oidc_config(&iss), a.dbh().clone()));
        let r = a
            .get("/v1/auth/signout")
            .cookie(&cookie)
            .send()
            .await
            .expect(302, &l);
        assert!(
            location(&r.headers).starts_with(&format!("{iss}/logout?client_id=")),
            "{l}: {}",
            location(&r.headers)
        );
        a.get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(401, &l);
    }
}

#[tokio::test]
async fn provider_unreachable() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let iss = format!("http://127.0.0.1:{port}");
    for t in TestApp::all_with(|| oidc_config(&iss)).await {
        let l = t.label().to_owned();
        let r = t.get("/api/v1/auth/signin").send().await.expect(302, &l);
        assert_eq!(
            failure_message(&r).as_deref(),
            Some("The identity provider is unreachable. Please try again later."),
            "{l}"
        );
        // The API keeps serving, signed-in callers included.
        t.get("/v1/results").send().await.expect(200, &l);
        t.get("/v1/guidelines").send().await.expect(200, &l);
        t.get("/v1/profile")
            .as_(common::Who::Bob)
            .send()
            .await
            .expect(200, &l);
        // Sign-out does not wait for the provider.
        let b = t.browsers[common::BOB].clone();
        let r = t
            .get("/v1/auth/signout")
            .cookie(&b.cookie)
            .send()
            .await
            .expect(302, &l);
        assert_eq!(location(&r.headers), UI, "{l}");
    }
}

// ------------------------------------------------------------------ real provider

/// Cookies per port (our server and the provider), as a browser would keep them.
#[derive(Default)]
struct Jar(HashMap<u16, BTreeMap<String, String>>);

impl Jar {
    fn header(&self, url: &url::Url) -> String {
        let port = url.port_or_known_default().unwrap_or(80);
        self.0
            .get(&port)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    fn store(&mut self, url: &url::Url, h: &reqwest::header::HeaderMap) {
        let port = url.port_or_known_default().unwrap_or(80);
        let m = self.0.entry(port).or_default();
        for v in h.get_all(reqwest::header::SET_COOKIE) {
            let Some((k, rest)) = v.to_str().ok().and_then(|v| v.split_once('=')) else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            let lower = rest.to_ascii_lowercase();
            if value.is_empty()
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970")
            {
                m.remove(k);
            } else {
                m.insert(k.to_owned(), value.to_owned());
            }
        }
    }
}

/// Follows redirects and fills in the provider's development login and consent forms
/// until a URL starting with `stop` is reached; returns that URL and every URL visited.
async fn browse(
    client: &reqwest::Client,
    jar: &mut Jar,
    start: &str,
    login: &str,
    stop: &str,
) -> (String, Vec<String>) {
    let mut url = url::Url::parse(start).expect("url");
    let mut visited = Vec::new();
    let mut form: Option<Vec<(String, String)>> = None;
    for _ in 0..30 {
        visited.push(url.to_string());
        let req = match form.take() {
            Some(fields) => client
                .post(url.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(fields)
                        .finish(),
                ),
            None => client.get(url.clone()),
        };
        let resp = req
            .header("cookie", jar.header(&url))
            .send()
            .await
            .expect("request");
        jar.store(&url, resp.headers());
        let status = resp.status();
        if status.is_redirection() {
            let loc = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            url = url.join(&loc).expect("location");
            if url.as_str().starts_with(stop) {
                return (url.to_string(), visited);
            }
            continue;
        }
        let html = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "{status} at {url}: {html}");
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no form at {url}: {html}"))
            .to_owned();
        let prompt = html
            .split("name=\"prompt\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let mut fields = vec![("prompt".to_owned(), prompt.clone())];
        if prompt == "login" {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any password".into()));
        }
        // The logout confirmation form has its own fields.
        if html.contains("name=\"xsrf\"") {
            let xsrf = html
                .split("name=\"xsrf\" value=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default();
            fields = vec![
                ("xsrf".into(), xsrf.into()),
                ("logout".into(), "yes".into()),
            ];
        }
        form = Some(fields);
        url = url.join(&action).expect("action");
    }
    panic!("too many hops: {visited:#?}");
}

#[tokio::test]
async fn real_provider_sign_in_and_out() {
    // One server per backend on a real socket, all registered at the provider.
    let dbs = db::testing::databases().await;
    let mut listeners = Vec::new();
    for _ in &dbs {
        listeners.push(
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind"),
        );
    }
    let bases: Vec<String> = listeners
        .iter()
        .map(|l| {
            format!(
                "http://127.0.0.1:{}",
                l.local_addr().map(|a| a.port()).unwrap_or(0)
            )
        })
        .collect();
    let redirects: Vec<String> = bases
        .iter()
        .map(|b| format!("{b}/api/v1/auth/signin_return"))
        .collect();
    let Some(provider) =
        common::oidc::node_provider(CLIENT_ID, CLIENT_SECRET, &redirects, &bases).await
    else {
        return;
    };
    refstack_server::ensure_crypto_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for ((tdb, listener), base) in dbs.into_iter().zip(listeners).zip(&bases) {
        let l = tdb.label().to_owned();
        let mut cfg = oidc_config(&provider.issuer);
        cfg.ui_url = base.clone();
        cfg.api_url = format!("{base}/api");
        cfg.oidc.openid_claim = "https://openstackid.org/{preferred_username}".into();
        let app = refstack_server::app(AppState::new(cfg, tdb.db().clone()));
        tokio::spawn(refstack_server::serve(
            listener,
            app,
            std::future::pending(),
        ));
        let mut jar = Jar::default();

        // Sign in as jane through the provider's own forms.
        let (landed, visited) = browse(
            &client,
            &mut jar,
            &format!("{base}/api/v1/auth/signin?next=/%23/profile"),
            "jane",
            base,
        )
        .await;
        assert_eq!(
            landed,
            format!(
                "{base}/api/v1/auth/signin_return?{}",
                landed.split_once('?').map(|x| x.1).unwrap_or_default()
            ),
            "{l}"
        );
        let callback = landed.clone();
        assert!(
            visited.iter().any(|u| u.contains("/interaction/")),
            "{l}: {visited:#?}"
        );
        let (done, _) = browse(&client, &mut jar, &callback, "jane", base).await;
        assert_eq!(done, format!("{base}/#/profile"), "{l}");
        let server = url::Url::parse(base).expect("url");
        let cookies = jar.header(&server);
        assert!(cookies.contains("refstack="), "{l}: {cookies}");
        let me: Value = client
            .get(format!("{base}/api/v1/profile"))
            .header("cookie", &cookies)
            .send()
            .await
            .expect("profile")
            .json()
            .await
            .expect("json");
        assert_eq!(me["openid"], "https://openstackid.org/jane", "{l}: {me}");
        assert_eq!(me["email"], "jane@example.org", "{l}");
        assert_eq!(me["fullname"], "User jane", "{l}");

        // The same callback again: refused, no new session.
        let mut replay_jar = Jar::default();
        let (again, _) = browse(&client, &mut replay_jar, &callback, "jane", base).await;
        assert!(
            again.starts_with(&format!("{base}/#/auth_failure?message=")),
            "{l}: {again}"
        );
        assert!(!replay_jar.header(&server).contains("refstack="), "{l}");

        // Sign out: the session ends here, then the provider's end_session_endpoint.
        let r = client
            .get(format!("{base}/api/v1/auth/signout"))
            .header("cookie", &cookies)
            .send()
            .await
            .expect("signout");
        assert_eq!(r.status(), 302, "{l}");
        let to = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            to.starts_with(&format!("{}/session/end?", provider.issuer)),
            "{l}: {to}"
        );
        jar.store(&server, r.headers());
        let (back, _) = browse(&client, &mut jar, &to, "jane", base).await;
        assert!(back.starts_with(base.as_str()), "{l}: {back}");
        let status = client
            .get(format!("{base}/api/v1/profile"))
            .header("cookie", &cookies)
            .send()
            .await
            .expect("profile")
            .status();
        assert_eq!(status, 401, "{l}");
    }
    drop(provider);
}
