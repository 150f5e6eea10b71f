//! The embedded web UI over HTTP (oneshot): the page, `config.json` and the
//! versioned assets with their content types, ETags and cache headers.

mod common;

use common::{TestApp, base_config};

/// The versioned asset paths the page references.
fn asset_refs(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|s| s.starts_with("assets/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn page_config_and_assets() {
    let t = TestApp::new(refstack_server::db::testing::sqlite().await, base_config()).await;
    let l = "ui";
    let r = t.get("/").send().await.expect(200, l);
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers["cache-control"], "no-cache");
    let csp = r.headers["content-security-policy"].to_str().unwrap_or("");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let etag = r.headers["etag"].to_str().unwrap_or("").to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let html = r.text();
    assert!(html.contains("<main id=\"main\""));
    assert!(html.contains("id=\"account\""));
    assert!(html.contains("href=\"#/user_results\""));
    // Conditional request.
    let r = t
        .get("/index.html")
        .header("if-none-match", &etag)
        .send()
        .await
        .expect(304, l);
    assert!(r.body.is_empty());

    // config.json follows the mount prefix (default /api).
    let r = t.get("/config.json").send().await.expect(200, l);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.json()["refstackApiUrl"], "api/v1");
    assert_eq!(r.json()["signInAvailable"], false);

    // Every referenced asset is served with its type and a long cache life.
    let refs = asset_refs(&html);
    assert!(refs.len() >= 4, "{refs:?}");
    for path in &refs {
        let r = t.get(&format!("/{path}")).send().await.expect(200, path);
        let ct = r.headers["content-type"].to_str().unwrap_or("").to_owned();
        let want = match path.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset {other:?}"),
        };
        assert_eq!(ct, want, "{path}");
        assert_eq!(
            r.headers["cache-control"], "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        let etag = r.headers["etag"].to_str().unwrap_or("").to_owned();
        t.get(&format!("/{path}"))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect(304, path);
    }
    // The module graph: app.js imports the pages.
    let app_js = refs
        .iter()
        .find(|p| p.ends_with("/js/app.js"))
        .cloned()
        .unwrap_or_default();
    let js = t
        .get(&format!("/{app_js}"))
        .send()
        .await
        .expect(200, l)
        .text();
    assert!(js.contains("./pages/report.js"), "{js}");
    let dir = app_js.trim_end_matches("app.js");
    t.get(&format!("/{dir}pages/report.js"))
        .send()
        .await
        .expect(200, l);
    // A stale version or an unknown file is a 404, not the page.
    t.get("/assets/000000000000/app.css")
        .send()
        .await
        .expect(404, l);
    t.get(&format!("/{dir}nope.js")).send().await.expect(404, l);
    // The API keeps its JSON 404 for unknown paths.
    let r = t.get("/nope").send().await.expect(404, l);
    assert_eq!(r.json()["code"], 404);
}

#[tokio::test]
async fn config_without_prefix() {
    let mut cfg = base_config();
    cfg.api_prefix = String::new();
    cfg.results_per_page = 7;
    let t = TestApp::new(refstack_server::db::testing::sqlite().await, cfg).await;
    let r = t.get("/config.json").send().await.expect(200, "ui");
    assert_eq!(r.json()["refstackApiUrl"], "v1");
    assert_eq!(r.json()["resultsPerPage"], 7);
}

#[tokio::test]
async fn page_and_assets_are_gzipped_for_clients_that_accept_it() {
    use std::io::Read;
    let t = TestApp::new(refstack_server::db::testing::sqlite().await, base_config()).await;
    let plain = t.get("/").send().await.expect(200, "page");
    assert!(plain.headers.get("content-encoding").is_none());
    assert_eq!(plain.headers["vary"], "accept-encoding");
    let html = plain.text();
    let mut paths = vec!["/".to_owned()];
    paths.extend(asset_refs(&html).iter().map(|p| format!("/{p}")));
    for path in &paths {
        let plain = t.get(path).send().await.expect(200, path);
        let r = t
            .get(path)
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .expect(200, path);
        if path.ends_with(".svg") && r.headers.get("content-encoding").is_none() {
            continue; // kept plain when gzip would not be smaller
        }
        assert_eq!(r.headers["content-encoding"], "gzip", "{path}");
        assert_eq!(r.headers["vary"], "accept-encoding", "{path}");
        assert!(r.body.len() < plain.body.len(), "{path}");
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(r.body.as_slice())
            .read_to_end(&mut inflated)
            .expect("gzip body");
        assert_eq!(inflated, plain.body, "{path}");
        // Each encoding has its own ETag, and revalidates with it.
        let etag = r.headers["etag"].to_str().unwrap_or("").to_owned();
        assert_ne!(etag, plain.headers["etag"].to_str().unwrap_or(""), "{path}");
        let r = t
            .get(path)
            .header("accept-encoding", "gzip")
            .header("if-none-match", &etag)
            .send()
            .await
            .expect(304, path);
        assert!(r.headers.get("content-encoding").is_none(), "{path}");
        // A client that refuses gzip gets the plain bytes.
        let r = t
            .get(path)
            .header("accept-encoding", "gzip;q=0, identity")
            .send()
            .await
            .expect(200, path);
        assert!(r.headers.get("content-encoding").is_none(), "{path}");
        assert_eq!(r.body, plain.body, "{path}");
    }
}
