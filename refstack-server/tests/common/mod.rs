//! Shared harness of the API tests: an `app()` per backend with four users
//! (owner alice, plain user bob, vendor admin carol, foundation admin dave),
//! their RSA keys, JWTs, signed uploads, and a oneshot request helper.

#![allow(dead_code, unreachable_pub)]

pub mod oidc;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use refstack_core::signature::PrivateKey;
use refstack_server::db::testing::TestDb;
use refstack_server::db::{self, Db};
use refstack_server::{AppState, Config};
use serde_json::Value;
use tower::ServiceExt;

/// Openids of the fixture users.
pub const ALICE: &str = "https://openstackid.org/alice";
pub const BOB: &str = "https://openstackid.org/bob";
pub const CAROL: &str = "https://openstackid.org/carol";
pub const DAVE: &str = "https://openstackid.org/dave";

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anon,
    Alice,
    Bob,
    Carol,
    Dave,
}

impl Who {
    pub fn openid(self) -> Option<&'static str> {
        match self {
            Who::Anon => None,
            Who::Alice => Some(ALICE),
            Who::Bob => Some(BOB),
            Who::Carol => Some(CAROL),
            Who::Dave => Some(DAVE),
        }
    }

    fn key_name(self) -> &'static str {
        match self {
            Who::Anon | Who::Alice => "alice",
            Who::Bob => "bob",
            Who::Carol => "carol",
            Who::Dave => "dave",
        }
    }
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn private_key(who: Who) -> PrivateKey {
    let pem =
        std::fs::read_to_string(fixture(&format!("{}.pem", who.key_name()))).expect("fixture key");
    PrivateKey::from_pem(&pem).expect("fixture key parses")
}

pub fn public_line(who: Who) -> String {
    std::fs::read_to_string(fixture(&format!("{}.pub", who.key_name())))
        .expect("fixture pub")
        .trim()
        .to_owned()
}

/// An RS256 JWT for `openid` signed with `who`'s key, valid for `ttl` seconds
/// (negative: already expired).
pub fn jwt_for(who: Who, openid: &str, ttl: i64) -> String {
    let pem = std::fs::read(fixture(&format!("{}.pem", who.key_name()))).expect("pem");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("rsa pem");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let claims = serde_json::json!({"user_openid": openid, "exp": now + ttl});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("encode jwt")
}

pub fn jwt(who: Who) -> Option<String> {
    who.openid().map(|o| jwt_for(who, o, 3600))
}

/// How a request authenticates (the permission matrix runs under each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <RS256 JWT>` signed with the user's key.
    Jwt,
    /// `Authorization: Bearer rst_...` (a personal API token).
    Token,
    /// The session cookie, with the CSRF header on every request.
    Cookie,
}

/// A browser session of a fixture user: the cookie value and its CSRF token.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

/// 256 random bits, base64url (the shape of the server's session ids and tokens).
fn random_b64() -> String {
    use base64::Engine as _;
    let bytes: Vec<u8> = uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .copied()
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Creates a session for `openid` directly in the database (as a sign-in would).
pub async fn session_for(db: &Db, openid: &str, ttl_secs: i64) -> Browser {
    use sha2::Digest as _;
    let cookie = random_b64();
    let csrf = random_b64();
    let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(ttl_secs);
    db::sessions::create(
        db,
        &db::sessions::NewSession {
            id_hash: hex::encode(sha2::Sha256::digest(cookie.as_bytes())),
            openid: openid.into(),
            csrf_token: csrf.clone(),
            expires_at: time::PrimitiveDateTime::new(now.date(), now.time()),
        },
    )
    .await
    .expect("session");
    Browser { cookie, csrf }
}

/// A fresh app over one test database, with fixtures.
pub struct TestApp {
    /// A session per fixture user.
    pub browsers: std::collections::HashMap<&'static str, Browser>,
    /// A personal API token per fixture user.
    pub tokens: std::collections::HashMap<&'static str, String>,
    /// How [`Req::as_`] authenticates.
    pub auth: Auth,
    pub app: Router,
    pub db: TestDb,
    /// The official vendor administered by carol.
    pub vendor_id: String,
    /// A public product of that vendor with version `1.0` (cpid `cpid-carol`).
    pub product_id: String,
    pub version_id: String,
    /// The implicit (null) version of the product.
    pub null_version_id: String,
}

/// One test of a generated subunit stream: (test id, status, attachment).
pub type StreamTest<'a> = (
    &'a str,
    refstack_subunit::PacketStatus,
    Option<(&'a str, &'a str)>,
);

/// A subunit v2 stream made with our encoder: per test an `inprogress`
/// packet, the attachment (`traceback`, `reason`, ...) if any, and the final
/// status one second later.
pub fn v2_stream(tests: &[StreamTest<'_>]) -> Vec<u8> {
    use refstack_subunit::{Packet, PacketStatus, Timestamp};
    let mut out = Vec::new();
    for (i, (id, status, file)) in tests.iter().enumerate() {
        let t0 = 1_700_000_000 + 2 * i as u32;
        let start = Packet::new(PacketStatus::InProgress)
            .with_test_id(id)
            .with_timestamp(Timestamp::new(t0, 0));
        start.encode(&mut out).expect("encode");
        let mut end = Packet::new(*status)
            .with_test_id(id)
            .with_timestamp(Timestamp::new(t0 + 1, 250_000_000));
        if let Some((name, text)) = file {
            end = end
                .with_file(name, text.as_bytes())
                .with_mime_type("text/plain;charset=utf8");
        }
        end.encode(&mut out).expect("encode");
    }
    out
}

pub fn base_config() -> Config {
    let mut cfg = Config::default();
    cfg.streams.blob_store = blob_dir().to_string_lossy().into_owned();
    cfg.guidelines.dir = Some(fixture("guidelines"));
    // The fixture files only (tests of the built-in files turn them on).
    cfg.guidelines.builtin = false;
    cfg.allowed_cors_origins = vec!["https://ui.example.org".into()];
    cfg
}

/// This test process's blob store directory (under the system temp dir).
pub fn blob_dir() -> PathBuf {
    std::env::temp_dir().join(format!("refstack-test-blobs-{}", std::process::id()))
}

impl TestApp {
    pub fn label(&self) -> &str {
        self.db.label()
    }

    pub fn dbh(&self) -> &Db {
        &self.db
    }

    /// Builds the app with `cfg` over `db` and creates the fixture users,
    /// keys, vendor and product.
    pub async fn new(db: TestDb, cfg: Config) -> TestApp {
        for (who, name) in [
            (Who::Alice, "Alice"),
            (Who::Bob, "Bob"),
            (Who::Carol, "Carol"),
            (Who::Dave, "Dave"),
        ] {
            let openid = who.openid().unwrap_or_default().to_owned();
            db::users::upsert(
                &db,
                &db::users::NewUser {
                    openid: openid.clone(),
                    email: Some(format!("{}@example.org", name.to_lowercase())),
                    fullname: Some(name.into()),
                },
            )
            .await
            .expect("user");
            let line = public_line(who);
            let mut parts = line.split_whitespace();
            let format = parts.next().unwrap_or_default().to_owned();
            let pubkey = parts.next().unwrap_or_default().to_owned();
            db::pubkeys::add(
                &db,
                &db::pubkeys::NewPubkey {
                    openid,
                    format,
                    pubkey,
                    comment: None,
                },
            )
            .await
            .expect("pubkey");
        }
        db::users::set_foundation_admin(&db, DAVE, true)
            .await
            .expect("foundation");
        let vendor = db::vendors::create(
            &db,
            &db::vendors::NewOrganization {
                name: "Carol Cloud Inc".into(),
                description: Some("a vendor".into()),
                created_by: CAROL.into(),
                kind: db::vendors::OrgType::PrivateVendor,
                properties: None,
            },
        )
        .await
        .expect("vendor");
        db::vendors::register(&db, &vendor.id)
            .await
            .expect("register");
        db::vendors::approve(&db, &vendor.id)
            .await
            .expect("approve");
        let (product, null_version) = db::products::create(
            &db,
            &db::products::NewProduct {
                name: "Carol Cloud".into(),
                description: None,
                organization_id: vendor.id.clone(),
                created_by: CAROL.into(),
                product_type: 1,
                version: None,
                properties: None,
            },
        )
        .await
        .expect("product");
        db::products::update(
            &db,
            &product.id,
            &db::products::ProductUpdate {
                public: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("public");
        let version = db::versions::create(
            &db,
            &db::versions::NewVersion {
                product_id: product.id.clone(),
                version: Some("1.0".into()),
                cpid: Some("cpid-carol".into()),
                created_by: CAROL.into(),
            },
        )
        .await
        .expect("version");
        let mut browsers = std::collections::HashMap::new();
        let mut tokens = std::collections::HashMap::new();
        for openid in [ALICE, BOB, CAROL, DAVE] {
            browsers.insert(openid, session_for(&db, openid, 3600).await);
            tokens.insert(openid, token_for(&db, openid, "fixture", None).await);
        }
        let state = AppState::new(cfg, db.db().clone());
        TestApp {
            browsers,
            tokens,
            auth: Auth::Jwt,
            app: refstack_server::app(state),
            db,
            vendor_id: vendor.id,
            product_id: product.id,
            version_id: version.id,
            null_version_id: null_version.id,
        }
    }

    /// One app per available backend (SQLite always).
    pub async fn all_with(cfg: impl Fn() -> Config) -> Vec<TestApp> {
        let mut out = Vec::new();
        for db in db::testing::databases().await {
            out.push(TestApp::new(db, cfg()).await);
        }
        out
    }

    pub async fn all() -> Vec<TestApp> {
        Self::all_with(base_config).await
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            builder: Request::builder().method(method).uri(path),
            body: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Req<'_> {
        self.req(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req(Method::DELETE, path)
    }

    /// Uploads `names` as `who` (signed with their key unless `Anon`).
    pub async fn upload(&self, who: Who, cpid: &str, names: &[&str]) -> String {
        let body = upload_body(cpid, names);
        let mut r = self.post("/v1/results").raw(body.clone());
        if who != Who::Anon {
            r = r.signed(who, &body);
        }
        let resp = r.send().await;
        assert_eq!(
            resp.status,
            StatusCode::CREATED,
            "{}: {}",
            self.label(),
            resp.text()
        );
        resp.json()["test_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Creates a personal API token for `openid` directly in the database.
pub async fn token_for(
    db: &Db,
    openid: &str,
    name: &str,
    expires_at: Option<time::PrimitiveDateTime>,
) -> String {
    use sha2::Digest as _;
    let token = format!("rst_{}", random_b64());
    db::tokens::create(
        db,
        &db::tokens::NewApiToken {
            token_hash: hex::encode(sha2::Sha256::digest(token.as_bytes())),
            openid: openid.into(),
            name: name.into(),
            expires_at,
        },
    )
    .await
    .expect("token");
    token
}

pub fn upload_body(cpid: &str, names: &[&str]) -> Vec<u8> {
    let results: Vec<Value> = names
        .iter()
        .map(|n| serde_json::json!({"name": n}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "cpid": cpid, "duration_seconds": 10, "results": results
    }))
    .unwrap_or_default()
}

pub struct Req<'a> {
    app: &'a TestApp,
    builder: axum::http::request::Builder,
    body: Vec<u8>,
}

impl Req<'_> {
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.builder = self.builder.header(k, v);
        self
    }

    /// Authenticates as `who` the way the app's [`Auth`] mode says.
    pub fn as_(self, who: Who) -> Self {
        let Some(openid) = who.openid() else {
            return self;
        };
        match self.app.auth {
            Auth::Jwt => match jwt(who) {
                Some(t) => self.header("authorization", &format!("Bearer {t}")),
                None => self,
            },
            Auth::Token => {
                let t = self.app.tokens.get(openid).cloned().unwrap_or_default();
                self.header("authorization", &format!("Bearer {t}"))
            }
            Auth::Cookie => {
                let b = self.app.browsers.get(openid).cloned().expect("browser");
                self.cookie(&b.cookie).header("x-csrf-token", &b.csrf)
            }
        }
    }

    /// Sends the session cookie `value` (no CSRF header).
    pub fn cookie(self, value: &str) -> Self {
        self.header("cookie", &format!("refstack={value}"))
    }

    pub fn json(mut self, v: Value) -> Self {
        self.body = serde_json::to_vec(&v).unwrap_or_default();
        self.header("content-type", "application/json")
    }

    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn signed(self, who: Who, body: &[u8]) -> Self {
        let sig = private_key(who).sign_hex(body).expect("sign");
        self.header("x-signature", &sig)
            .header("x-public-key", &public_line(who))
    }

    pub async fn send(self) -> Resp {
        let req = self.builder.body(Body::from(self.body)).expect("request");
        let resp = self.app.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        Resp {
            status,
            headers,
            body,
        }
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts the status and returns self.
    #[track_caller]
    pub fn expect(self, status: u16, ctx: &str) -> Self {
        assert_eq!(self.status.as_u16(), status, "{ctx}: body {}", self.text());
        self
    }

    /// Asserts the shape-1 error `{"code", "title", "detail"}`.
    #[track_caller]
    pub fn http_error(self, status: u16, detail: Option<&str>, ctx: &str) -> Self {
        let r = self.expect(status, ctx);
        let j = r.json();
        assert_eq!(j["code"], status, "{ctx}");
        assert_eq!(
            j["detail"],
            detail.map_or(Value::Null, |d| Value::String(d.into())),
            "{ctx}: {j}"
        );
        assert_eq!(j.as_object().map(|o| o.len()), Some(3), "{ctx}: {j}");
        r
    }

    /// Asserts the shape-2 error `{"title", "code"}`.
    #[track_caller]
    pub fn exc_error(self, status: u16, title: &str, ctx: &str) -> Self {
        let r = self.expect(status, ctx);
        let j = r.json();
        assert_eq!(j["code"], status, "{ctx}");
        assert_eq!(j["title"], title, "{ctx}: {j}");
        assert_eq!(j.as_object().map(|o| o.len()), Some(2), "{ctx}: {j}");
        r
    }
}
