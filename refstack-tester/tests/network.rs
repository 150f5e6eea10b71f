//! The library's network side against loopback fakes: Keystone CPID
//! discovery (v2, v3, errors, fallbacks) and the RefStack results API.

mod common;

use refstack_tester::conf::{AuthVersion, KeystoneConfig};
use refstack_tester::cpid::{self, CpidSource};
use refstack_tester::http::{self, HttpOptions, ListFilters};

fn keystone(version: AuthVersion, auth_url: String, password: &str) -> KeystoneConfig {
    KeystoneConfig {
        auth_version: version,
        auth_url,
        username: "demo".into(),
        password: password.into(),
        project_id: None,
        project_name: Some("demo".into()),
        user_domain_name: "Default".into(),
        project_domain_name: "Default".into(),
        ca_certificates_file: None,
        disable_ssl_certificate_validation: false,
    }
}

#[tokio::test]
async fn cpid_v3_v2_and_fallbacks() {
    let fake = common::start().await;
    let client = http::client(&HttpOptions::default()).unwrap();

    let v3 = keystone(
        AuthVersion::V3,
        fake.url("/identity/v3/auth/tokens"),
        "secret",
    );
    let got = cpid::discover(&client, &v3).await.unwrap();
    assert_eq!(got.cpid, "KEYSTONE-IDENTITY-SERVICE-ID");
    assert_eq!(got.source, CpidSource::KeystoneV3);
    let req = fake.state.token_requests.lock().unwrap()[0].clone();
    assert_eq!(
        req.pointer("/auth/scope/project/name"),
        Some(&serde_json::json!("demo"))
    );

    let v2 = keystone(AuthVersion::V2, fake.url("/identity/v2.0/tokens"), "x");
    let got = cpid::discover(&client, &v2).await.unwrap();
    assert_eq!(got.cpid, "V2-IDENTITY-ENDPOINT-ID");
    assert_eq!(got.source, CpidSource::KeystoneV2);

    // 401: md5("127.0.0.1"), with the reason kept.
    let bad = keystone(
        AuthVersion::V3,
        fake.url("/identity/v3/auth/tokens"),
        "wrong",
    );
    let got = cpid::discover(&client, &bad).await.unwrap();
    assert_eq!(got.cpid, "f528764d624db129b32c21fbca0cb8d6");
    match got.source {
        CpidSource::EndpointHash { reason } => {
            assert!(reason.contains("requires authentication"), "{reason}")
        }
        other => panic!("unexpected {other:?}"),
    }

    // No catalog.
    let nc = keystone(
        AuthVersion::V3,
        fake.url("/nocatalog/v3/auth/tokens"),
        "secret",
    );
    let got = cpid::discover(&client, &nc).await.unwrap();
    assert_eq!(got.cpid, "f528764d624db129b32c21fbca0cb8d6");
    assert!(
        matches!(got.source, CpidSource::EndpointHash { ref reason } if reason.contains("catalog"))
    );

    // Connection refused.
    let port = common::dead_port();
    let dead = keystone(
        AuthVersion::V3,
        format!("http://127.0.0.1:{port}/v3/auth/tokens"),
        "s",
    );
    let got = cpid::discover(&client, &dead).await.unwrap();
    assert_eq!(got.cpid, "f528764d624db129b32c21fbca0cb8d6");
}

#[tokio::test]
async fn upload_and_list() {
    let fake = common::start().await;
    let client = http::client(&HttpOptions::default()).unwrap();
    let base = fake.url("/api/");
    let body = br#"{"cpid": "c", "duration_seconds": 1, "results": [{"name": "t"}]}"#.to_vec();
    let receipt = http::upload_bytes(&client, &base, body.clone(), None)
        .await
        .unwrap();
    assert_eq!(receipt.url, "http://ui/#/results/0000-1111");
    let got = fake.state.uploads.lock().unwrap()[0].clone();
    assert_eq!(got.body, body);
    assert_eq!(got.content_type.as_deref(), Some("application/json"));

    *fake.state.upload_status.lock().unwrap() = Some(400);
    let err = http::upload_bytes(&client, &base, body, None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("400") && text.contains("at least one passing test"),
        "{text}"
    );

    *fake.state.pages.lock().unwrap() = 3;
    let filters = ListFilters {
        start_date: Some("2015-04-24 01:23:56".into()),
        ..Default::default()
    };
    let page = http::get_results_page(&client, &base, 2, &filters)
        .await
        .unwrap();
    assert_eq!(page.pagination.total_pages, 3);
    assert_eq!(
        page.results[0].meta["filters"],
        "start_date=2015-04-24 01:23:56"
    );
    let err = http::get_results_page(&client, &base, 9, &filters)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("greater than the total"), "{err}");
}

#[test]
fn ca_bundle_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = http::client(&HttpOptions {
        ca_bundle: Some(missing),
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("cannot read the CA bundle"),
        "{err}"
    );
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = http::client(&HttpOptions {
        ca_bundle: Some(garbage),
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("not a PEM certificate bundle"),
        "{err}"
    );
    // A real certificate (made with openssl when it is installed) is accepted.
    let cert = dir.path().join("ca.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test-ca",
        ])
        .arg("-keyout")
        .arg(dir.path().join("ca.key"))
        .arg("-out")
        .arg(&cert)
        .output();
    match made {
        Ok(out) if out.status.success() => {
            http::client(&HttpOptions {
                ca_bundle: Some(cert),
                insecure: false,
                timeout: None,
            })
            .unwrap();
        }
        _ => eprintln!("openssl not available: valid-bundle case not exercised"),
    }
}

/// TLS through reqwest with rustls's ring provider (no aws-lc): a server
/// with a self-signed certificate is refused by default, trusted with
/// `--ca-bundle`, and accepted without checks with `-k`.
#[tokio::test]
async fn https_with_a_ca_bundle_or_insecure() {
    let (fake, cert_pem) = common::start_tls().await;
    *fake.state.pages.lock().unwrap() = 1;
    let base = common::tls_url(&fake, "/api");
    let filters = http::ListFilters::default();

    let client = http::client(&HttpOptions::default()).unwrap();
    let err = http::get_results_page(&client, &base, 1, &filters)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("certificate"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, &cert_pem).unwrap();
    let client = http::client(&HttpOptions {
        ca_bundle: Some(bundle),
        ..Default::default()
    })
    .unwrap();
    let page = http::get_results_page(&client, &base, 1, &filters)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);

    let client = http::client(&HttpOptions {
        insecure: true,
        ..Default::default()
    })
    .unwrap();
    let page = http::get_results_page(&client, &base, 1, &filters)
        .await
        .unwrap();
    assert_eq!(page.pagination.total_pages, 1);
}
