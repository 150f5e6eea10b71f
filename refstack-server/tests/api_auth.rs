//! Sign-in without a provider (`--dev-login`), browser sessions, CSRF, personal API
//! tokens and two server processes sharing sessions, on every backend. The OpenID Connect
//! flows are in `auth_oidc.rs`.

mod common;

use axum::http::{HeaderMap, header};
use common::{ALICE, BOB, TestApp, Who, base_config};
use refstack_server::db::{self, Db};
use refstack_server::{AppState, Config};
use serde_json::json;

fn dev_config() -> Config {
    let mut cfg = base_config();
    cfg.dev_login = true;
    cfg.ui_url = "http://127.0.0.1:8000".into();
    cfg.api_url = "http://127.0.0.1:8000/api".into();
    cfg
}

/// The `Set-Cookie` values of a response, by cookie name.
fn set_cookies(h: &HeaderMap) -> Vec<(String, String)> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            v.split_once('=')
                .map(|(k, rest)| (k.to_owned(), rest.to_owned()))
        })
        .collect()
}

fn cookie_value(h: &HeaderMap, name: &str) -> Option<String> {
    set_cookies(h)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, rest)| rest.split(';').next().unwrap_or_default().to_owned())
}

fn location(h: &HeaderMap) -> String {
    h.get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Signs in through the dev form; returns (cookie, csrf, Location).
async fn dev_sign_in(t: &TestApp, form: &str) -> (String, String, String) {
    let r = t
        .post("/api/v1/auth/dev_login")
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(form.to_owned())
        .send()
        .await
        .expect(302, "dev login");
    let cookie = cookie_value(&r.headers, "refstack").expect("session cookie");
    let csrf = cookie_value(&r.headers, "refstack_csrf").expect("csrf cookie");
    (cookie, csrf, location(&r.headers))
}

#[tokio::test]
async fn dev_login_form_signs_in_and_out() {
    for t in TestApp::all_with(dev_config).await {
        let l = t.label().to_owned();
        // The form, under both mounts.
        for path in ["/v1/auth/signin", "/api/v1/auth/signin?next=/%23/profile"] {
            let r = t.get(path).send().await.expect(200, &l);
            assert!(
                r.headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap_or_default()
                    .starts_with("text/html"),
                "{l}"
            );
            let html = r.text();
            assert!(html.contains(r#"action="dev_login""#), "{l}: {html}");
            assert!(html.contains("name=\"openid\""), "{l}");
            let csp = r.headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap_or_default();
            assert!(csp.contains("frame-ancestors 'none'"), "{l}");
        }
        let r = t.get("/v1/auth/signin?next=/%23/profile").send().await;
        assert!(
            r.text().contains(r##"name="next" value="/#/profile""##),
            "{l}"
        );

        let (cookie, csrf, to) = dev_sign_in(
            &t,
            "openid=https%3A%2F%2Fopenstackid.org%2Ferin&fullname=Erin+E&email=erin%40example.org",
        )
        .await;
        assert_eq!(to, "http://127.0.0.1:8000", "{l}");
        assert_eq!(cookie.len(), 43, "{l}");
        assert_ne!(cookie, csrf, "{l}");
        let user = db::users::get(t.dbh(), "https://openstackid.org/erin")
            .await
            .expect("created");
        assert_eq!(user.fullname.as_deref(), Some("Erin E"), "{l}");
        assert_eq!(user.email.as_deref(), Some("erin@example.org"), "{l}");
        // Only a digest is stored.
        let stored = db::sessions::find(t.dbh(), &cookie).await.expect("db");
        assert!(stored.is_none(), "{l}: the raw id must not be a key");

        let p = t
            .get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(p.json()["openid"], "https://openstackid.org/erin", "{l}");
        assert_eq!(p.json()["fullname"], "Erin E", "{l}");
        // Signed in: /signin goes straight back to the UI.
        let r = t
            .get("/v1/auth/signin")
            .cookie(&cookie)
            .send()
            .await
            .expect(302, &l);
        assert_eq!(location(&r.headers), "http://127.0.0.1:8000", "{l}");

        // Sign-out deletes the session and both cookies.
        let r = t
            .get("/api/v1/auth/signout")
            .cookie(&cookie)
            .send()
            .await
            .expect(302, &l);
        assert_eq!(location(&r.headers), "http://127.0.0.1:8000", "{l}");
        let gone = set_cookies(&r.headers);
        assert_eq!(gone.len(), 2, "{l}: {gone:?}");
        assert!(
            gone.iter().all(|(_, v)| v.contains("Max-Age=0")),
            "{l}: {gone:?}"
        );
        t.get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .http_error(401, None, &l);
        // A second sign-in makes a new id.
        let (again, _, _) = dev_sign_in(&t, "openid=https%3A%2F%2Fopenstackid.org%2Ferin").await;
        assert_ne!(again, cookie, "{l}");
        // Without name and e-mail the stored ones stay.
        let user = db::users::get(t.dbh(), "https://openstackid.org/erin")
            .await
            .expect("user");
        assert_eq!(user.fullname.as_deref(), Some("Erin E"), "{l}");
    }
}

#[tokio::test]
async fn session_cookie_attributes() {
    for t in TestApp::all_with(dev_config).await {
        let l = t.label().to_owned();
        let r = t
            .post("/v1/auth/dev_login")
            .raw("openid=https%3A%2F%2Fopenstackid.org%2Falice")
            .send()
            .await
            .expect(302, &l);
        let all = set_cookies(&r.headers);
        let session = &all
            .iter()
            .find(|(k, _)| k == "refstack")
            .expect("refstack")
            .1;
        for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=604800"] {
            assert!(session.contains(attr), "{l}: {session}");
        }
        // http:// public URL: not Secure.
        assert!(!session.contains("Secure"), "{l}: {session}");
        let csrf = &all
            .iter()
            .find(|(k, _)| k == "refstack_csrf")
            .expect("csrf")
            .1;
        assert!(!csrf.contains("HttpOnly"), "{l}: the UI reads it: {csrf}");
        assert!(csrf.contains("SameSite=Lax"), "{l}");
    }
    // https public URL (and no dev login): Secure; the TTL is configurable.
    let mut cfg = base_config();
    cfg.api_url = "https://refstack.example.org/api".into();
    cfg.session_ttl_secs = 3600;
    assert!(cfg.cookie_secure());
    cfg.dev_login = true;
    assert!(!cfg.cookie_secure());
}

#[tokio::test]
async fn next_is_only_a_path_on_this_server() {
    for t in TestApp::all_with(dev_config).await {
        let l = t.label().to_owned();
        for (next, want) in [
            ("%2F%23%2Fprofile", "http://127.0.0.1:8000/#/profile"),
            ("https%3A%2F%2Fevil.example%2F", "http://127.0.0.1:8000"),
            ("%2F%2Fevil.example%2F", "http://127.0.0.1:8000"),
            ("%2F%5Cevil.example", "http://127.0.0.1:8000"),
        ] {
            let (_, _, to) = dev_sign_in(
                &t,
                &format!("openid=https%3A%2F%2Fopenstackid.org%2Fbob&next={next}"),
            )
            .await;
            assert_eq!(to, want, "{l}: next={next}");
        }
        // The form does not carry a foreign next either.
        let r = t
            .get("/v1/auth/signin?next=https://evil.example/")
            .send()
            .await
            .expect(200, &l);
        assert!(r.text().contains(r#"name="next" value="""#), "{l}");
        assert!(!r.text().contains("evil.example"), "{l}");
    }
}

#[tokio::test]
async fn without_dev_login_or_provider_sign_in_is_unavailable() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let r = t.get("/v1/auth/signin").send().await.expect(302, &l);
        assert_eq!(
            location(&r.headers),
            "http://127.0.0.1:8000/#/auth_failure?message=Sign-in+is+not+configured+on+this+server.",
            "{l}"
        );
        t.post("/v1/auth/dev_login")
            .raw("openid=https%3A%2F%2Fopenstackid.org%2Fmallory")
            .send()
            .await
            .http_error(404, None, &l);
        assert!(
            db::users::find(t.dbh(), "https://openstackid.org/mallory")
                .await
                .expect("db")
                .is_none(),
            "{l}"
        );
        let r = t
            .get("/v1/auth/signin_return?code=x&state=y")
            .send()
            .await
            .expect(302, &l);
        assert!(
            location(&r.headers).contains("/#/auth_failure?message="),
            "{l}"
        );
        assert!(cookie_value(&r.headers, "refstack").is_none(), "{l}");
    }
}

#[tokio::test]
async fn forged_and_expired_cookies_are_anonymous() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let valid = t.browsers[ALICE].clone();
        // Forged ids of the right and of a wrong shape; an expired session.
        let expired = common::session_for(t.dbh(), ALICE, -10).await;
        let mut flipped = valid.cookie.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        for cookie in [flipped.as_str(), "forged", expired.cookie.as_str(), ""] {
            t.get("/v1/profile")
                .cookie(cookie)
                .send()
                .await
                .http_error(401, None, &l);
            // Public pages still answer.
            t.get("/v1/results")
                .cookie(cookie)
                .send()
                .await
                .expect(200, &l);
            // A write with a forged cookie is anonymous, not a CSRF error.
            t.post("/v1/profile/tokens")
                .cookie(cookie)
                .json(json!({"name": "x"}))
                .send()
                .await
                .http_error(401, None, &l);
        }
        // The valid one works, also among other cookies.
        let r = t
            .get("/v1/profile")
            .header("cookie", &format!("a=b; refstack={}; c=d", valid.cookie))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["openid"], ALICE, "{l}");
        // A bearer token wins over a cookie, and needs no CSRF token.
        let r = t
            .post("/v1/profile/tokens")
            .cookie(&valid.cookie)
            .header("authorization", &format!("Bearer {}", t.tokens[BOB]))
            .json(json!({"name": "via bearer"}))
            .send()
            .await
            .expect(201, &l);
        let tokens = db::tokens::list_for_user(t.dbh(), BOB)
            .await
            .expect("tokens");
        assert!(
            tokens.iter().any(|k| k.name == "via bearer"),
            "{l}: {}",
            r.text()
        );
        // A user deleted while signed in: the session goes with it.
        db::users::upsert(
            t.dbh(),
            &db::users::NewUser {
                openid: "https://openstackid.org/gone".into(),
                ..Default::default()
            },
        )
        .await
        .expect("user");
        let b = common::session_for(t.dbh(), "https://openstackid.org/gone", 3600).await;
        t.get("/v1/profile")
            .cookie(&b.cookie)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(
            db::sessions::delete_for_user(t.dbh(), "https://openstackid.org/gone")
                .await
                .expect("delete"),
            1,
            "{l}"
        );
        t.get("/v1/profile")
            .cookie(&b.cookie)
            .send()
            .await
            .http_error(401, None, &l);
    }
}

#[tokio::test]
async fn api_tokens_lifecycle() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let r = t
            .post("/v1/profile/tokens")
            .as_(Who::Alice)
            .json(json!({"name": "laptop", "expires_at": "2999-01-01 00:00:00"}))
            .send()
            .await
            .expect(201, &l);
        let created = r.json();
        let token = created["token"].as_str().unwrap_or_default().to_owned();
        assert!(
            token.starts_with("rst_") && token.len() == 47,
            "{l}: {token}"
        );
        assert_eq!(created["name"], "laptop", "{l}");
        assert_eq!(created["expires_at"], "2999-01-01 00:00:00", "{l}");
        assert_eq!(created["expired"], false, "{l}");
        let id = created["id"].as_str().unwrap_or_default().to_owned();

        // Listed without the secret, newest first.
        let list = t
            .get("/v1/profile/tokens")
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        let items = list.as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 2, "{l}: {list}");
        assert_eq!(items[0]["id"], id.as_str(), "{l}");
        assert!(
            items.iter().all(|i| i.get("token").is_none()),
            "{l}: {list}"
        );
        assert!(!list.to_string().contains(&token), "{l}");

        // Works as a bearer token wherever a JWT does.
        let bearer = format!("Bearer {token}");
        let p = t
            .get("/v1/profile")
            .header("authorization", &bearer)
            .send()
            .await
            .expect(200, &l);
        assert_eq!(p.json()["openid"], ALICE, "{l}");
        let run = t.upload(Who::Alice, "cpid-token", &["t.a"]).await;
        t.get(&format!("/v1/results/{run}"))
            .header("authorization", &bearer)
            .send()
            .await
            .expect(200, &l);
        t.get("/v1/results?signed")
            .header("authorization", &bearer)
            .send()
            .await
            .expect(200, &l);

        // Bad requests.
        for (body, ctx) in [
            (json!({"name": ""}), "empty name"),
            (json!({"name": "x".repeat(129)}), "long name"),
            (
                json!({"name": "old", "expires_at": "2000-01-01 00:00:00"}),
                "past expiry",
            ),
            (json!({"name": "x", "extra": 1}), "unknown key"),
            (json!(["x"]), "not an object"),
            (json!({"expires_at": "2999-01-01 00:00:00"}), "no name"),
        ] {
            t.post("/v1/profile/tokens")
                .as_(Who::Alice)
                .json(body)
                .send()
                .await
                .expect(400, &format!("{l}: {ctx}"));
        }

        // Revoked: 401 with a clear message; revoking again is 404.
        t.delete(&format!("/v1/profile/tokens/{id}"))
            .as_(Who::Bob)
            .send()
            .await
            .http_error(404, Some(""), &l);
        t.delete(&format!("/v1/profile/tokens/{id}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(204, &l);
        let msg = Some("API token is not valid (unknown, revoked or expired)");
        t.get("/v1/profile")
            .header("authorization", &bearer)
            .send()
            .await
            .http_error(401, msg, &l);
        t.delete(&format!("/v1/profile/tokens/{id}"))
            .as_(Who::Alice)
            .send()
            .await
            .http_error(404, Some(""), &l);
        // Expired, unknown and malformed tokens.
        let past = time::macros::datetime!(2001-01-01 0:00);
        let old = common::token_for(t.dbh(), ALICE, "old", Some(past)).await;
        for bad in [
            old.as_str(),
            "rst_nope",
            "rst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            t.get("/v1/results")
                .header("authorization", &format!("Bearer {bad}"))
                .send()
                .await
                .http_error(401, msg, &format!("{l}: {bad}"));
        }
        let list = t
            .get("/v1/profile/tokens")
            .as_(Who::Alice)
            .send()
            .await
            .json();
        let old_item = list
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == "old").cloned())
            .unwrap_or_default();
        assert_eq!(old_item["expired"], true, "{l}: {list}");
    }
}

#[tokio::test]
async fn unknown_key_says_where_to_register_it() {
    let mut cfg = base_config();
    cfg.ui_url = "https://refstack.example.org/ui".into();
    for t in TestApp::all_with(|| cfg.clone()).await {
        let body = common::upload_body("c", &["t.a"]);
        let key = refstack_core::signature::PrivateKey::from_pem(
            &std::fs::read_to_string(common::fixture("alice.pem")).expect("pem"),
        )
        .expect("key");
        // A key nobody registered: alice's key with her registration removed.
        let alice_keys = db::pubkeys::list_for_user(t.dbh(), ALICE)
            .await
            .expect("keys");
        db::pubkeys::delete_for_user(t.dbh(), ALICE, &alice_keys[0].id)
            .await
            .expect("delete");
        let sig = key.sign_hex(&body).expect("sign");
        t.post("/v1/results")
            .raw(body)
            .header("x-signature", &sig)
            .header("x-public-key", &common::public_line(Who::Alice))
            .send()
            .await
            .http_error(
                401,
                Some(
                    "User with specified key not found. Please sign in at \
                     https://refstack.example.org/#/profile and import your public key on \
                     your profile page.",
                ),
                t.label(),
            );
    }
}

/// Anonymous requests do not touch the sessions: with the database closed, a public page
/// that needs no database still answers, while a request with a cookie fails.
#[tokio::test]
async fn anonymous_requests_pay_nothing() {
    let db = Db::connect("sqlite::memory:").await.expect("db");
    db.migrate().await.expect("migrate");
    let app = refstack_server::app(AppState::new(base_config(), db.clone()));
    db.close().await;
    let send = |req: axum::http::Request<axum::body::Body>| {
        let app = app.clone();
        async move {
            use tower::ServiceExt;
            app.oneshot(req)
                .await
                .expect("infallible")
                .status()
                .as_u16()
        }
    };
    let get = |cookie: Option<&str>| {
        let mut b = axum::http::Request::builder().uri("/v1/guidelines");
        if let Some(c) = cookie {
            b = b.header("cookie", format!("refstack={c}"));
        }
        b.body(axum::body::Body::empty()).expect("request")
    };
    assert_eq!(send(get(None)).await, 200);
    // A value that cannot be a session id costs no lookup either.
    assert_eq!(send(get(Some("short"))).await, 200);
    assert_eq!(
        send(get(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))).await,
        500
    );
}

/// Two server processes (two apps) on one database, no sticky sessions: a session made
/// through one is valid on the other, and signing out on either ends it on both.
#[tokio::test]
async fn sessions_are_shared_between_server_processes() {
    for t in TestApp::all_with(dev_config).await {
        let l = t.label().to_owned();
        let other = refstack_server::app(AppState::new(dev_config(), t.dbh().clone()));
        let on_other = |cookie: &str, path: &str| {
            let req = axum::http::Request::builder()
                .uri(path)
                .header("cookie", format!("refstack={cookie}"))
                .body(axum::body::Body::empty())
                .expect("request");
            let app = other.clone();
            async move {
                use tower::ServiceExt;
                app.oneshot(req).await.expect("infallible")
            }
        };
        // Signed in on the first, used and signed out on the second.
        let (cookie, _, _) = dev_sign_in(&t, "openid=https%3A%2F%2Fopenstackid.org%2Fbob").await;
        assert_eq!(on_other(&cookie, "/v1/profile").await.status(), 200, "{l}");
        let out = on_other(&cookie, "/v1/auth/signout").await;
        assert_eq!(out.status(), 302, "{l}");
        t.get("/v1/profile")
            .cookie(&cookie)
            .send()
            .await
            .http_error(401, None, &l);
        assert_eq!(on_other(&cookie, "/v1/profile").await.status(), 401, "{l}");
        // And the other way round.
        let (cookie, _, _) = dev_sign_in(&t, "openid=https%3A%2F%2Fopenstackid.org%2Fbob").await;
        t.get("/v1/auth/signout")
            .cookie(&cookie)
            .send()
            .await
            .expect(302, &l);
        assert_eq!(on_other(&cookie, "/v1/profile").await.status(), 401, "{l}");
    }
}

/// `serve --dev-login` refuses to start unless it listens on loopback only.
#[test]
fn dev_login_needs_a_loopback_listener() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refstack-server"))
        .args(["serve", "--dev-login", "--listen", "0.0.0.0:0"])
        .env("REFSTACK_DATABASE_URL", "sqlite::memory:")
        .env_remove("REFSTACK_CONFIG")
        .output()
        .expect("run the server");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--dev-login") && err.contains("loopback") && err.contains("0.0.0.0:0"),
        "{err}"
    );
}
