//! End-to-end tests of the web UI in headless Chromium through WebDriver
//! (chromedriver + fantoccini).
//!
//! The test starts chromedriver on a free 127.0.0.1 port and the real
//! server on a bound 127.0.0.1 socket (temporary SQLite database, the
//! fixture guidelines), seeds runs through the HTTP API, then drives the
//! pages and compares what they show with the API's answers.
//!
//! Needs `REFSTACK_TEST_CHROMEDRIVER` (path of chromedriver; Debian:
//! `/usr/bin/chromedriver`) and optionally `REFSTACK_TEST_CHROMIUM` (the
//! browser binary; default `/usr/bin/chromium` when it exists). When the
//! driver is not configured the test is skipped, or fails with
//! `REFSTACK_CI=1`. The scenario over the real guidelines also needs
//! `REFSTACK_SHARED_DATA` (same rule), the OpenID Connect sign-in scenario
//! `REFSTACK_TEST_OIDC_DIR` (the npm provider, same rule). With
//! `REFSTACK_TEST_SCREENSHOTS=DIR`
//! PNG screenshots of the pages are written there.

mod common;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use refstack_server::db::testing::TestDb;
use refstack_server::db::{self};
use refstack_server::{AppState, Config};
use serde_json::{Value, json};

const LIST_ALIAS: &str = "tempest.api.compute.old.test_list";
const OBJ: &str = "tempest.api.object_storage.test_list.ObjTest.test_list";
const ADV: &str = "tempest.api.compute.test_adv.AdvTest.test_adv";

/// How long to wait for an element or a condition (a readiness wait, not
/// an assertion on time).
const WAIT: Duration = Duration::from_secs(45);

fn ci() -> bool {
    std::env::var("REFSTACK_CI").is_ok_and(|v| v == "1")
}

/// The configured path of `var`, or `None` (skip) / panic (CI).
fn required_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            if ci() {
                panic!(
                    "REFSTACK_CI=1 but {var} is unset: the browser tests need {what} \
                     (.ci/browser.sh installs and exports it)"
                );
            }
            {
                // Straight to stderr, past the test harness's capture: a
                // skipped test must not pass silently as `ok`.
                use std::io::Write as _;
                let test = std::thread::current().name().unwrap_or("test").to_owned();
                let _ = std::io::stderr()
                    .write_all(format!("SKIPPED {test}: {var} is unset ({what})\n").as_bytes());
            }
            None
        }
    }
}

// ------------------------------------------------------------ processes

/// A chromedriver child process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it yields `Some`, for at most [`WAIT`].
async fn poll<T, F, Fut>(what: &str, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("gave up waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts chromedriver on a port of its choice (`--port=0`, read back from
/// its "started successfully on port N" line: no race for a free port).
async fn start_driver(path: &str) -> Result<Driver> {
    let mut child = Command::new(path)
        .arg("--port=0")
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {path}"))?;
    let stdout = child.stdout.take().context("chromedriver stdout")?;
    // The driver is killed on drop from here on, whatever happens.
    let mut driver = Driver {
        child,
        url: String::new(),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<Option<u16>>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let port = rest.trim_end_matches('.').trim().parse().ok();
                if let Some(tx) = tx.take() {
                    let _ = tx.send(port);
                }
            }
            // Keep draining so chromedriver never blocks on a full pipe.
        }
        if let Some(tx) = tx.take() {
            let _ = tx.send(None);
        }
    });
    let port = tokio::time::timeout(WAIT, rx)
        .await
        .context("chromedriver did not report its port")?
        .ok()
        .flatten()
        .context("chromedriver exited before listening")?;
    driver.url = format!("http://127.0.0.1:{port}");
    Ok(driver)
}

async fn start_browser(driver: &Driver, profile: &Path) -> Result<Client> {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--window-size=1280,1000".to_owned(),
    ];
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut options = json!({ "args": args });
    let binary = std::env::var("REFSTACK_TEST_CHROMIUM")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .or_else(|| {
            Path::new("/usr/bin/chromium")
                .exists()
                .then(|| "/usr/bin/chromium".to_owned())
        });
    if let Some(b) = binary {
        options["binary"] = Value::String(b);
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    // chromedriver listens on loopback: plain HTTP.
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .map_err(|e| anyhow!("cannot open a WebDriver session: {e}"))
}

/// The server under test, on a real socket.
struct Server {
    base: String,
    api: String,
    db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(guidelines: PathBuf, tweak: impl FnOnce(&mut Config)) -> Result<Server> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Self::start_on(listener, guidelines, tweak).await
    }

    /// [`Server::start`] on a socket bound before (its address configured elsewhere).
    async fn start_on(
        listener: tokio::net::TcpListener,
        guidelines: PathBuf,
        tweak: impl FnOnce(&mut Config),
    ) -> Result<Server> {
        let db = db::testing::sqlite().await;
        let addr: SocketAddr = listener.local_addr()?;
        let mut cfg = Config::default();
        cfg.guidelines.dir = Some(guidelines);
        // The given files only (the banner scenario turns the built-in ones on).
        cfg.guidelines.builtin = false;
        cfg.ui_url = format!("http://{addr}");
        cfg.streams.blob_store = common::blob_dir().to_string_lossy().into_owned();
        tweak(&mut cfg);
        let api = format!("http://{addr}{}/v1", cfg.api_prefix);
        let state = AppState::new(cfg, db.db().clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(refstack_server::serve(
            listener,
            refstack_server::app(state),
            async move {
                let _ = rx.await;
            },
        ));
        Ok(Server {
            base: format!("http://{addr}"),
            api,
            db,
            stop: Some(tx),
            task,
        })
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Uploads passed test names anonymously; the run id.
    async fn upload(&self, cpid: &str, names: &[&str]) -> Result<String> {
        let results: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
        let resp = http_client()
            .post(format!("{}/results", self.api))
            .body(json!({"cpid": cpid, "duration_seconds": 3723, "results": results}).to_string())
            .send()
            .await?;
        ensure!(resp.status() == 201, "upload: {}", resp.status());
        let body: Value = resp.json().await?;
        let id = body["test_id"].as_str().unwrap_or_default().to_owned();
        ensure!(
            body["url"] == format!("{}/#/results/{id}", self.base),
            "upload url {body}"
        );
        Ok(id)
    }

    /// Uploads passed test names signed with alice's fixture key (a
    /// private run); the run id.
    async fn upload_signed_by_alice(&self, names: &[&str]) -> Result<String> {
        let line = common::public_line(common::Who::Alice);
        let mut parts = line.split_whitespace();
        db::users::upsert(
            &self.db,
            &db::users::NewUser {
                openid: common::ALICE.into(),
                email: None,
                fullname: Some("Alice".into()),
            },
        )
        .await?;
        db::pubkeys::add(
            &self.db,
            &db::pubkeys::NewPubkey {
                openid: common::ALICE.into(),
                format: parts.next().unwrap_or_default().to_owned(),
                pubkey: parts.next().unwrap_or_default().to_owned(),
                comment: None,
            },
        )
        .await?;
        let body = common::upload_body("cpid-alice", names);
        let signature = common::private_key(common::Who::Alice).sign_hex(&body)?;
        let resp = http_client()
            .post(format!("{}/results", self.api))
            .header("x-signature", signature)
            .header("x-public-key", line.as_str())
            .body(body)
            .send()
            .await?;
        ensure!(resp.status() == 201, "signed upload: {}", resp.status());
        let body: Value = resp.json().await?;
        Ok(body["test_id"].as_str().unwrap_or_default().to_owned())
    }

    async fn get_json(&self, path: &str) -> Result<Value> {
        let resp = reqwest::get(format!("{}/{path}", self.api)).await?;
        ensure!(resp.status().is_success(), "GET {path}: {}", resp.status());
        Ok(resp.json().await?)
    }

    /// The number of lines of a test list (204 → 0).
    async fn test_list_count(&self, path: &str) -> Result<usize> {
        let resp = reqwest::get(format!("{}/{path}", self.api)).await?;
        ensure!(resp.status().is_success(), "GET {path}: {}", resp.status());
        let text = resp.text().await?;
        Ok(text.lines().filter(|l| !l.trim().is_empty()).count())
    }
}

// ------------------------------------------------------------ page helpers

struct Page<'a> {
    c: &'a Client,
    /// chromedriver's URL, for its browser-log endpoint.
    driver: &'a str,
    base: String,
    /// The API root (network errors below it are answers the page handles).
    api: String,
    shots: Option<PathBuf>,
}

impl Page<'_> {
    async fn open(&self, route: &str) -> Result<()> {
        self.c
            .goto(&format!("{}/{route}", self.base))
            .await
            .with_context(|| format!("goto {route}"))
    }

    async fn wait_css(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))
    }

    async fn js(&self, script: &str) -> Result<Value> {
        self.c
            .execute(script, Vec::new())
            .await
            .with_context(|| format!("script {script}"))
    }

    /// Polls a JS expression until it is truthy; its value.
    async fn wait_js(&self, what: &str, expr: &str) -> Result<Value> {
        let script = format!("return ({expr});");
        poll(what, || async {
            let v = self.js(&script).await?;
            Ok(match v {
                Value::Null | Value::Bool(false) => None,
                Value::String(ref s) if s.is_empty() => None,
                v => Some(v),
            })
        })
        .await
    }

    async fn text(&self, css: &str) -> Result<String> {
        Ok(self.wait_css(css).await?.text().await?)
    }

    async fn click(&self, css: &str) -> Result<()> {
        self.wait_css(css)
            .await?
            .click()
            .await
            .with_context(|| format!("click {css}"))
    }

    /// The JS errors the page recorded (js/errors.js).
    async fn errors(&self) -> Result<Vec<String>> {
        let v = self
            .js("return window.refstackErrors || ['errors.js did not run'];")
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Severe entries of the browser console since the last call
    /// (chromedriver's log endpoint), except failed API requests, whose
    /// answers the page shows.
    async fn console_errors(&self) -> Result<Vec<String>> {
        let Some(session) = self.c.session_id().await? else {
            return Ok(Vec::new());
        };
        let resp = http_client()
            .post(format!("{}/session/{session}/se/log", self.driver))
            .json(&json!({ "type": "browser" }))
            .send()
            .await?;
        let body: Value = resp.json().await?;
        Ok(body["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .filter_map(|e| e["message"].as_str())
            .filter(|m| !m.starts_with(&self.api))
            .map(str::to_owned)
            .collect())
    }

    async fn no_errors(&self, when: &str) -> Result<()> {
        let errors = self.errors().await?;
        ensure!(errors.is_empty(), "JS errors {when}: {errors:?}");
        let console = self.console_errors().await?;
        ensure!(console.is_empty(), "console errors {when}: {console:?}");
        Ok(())
    }

    async fn shot(&self, name: &str) -> Result<()> {
        if let Some(dir) = &self.shots {
            let png = self.c.screenshot().await?;
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("{name}.png")), png)?;
        }
        Ok(())
    }
}

/// Visible capability ids on the guideline page.
const VISIBLE_CAPS: &str = "[...document.querySelectorAll('#guideline-content .capability')]\
     .filter(e => !e.hidden).map(e => e.dataset.capability)";

/// The report rows as the page shows them.
const REPORT_ROWS: &str = "[...document.querySelectorAll('#statuses [data-capability]')].map(e => ({\
     status: e.closest('[data-status]').dataset.status, id: e.dataset.capability, \
     count: e.querySelector('.cap-count').textContent, \
     tests: [...e.querySelectorAll('[data-test]')].map(t => [t.dataset.test, t.dataset.passed === 'true', t.dataset.flagged === 'true'])}))";

/// The rows the compliance JSON implies, in the same shape.
fn expected_rows(report: &Value) -> Value {
    let mut rows = Vec::new();
    for s in report["statuses"].as_array().into_iter().flatten() {
        for c in s["capabilities"].as_array().into_iter().flatten() {
            let tests: Vec<Value> = c["tests"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| json!([t["name"], t["passed"], t["flagged"]]))
                .collect();
            rows.push(json!({
                "status": s["status"], "id": c["id"],
                "count": format!("{}/{}", c["passed"], c["total"]),
                "tests": tests,
            }));
        }
    }
    Value::Array(rows)
}

// ------------------------------------------------------------ scenarios

async fn home_and_about(p: &Page<'_>) -> Result<()> {
    p.open("").await?;
    let h1 = p.text("#main h1").await?;
    ensure!(h1 == "RefStack", "home h1: {h1}");
    let note = p.text("#signin-note").await?;
    ensure!(note == "Sign in is not available on this server", "{note}");
    let howto = p.text("#howto-h").await?;
    ensure!(howto.contains("refstack-tester"), "{howto}");
    // The signed-in pages' modules load only when needed.
    let lazy = p
        .js(
            "return performance.getEntriesByType('resource').map(e => e.name)\
             .filter(n => /pages\\/(profile|myresults|vendors|products)\\.js$/.test(n))",
        )
        .await?;
    ensure!(lazy == json!([]), "loaded eagerly: {lazy}");
    p.shot("home").await?;
    p.click("a[data-route='about']").await?;
    p.wait_js(
        "about page",
        "document.querySelector('#main h1')?.textContent === 'About RefStack'",
    )
    .await?;
    let current = p
        .js("return document.querySelector('a[aria-current=page]')?.dataset.route")
        .await?;
    ensure!(current == "about", "current nav {current}");
    // A signed-in page explains why it is not there.
    p.open("#/user_results").await?;
    p.wait_js(
        "sign-in note",
        "document.querySelector('#main h1')?.textContent === 'Sign in required'",
    )
    .await?;
    p.no_errors("on home/about").await
}

async fn guidelines(p: &Page<'_>, s: &Server) -> Result<()> {
    p.open("#/guidelines").await?;
    p.wait_css("#guideline-content .capability").await?;
    let banner = p
        .js("return document.querySelector('#source-errors').hidden")
        .await?;
    ensure!(
        banner == true,
        "no source error banner while the sources work"
    );
    let version = p
        .js("return document.querySelector('#guideline-version').value")
        .await?;
    ensure!(version == "2020.06.json", "default version {version}");
    let status = p.text("#guideline-status").await?;
    ensure!(status == "approved", "status {status}");
    // Required only by default.
    let caps = p.js(&format!("return {VISIBLE_CAPS}")).await?;
    ensure!(
        caps == json!(["compute-list", "object-list"]),
        "required caps {caps}"
    );
    // Flags with their reasons, aliases.
    let flag = p
        .js("return document.querySelector('[data-capability=\"compute-list\"] .flag-reason')?.textContent")
        .await?;
    ensure!(flag == " — broken", "flag reason {flag}");
    let alias = p
        .js("return document.querySelector('[data-capability=\"compute-list\"] .aliases')?.textContent")
        .await?;
    ensure!(alias == format!("Aliases: {LIST_ALIAS}"), "aliases {alias}");
    // Tests are folded per capability; one button unfolds them all.
    let shown = p
        .js("return document.querySelector('[data-test]').offsetParent !== null")
        .await?;
    ensure!(shown == false, "tests start folded");
    p.click("#expand-tests").await?;
    p.wait_js(
        "unfolded tests",
        "[...document.querySelectorAll('#guideline-content details.tests')].every(d => d.open)",
    )
    .await?;
    // Advisory on.
    p.click("#status-advisory").await?;
    p.wait_js(
        "advisory capability",
        &format!("{VISIBLE_CAPS}.includes('compute-adv')"),
    )
    .await?;
    p.shot("guidelines").await?;

    // The test-list dialog agrees with the API, for both flag settings.
    p.click("#test-list-button").await?;
    let count = p
        .wait_js(
            "test count",
            "document.querySelector('#test-count')?.dataset.count",
        )
        .await?;
    let query = "target=platform&type=required%2Cadvisory&alias=true&flag=false";
    let path = format!("guidelines/2020.06.json/tests?{query}");
    let want = s.test_list_count(&path).await?;
    ensure!(
        count.as_str().and_then(|c| c.parse::<usize>().ok()) == Some(want),
        "dialog count {count}, API {want}"
    );
    ensure!(want == 4, "fixture list size {want}");
    let url = format!("{}/{path}", s.api);
    let wget = p.text("#wget-line").await?;
    ensure!(
        wget == format!("wget \"{url}\" -O 2020.06-test-list.txt"),
        "wget line {wget}"
    );
    let href = p
        .js("return document.querySelector('#download-link').href")
        .await?;
    ensure!(href == url, "download href {href}");
    p.shot("test-list").await?;
    p.click("#tl-flag").await?;
    let with_flagged = s
        .test_list_count("guidelines/2020.06.json/tests?target=platform&type=required%2Cadvisory&alias=true&flag=true")
        .await?;
    p.wait_js(
        "count with flagged tests",
        &format!("document.querySelector('#test-count')?.dataset.count === '{with_flagged}'"),
    )
    .await?;
    // Escape closes the dialog (keyboard use).
    p.wait_css("#test-list-dialog .dialog-actions button")
        .await?
        .send_keys("\u{e00c}")
        .await?;
    p.wait_js(
        "dialog closed",
        "!document.querySelector('#test-list-dialog').open",
    )
    .await?;

    // An add-on target switches to its own files.
    p.wait_css("#guideline-target")
        .await?
        .select_by_value("dns")
        .await?;
    p.wait_js(
        "dns capabilities",
        &format!("JSON.stringify({VISIBLE_CAPS}) === '[\"dns-zone\"]'"),
    )
    .await?;
    let version = p
        .js("return document.querySelector('#guideline-version').value")
        .await?;
    ensure!(version == "dns.2020.06.json", "dns version {version}");
    p.no_errors("on the guideline page").await
}

async fn community_results(p: &Page<'_>, ids: &[String]) -> Result<()> {
    p.open("#/community_results").await?;
    p.wait_css("#results-table tbody tr").await?;
    let mut seen: Vec<String> = Vec::new();
    for page in 1..=3 {
        let status = format!("Page {page} of 3");
        p.wait_js(
            &status,
            &format!("document.querySelector('.page-status')?.textContent === '{status}'"),
        )
        .await?;
        let rows: Vec<String> = serde_json::from_value(
            p.js("return [...document.querySelectorAll('#results-table tbody tr')].map(r => r.dataset.resultId)")
                .await?,
        )?;
        ensure!(
            rows.len() == if page < 3 { 2 } else { 1 },
            "page {page}: {rows:?}"
        );
        seen.extend(rows);
        if page == 1 {
            p.shot("community-results").await?;
        }
        if page < 3 {
            p.click("button[data-page='next']").await?;
        }
    }
    let mut want = ids.to_vec();
    want.sort();
    seen.sort();
    ensure!(seen == want, "listed {seen:?}, uploaded {want:?}");
    // Page links: back to page 1.
    p.click("button[data-page='1']").await?;
    p.wait_js(
        "page 1",
        "document.querySelector('.page-status')?.textContent === 'Page 1 of 3'",
    )
    .await?;
    // The date filter: a future period has nothing, today has everything.
    p.js("document.querySelector('#start-date').value = '2999-01-01'; return true")
        .await?;
    p.click("#filter-button").await?;
    p.wait_js(
        "empty period",
        "document.querySelector('#results-body .alert')?.textContent === 'No test runs were uploaded in this period.'",
    )
    .await?;
    let today = time::OffsetDateTime::now_utc().date();
    let today = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    p.js(&format!(
        "document.querySelector('#start-date').value = '{today}'; \
         document.querySelector('#end-date').value = '{today}'; return true"
    ))
    .await?;
    p.click("#filter-button").await?;
    p.wait_js(
        "today's runs",
        "document.querySelector('.page-status')?.textContent === 'Page 1 of 3'",
    )
    .await?;
    let hash = p.js("return location.hash").await?;
    ensure!(
        hash == format!("#/community_results?start={today}&end={today}"),
        "{hash}"
    );
    p.click("#clear-button").await?;
    p.wait_js("cleared", "location.hash === '#/community_results'")
        .await?;
    // Rows link to the result page.
    p.wait_css("#results-table tbody tr a").await?;
    p.click("#results-table tbody tr a").await?;
    p.wait_css("#verdict").await?;
    p.no_errors("on community results").await
}

async fn report_matches(p: &Page<'_>, s: &Server, id: &str, query: &str) -> Result<Value> {
    let report = s
        .get_json(&format!("results/{id}/compliance{query}"))
        .await?;
    let want = expected_rows(&report);
    let script = format!("return {REPORT_ROWS}");
    let matched = poll("report rows", || async {
        let shown = p.js(&script).await?;
        Ok((shown == want).then_some(()))
    })
    .await;
    if matched.is_err() {
        let shown = p.js(&script).await?;
        bail!("report rows differ\n  page: {shown}\n  API:  {want}");
    }
    let verdict = p.text("#verdict-value").await?;
    let expected = if report["compliant"] == true {
        "YES"
    } else {
        "NO"
    };
    ensure!(
        verdict == expected,
        "verdict {verdict}, API {}",
        report["compliant"]
    );
    Ok(report)
}

async fn result_page(p: &Page<'_>, s: &Server, good: &str, bad: &str) -> Result<()> {
    p.open(&format!("#/results/{good}")).await?;
    p.wait_css("#verdict").await?;
    ensure!(p.text("#run-id").await? == good, "run id");
    ensure!(p.text("#passed-count").await? == "3", "passed count");
    ensure!(
        p.text("#run-duration").await? == "1 h 02 min 03 s",
        "duration"
    );
    let report = report_matches(p, s, good, "").await?;
    ensure!(report["compliant"] == true, "fixture run is compliant");
    let summary = p.text("#summary").await?;
    ensure!(
        summary.contains("passes 66.7% (2/3) of the tests in the 2020.06 required capabilities for the OpenStack Powered Platform program")
            && summary.contains("passes 100.0% (2/2) of the required tests"),
        "summary {summary}"
    );
    let passed_as = p
        .js("return document.querySelector('[data-capability=\"compute-list\"] .note')?.textContent")
        .await?;
    ensure!(
        passed_as == format!(" (passed as {LIST_ALIAS})"),
        "{passed_as}"
    );
    p.shot("result-compliant").await?;

    // Another target: compute has compute-list only.
    p.wait_css("#report-target")
        .await?
        .select_by_value("compute")
        .await?;
    p.wait_js(
        "compute report",
        "location.hash.endsWith('target=compute') && !document.querySelector('[data-capability=\"object-list\"]')",
    )
    .await?;
    report_matches(p, s, good, "?target=compute&guideline=2020.06.json").await?;

    // A non-compliant run, and the "not passed" filter.
    p.open(&format!("#/results/{bad}")).await?;
    p.wait_js(
        "bad run",
        &format!("document.querySelector('#run-id')?.textContent === '{bad}'"),
    )
    .await?;
    report_matches(p, s, bad, "").await?;
    let failing = p.text("#failing").await?;
    ensure!(failing.ends_with("compute-list"), "{failing}");
    p.click("#filter-not_passed").await?;
    let passed_shown = p
        .wait_js(
            "not-passed filter",
            "document.querySelector('#filter-not_passed').checked && \
             [...document.querySelectorAll('#statuses [data-test]')].map(t => t.dataset.passed)",
        )
        .await?;
    ensure!(
        passed_shown
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|v| v == "false")),
        "not-passed filter shows {passed_shown}"
    );
    p.shot("result-not-compliant").await?;

    // A private (signed, not shared) run: the page says why it is hidden.
    let private = s.upload_signed_by_alice(&[OBJ]).await?;
    p.open(&format!("#/results/{private}")).await?;
    let msg = p.text("#run-error").await?;
    ensure!(msg.starts_with("This test run is private"), "{msg}");

    full_results(p, s, good).await.context("full results")?;

    // A run that does not exist: an error message, not a blank page.
    p.open("#/results/00000000-0000-0000-0000-000000000000")
        .await?;
    let msg = p.text("#run-error").await?;
    ensure!(
        msg == "Test run 00000000-0000-0000-0000-000000000000 was not found.",
        "{msg}"
    );
    p.shot("result-missing").await?;
    p.no_errors("on result pages").await
}

/// A shared run of alice with its subunit stream (issue 13 items 2, 3): the
/// report shows each test's status, the failure's traceback and the skip
/// reason, and filters by status. Alice's key was added by the private run
/// of [`result_page`].
async fn full_results(p: &Page<'_>, s: &Server, earlier: &str) -> Result<()> {
    use refstack_subunit::PacketStatus::{Fail, Skip, Success};
    const LIST: &str = "tempest.api.compute.test_list.ListTest.test_list";
    const FLAGGED: &str = "tempest.api.compute.test_list.ListTest.test_flagged";
    let traceback =
        "Traceback (most recent call last):\n  File \"t.py\", line 3\nAssertionError: <b>not</b> 2";
    let run = db::results::store_upload(
        &s.db,
        &db::results::NewTestRun {
            cpid: "cpid-alice".into(),
            duration_seconds: 60,
            results: [LIST, OBJ]
                .iter()
                .map(|n| db::results::NewResult {
                    name: (*n).into(),
                    uuid: None,
                })
                .collect(),
            uploader: Some(common::ALICE.into()),
        },
    )
    .await?;
    db::meta::set(&s.db, &run.id, "shared", "true").await?;
    let stream = common::v2_stream(&[
        (LIST, Success, None),
        (OBJ, Success, None),
        (ADV, Fail, Some(("traceback", traceback))),
        (FLAGGED, Skip, Some(("reason", "No flavor to resize to"))),
    ]);
    let signature = common::private_key(common::Who::Alice).sign_hex(&stream)?;
    let resp = reqwest::Client::new()
        .put(format!("{}/results/{}/stream", s.api, run.id))
        .header("x-signature", signature)
        .header("x-public-key", common::public_line(common::Who::Alice))
        .body(stream)
        .send()
        .await?;
    ensure!(resp.status() == 201, "stream upload: {}", resp.status());
    p.open(&format!("#/results/{}", run.id)).await?;
    report_matches(p, s, &run.id, "").await?;
    let summary = p.text("#stream-summary").await?;
    ensure!(summary.contains("holds 4 tests"), "{summary}");
    // The traceback is text (its markup is not interpreted), folded until asked.
    let shown = p
        .js(&format!(
            "const t = document.querySelector('[data-test=\"{ADV}\"]'); \
             return [t.dataset.status, t.querySelector('.traceback pre').textContent, \
                     t.querySelector('.traceback').open, t.querySelectorAll('b').length]"
        ))
        .await?;
    ensure!(
        shown == json!(["failed", traceback, false, 0]),
        "failed test {shown}"
    );
    p.click("[data-status=\"advisory\"] > summary").await?;
    p.click(&format!("[data-test=\"{ADV}\"] .traceback summary"))
        .await?;
    p.wait_js(
        "traceback opened",
        &format!("document.querySelector('[data-test=\"{ADV}\"] .traceback').open"),
    )
    .await?;
    let reason = p
        .text(&format!("[data-test=\"{FLAGGED}\"] .reason-text"))
        .await?;
    ensure!(reason == "No flavor to resize to", "skip reason {reason}");
    p.shot("result-full-traceback").await?;
    for (filter, want) in [
        ("failed", json!([ADV])),
        ("skipped", json!([FLAGGED])),
        ("not_run", json!([])),
    ] {
        p.click(&format!("#filter-{filter}")).await?;
        let names = p
            .wait_js(
                &format!("{filter} filter"),
                &format!(
                    "document.querySelector('#filter-{filter}').checked && \
                     [...document.querySelectorAll('#statuses [data-test]')].map(t => t.dataset.test)"
                ),
            )
            .await?;
        ensure!(names == want, "{filter} filter shows {names}");
    }
    p.no_errors("on the full results report").await?;

    // Compared with an earlier run (issue 13 item 4), from the report.
    p.js(&format!(
        "document.querySelector('#compare-with').value = '{earlier}'; \
         document.querySelector('#compare-go').click(); return true"
    ))
    .await?;
    let api = s
        .get_json(&format!("results/{earlier}/compare/{}", run.id))
        .await?;
    let want: Vec<Value> = api["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| json!([t["name"], t["before"], t["after"]]))
        .collect();
    ensure!(!want.is_empty(), "the runs differ: {api}");
    let shown = p
        .wait_js(
            "comparison page",
            "document.querySelector('#changed-tests tbody') && \
             [...document.querySelectorAll('#changed-tests [data-test]')]\
             .map(t => [t.dataset.test, t.dataset.before, t.dataset.after])",
        )
        .await?;
    ensure!(shown == json!(want), "changed tests {shown}, API {want:?}");
    ensure!(
        p.js("return location.hash").await?
            == json!(format!(
                "#/results/{earlier}/compare/{}?guideline=2020.06.json&target=platform",
                run.id
            )),
        "comparison URL"
    );
    p.shot("compare").await?;
    p.no_errors("on the comparison page").await
}

async fn catalog(p: &Page<'_>, s: &Server) -> Result<()> {
    db::users::upsert(
        &s.db,
        &db::users::NewUser {
            openid: common::CAROL.into(),
            email: None,
            fullname: Some("Carol".into()),
        },
    )
    .await?;
    let vendor = db::vendors::create(
        &s.db,
        &db::vendors::NewOrganization {
            name: "Example <Cloud> & Co".into(),
            description: Some("<b>not bold</b>".into()),
            created_by: common::CAROL.into(),
            kind: db::vendors::OrgType::PrivateVendor,
            properties: None,
        },
    )
    .await?;
    db::vendors::register(&s.db, &vendor.id).await?;
    db::vendors::approve(&s.db, &vendor.id).await?;
    let (product, _) = db::products::create(
        &s.db,
        &db::products::NewProduct {
            name: "Example Public Cloud".into(),
            description: None,
            organization_id: vendor.id.clone(),
            created_by: common::CAROL.into(),
            product_type: 1,
            version: None,
            properties: None,
        },
    )
    .await?;
    db::products::update(
        &s.db,
        &product.id,
        &db::products::ProductUpdate {
            public: Some(true),
            ..Default::default()
        },
    )
    .await?;
    p.open("#/public_vendors").await?;
    p.wait_css("#vendors-table").await?;
    // Data is text: markup in names is shown, never interpreted.
    let cell = p
        .text(&format!("tr[data-vendor-id='{}'] td", vendor.id))
        .await?;
    ensure!(cell == "Example <Cloud> & Co", "vendor name {cell}");
    let bold = p
        .js("return document.querySelectorAll('#vendors-table b').length")
        .await?;
    ensure!(bold == 0, "markup was interpreted");
    p.open("#/public_products").await?;
    p.wait_css("#products-table").await?;
    let row = p
        .text(&format!("tr[data-product-id='{}']", product.id))
        .await?;
    ensure!(
        row.contains("Example Public Cloud")
            && row.contains("Public Cloud")
            && row.contains("Example <Cloud> & Co"),
        "product row {row}"
    );
    p.no_errors("on the catalog pages").await
}

/// The real guidelines (REFSTACK_SHARED_DATA), the API under a custom
/// prefix: the test list of 2020.06 uploaded as a run is compliant.
async fn real_guidelines(p: &Page<'_>, s: &Server) -> Result<()> {
    let list_path =
        "guidelines/2020.06.json/tests?target=platform&type=required&alias=true&flag=false";
    let text = reqwest::get(format!("{}/{list_path}", s.api))
        .await?
        .text()
        .await?;
    // Upload names as refstack-client does: without the [id-...] suffix.
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split('[').next().unwrap_or(l))
        .collect();
    ensure!(
        names.len() > 100,
        "real 2020.06 list has {} tests",
        names.len()
    );
    let id = s.upload("cpid-real", &names).await?;

    p.open("#/guidelines").await?;
    p.wait_css("#guideline-content .capability").await?;
    p.click("#test-list-button").await?;
    let count = p
        .wait_js(
            "test count",
            "document.querySelector('#test-count')?.dataset.count",
        )
        .await?;
    let want = s
        .test_list_count(
            "guidelines/2020.06.json/tests?target=platform&type=required&alias=true&flag=false",
        )
        .await?;
    ensure!(
        count.as_str().and_then(|c| c.parse::<usize>().ok()) == Some(want),
        "dialog {count}, API {want}"
    );
    let wget = p.text("#wget-line").await?;
    ensure!(
        wget.contains("/refstack-api/v1/guidelines/2020.06.json/tests?"),
        "{wget}"
    );
    p.shot("real-test-list").await?;
    p.wait_css("#test-list-dialog .dialog-actions button")
        .await?
        .send_keys("\u{e00c}")
        .await?;

    p.open(&format!("#/results/{id}")).await?;
    p.wait_css("#verdict").await?;
    let report = report_matches(p, s, &id, "").await?;
    ensure!(
        report["compliant"] == true,
        "the required list passes: {}",
        report["required"]
    );
    p.shot("real-result").await?;

    // The guideline browser labels capabilities (schemas 1.2, 1.6, 2.0,
    // add-on) exactly as the server's scoring resolves them.
    for (file, target) in [
        ("2020.06.json", "platform"),
        ("2020.06.json", "object"),
        ("2016.08.json", "compute"),
        ("2015.05.json", "platform"),
        ("2015.05.json", "object"),
        ("orchestration.2020.06.json", "orchestration"),
    ] {
        let report = s
            .get_json(&format!(
                "results/{id}/compliance?guideline={file}&target={target}"
            ))
            .await?;
        let mut want = serde_json::Map::new();
        for st in report["statuses"].as_array().into_iter().flatten() {
            for c in st["capabilities"].as_array().into_iter().flatten() {
                if let Some(cap) = c["id"].as_str() {
                    want.insert(cap.to_owned(), st["status"].clone());
                }
            }
        }
        let want = Value::Object(want);
        ensure!(
            want.as_object().is_some_and(|m| !m.is_empty()),
            "{file} {target}: {want}"
        );
        p.open(&format!("#/guidelines?version={file}&target={target}"))
            .await?;
        let script = format!(
            "return document.querySelector('#guideline-version')?.value === '{file}' && \
             Object.fromEntries([...document.querySelectorAll('#guideline-content .capability')]\
             .map(e => [e.dataset.capability, e.dataset.status]))"
        );
        let matched = poll("guideline statuses", || async {
            Ok((p.js(&script).await? == want).then_some(()))
        })
        .await;
        if matched.is_err() {
            let shown = p.js(&script).await?;
            bail!("{file} {target}: page {shown}\n  server {want}");
        }
    }
    p.no_errors("with the real guidelines").await
}

// ------------------------------------------------------------ the test

async fn fixture_scenarios(c: &Client, driver: &str, shots: Option<PathBuf>) -> Result<()> {
    let fixtures = common::fixture("guidelines");
    let s = Server::start(fixtures, |cfg| cfg.results_per_page = 2).await?;
    let p = Page {
        c,
        driver,
        base: s.base.clone(),
        api: s.api.clone(),
        shots,
    };
    let result = async {
        let good = s.upload("cpid-good", &[LIST_ALIAS, OBJ, ADV]).await?;
        let bad = s.upload("cpid-bad", &[OBJ]).await?;
        let mut ids = vec![good.clone(), bad.clone()];
        for i in 0..3 {
            ids.push(s.upload(&format!("cpid-{i}"), &[OBJ, ADV]).await?);
        }
        home_and_about(&p).await.context("home and about")?;
        guidelines(&p, &s).await.context("guidelines page")?;
        community_results(&p, &ids)
            .await
            .context("community results page")?;
        result_page(&p, &s, &good, &bad)
            .await
            .context("result page")?;
        catalog(&p, &s).await.context("catalog pages")
    }
    .await;
    s.stop().await;
    result
}

/// `serve --dev-login`: the header's "Sign in", the server's form, the signed-in header,
/// the session cookie hidden from scripts, CSRF on cookie writes, sign-out, and the
/// auth-failure page.
async fn dev_login_scenario(c: &Client, driver: &str, shots: Option<PathBuf>) -> Result<()> {
    let fixtures = common::fixture("guidelines");
    let s = Server::start(fixtures, |cfg| cfg.dev_login = true).await?;
    let p = Page {
        c,
        driver,
        base: s.base.clone(),
        api: s.api.clone(),
        shots,
    };
    let result = async {
        p.open("").await?;
        let link = p.text("#signin-link").await?;
        ensure!(link == "Sign in", "{link}");
        p.shot("signin-header-signed-out").await?;
        // A signed-in page offers sign-in and comes back to it.
        p.open("#/profile").await?;
        p.wait_js(
            "sign-in required",
            "document.querySelector('#main h1')?.textContent === 'Sign in required'",
        )
        .await?;
        p.click("#page-signin-link").await?;
        p.wait_css("#openid").await?;
        p.shot("signin-dev-form").await?;
        p.js(
            "document.getElementById('openid').value = 'https://openstackid.org/dana'; \
              document.getElementById('fullname').value = 'Dana Dev';",
        )
        .await?;
        p.click("#signin").await?;
        let name = p.text("#user-name").await?;
        ensure!(name == "Dana Dev", "header name {name}");
        let hash = p.js("return window.location.hash").await?;
        ensure!(hash == "#/profile", "back at {hash}");
        p.shot("signin-header-signed-in").await?;
        // The session id is HttpOnly; the CSRF token is readable.
        let cookies = p.js("return document.cookie").await?;
        let cookies = cookies.as_str().unwrap_or_default();
        ensure!(cookies.contains("refstack_csrf="), "{cookies}");
        ensure!(
            !cookies.split("; ").any(|c| c.starts_with("refstack=")),
            "{cookies}"
        );
        let post = |csrf: bool| {
            format!(
                "var x = new XMLHttpRequest(); x.open('POST', '{}/profile/tokens', false); \
                 x.setRequestHeader('Content-Type', 'application/json'); {} \
                 x.send('{{\"name\": \"from the page\"}}'); return x.status;",
                s.api,
                if csrf {
                    "x.setRequestHeader('X-CSRF-Token', document.cookie.split('; ') \
                     .find(c => c.startsWith('refstack_csrf=')).split('=')[1]);"
                } else {
                    ""
                }
            )
        };
        p.no_errors("signing in").await?;
        let refused = p.js(&post(false)).await?;
        ensure!(refused == json!(403), "without the CSRF header: {refused}");
        let created = p.js(&post(true)).await?;
        ensure!(created == json!(201), "with the CSRF header: {created}");
        // The console logs the refused probe without its URL: that entry only.
        let logged = p.console_errors().await?;
        ensure!(
            logged.iter().all(|m| m.contains("status of 403")),
            "console: {logged:?}"
        );
        // Sign out: the header offers sign-in again, the session is gone.
        p.click("#signout-link").await?;
        let link = p.text("#signin-link").await?;
        ensure!(link == "Sign in", "{link}");
        let status = p
            .js(&format!(
                "var x = new XMLHttpRequest(); x.open('GET', '{}/profile', false); x.send(); \
                 return x.status;",
                s.api
            ))
            .await?;
        ensure!(status == json!(401), "profile after sign-out: {status}");
        let logged = p.console_errors().await?;
        ensure!(
            logged.iter().all(|m| m.contains("status of 401")),
            "console: {logged:?}"
        );
        // Upstream's failure page.
        p.open("#/auth_failure?message=Authentication+canceled.")
            .await?;
        let alert = p.text("#main .alert").await?;
        ensure!(
            alert.contains("Authentication Failure: Authentication canceled."),
            "{alert}"
        );
        p.shot("signin-failure").await?;
        p.no_errors("on the sign-in pages").await
    }
    .await;
    s.stop().await;
    result
}

/// Sign-in with OpenID Connect in the browser against the npm `oidc-provider`: the
/// header's "Sign in", the provider's real login and consent forms, back on the UI
/// signed in, then sign-out through the provider's logout confirmation.
async fn oidc_scenario(c: &Client, driver: &str, shots: Option<PathBuf>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let Some(provider) = common::oidc::node_provider(
        "refstack-ui",
        "browser-secret",
        &[format!("{base}/api/v1/auth/signin_return")],
        std::slice::from_ref(&base),
    )
    .await
    else {
        return Ok(());
    };
    let issuer = provider.issuer.clone();
    let fixtures = common::fixture("guidelines");
    let s = Server::start_on(listener, fixtures, |cfg| {
        cfg.api_url = format!("{base}/api");
        cfg.oidc.issuer_url = issuer.clone();
        cfg.oidc.client_id = "refstack-ui".into();
        cfg.oidc.client_secret = refstack_server::config::Secret::new("browser-secret");
    })
    .await?;
    let p = Page {
        c,
        driver,
        base: s.base.clone(),
        api: s.api.clone(),
        shots,
    };
    let result = async {
        p.open("#/guidelines").await?;
        p.click("#signin-link").await?;
        // The provider's own development login form.
        let login = p.wait_css("input[name=login]").await?;
        p.shot("signin-oidc-provider-login").await?;
        login.send_keys("robin").await?;
        p.wait_css("input[name=password]")
            .await?
            .send_keys("any password")
            .await?;
        p.click("button[type=submit]").await?;
        // Its consent form.
        p.wait_js(
            "the consent form",
            "document.querySelector('input[name=prompt]')?.value === 'consent'",
        )
        .await?;
        p.shot("signin-oidc-provider-consent").await?;
        p.click("button[type=submit]").await?;
        // Back where the sign-in started, signed in.
        let name = p.text("#user-name").await?;
        ensure!(name == "User robin", "header name {name}");
        let hash = p.js("return window.location.hash").await?;
        ensure!(
            hash.as_str().is_some_and(|h| h.starts_with("#/guidelines")),
            "back at {hash}"
        );
        let me = s.db.db().clone();
        let user = db::users::get(&me, &format!("{issuer}#robin")).await?;
        ensure!(
            user.email.as_deref() == Some("robin@example.org"),
            "{user:?}"
        );
        p.shot("signin-oidc-signed-in").await?;
        // Sign-out: the provider asks for confirmation, then back to the UI.
        p.click("#signout-link").await?;
        p.wait_css("button[name=logout], button[type=submit]")
            .await?;
        p.shot("signin-oidc-provider-logout").await?;
        p.click("button[name=logout], button[type=submit]").await?;
        let link = p.text("#signin-link").await?;
        ensure!(link == "Sign in", "{link}");
        // The provider's pages load a web font this machine cannot reach: drop the
        // console entries logged on them, then check our page afresh.
        let logged = p.console_errors().await?;
        ensure!(
            logged
                .iter()
                .all(|m| m.contains(&issuer) || m.contains("fonts.googleapis.com")),
            "console: {logged:?}"
        );
        p.open("").await?;
        p.text("#signin-link").await?;
        p.no_errors("after the OpenID Connect sign-in and sign-out")
            .await
    }
    .await;
    s.stop().await;
    drop(provider);
    result
}

/// Issue 16: a configured guideline source that fails shows a banner naming
/// it, while the built-in guidelines are still listed.
async fn source_error_banner(c: &Client, driver: &str, shots: Option<PathBuf>) -> Result<()> {
    let free = std::net::TcpListener::bind("127.0.0.1:0")?;
    let dead = free.local_addr()?;
    drop(free);
    let empty = tempfile::tempdir()?;
    let s = Server::start(empty.path().to_owned(), |cfg| {
        cfg.guidelines.builtin = true;
        cfg.guidelines.fetch_timeout_secs = 2;
        cfg.guidelines.sources = Some(vec![refstack_server::config::SourceConfig::Gitea {
            repo_url: format!("http://{dead}/repo"),
            git_ref: None,
        }]);
    })
    .await?;
    let p = Page {
        c,
        driver,
        base: s.base.clone(),
        api: s.api.clone(),
        shots,
    };
    let result = async {
        p.open("#/guidelines").await?;
        p.wait_css("#guideline-content .capability").await?;
        let banner = p
            .wait_js(
                "the source error banner",
                "!document.querySelector('#source-errors').hidden \
                 && document.querySelector('#source-errors').textContent",
            )
            .await?;
        let text = banner.as_str().unwrap_or_default();
        ensure!(
            text.contains(&format!("gitea http://{dead}/repo: cannot connect")),
            "banner {text}"
        );
        // The built-in files are listed all the same.
        let version = p
            .js("return document.querySelector('#guideline-version').value")
            .await?;
        ensure!(version == "2020.06.json", "default version {version}");
        p.shot("source-error-banner").await?;
        p.no_errors("with a failing guideline source").await
    }
    .await;
    s.stop().await;
    result
}

async fn real_data_scenario(c: &Client, driver: &str, shots: Option<PathBuf>) -> Result<()> {
    let Some(data) = required_env("REFSTACK_SHARED_DATA", "the real guidelines") else {
        return Ok(());
    };
    let s = Server::start(PathBuf::from(data).join("guidelines"), |cfg| {
        cfg.api_prefix = "/refstack-api".into();
    })
    .await?;
    let p = Page {
        c,
        driver,
        base: s.base.clone(),
        api: s.api.clone(),
        shots,
    };
    let result = real_guidelines(&p, &s)
        .await
        .context("real guidelines under /refstack-api");
    s.stop().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_in_chromium() {
    let Some(driver_path) = required_env("REFSTACK_TEST_CHROMEDRIVER", "chromedriver") else {
        return;
    };
    let shots = std::env::var("REFSTACK_TEST_SCREENSHOTS")
        .ok()
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let driver = start_driver(&driver_path)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let client = start_browser(&driver, profile.path())
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let outcome = async {
        fixture_scenarios(&client, &driver.url, shots.clone()).await?;
        source_error_banner(&client, &driver.url, shots.clone())
            .await
            .context("source error banner")?;
        dev_login_scenario(&client, &driver.url, shots.clone())
            .await
            .context("dev login")?;
        oidc_scenario(&client, &driver.url, shots.clone())
            .await
            .context("OpenID Connect sign-in")?;
        real_data_scenario(&client, &driver.url, shots.clone()).await
    }
    .await;
    // Always end the browser session before reporting.
    let closed = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    if let Err(e) = closed {
        panic!("closing the browser: {e}");
    }
}

// ------------------------------------------------------------ signed-in pages

/// Where the signed-in flows save a screenshot of every page they pass:
/// `REFSTACK_TEST_SCREENSHOTS`, else `<target dir>/browser-screenshots`.
fn signed_in_shots() -> PathBuf {
    std::env::var("REFSTACK_TEST_SCREENSHOTS")
        .ok()
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
            tmp.parent().unwrap_or(tmp).join("browser-screenshots")
        })
        .join("signed-in")
}

const ADMIN: &str = "https://openstackid.org/foundation-admin";

impl Page<'_> {
    /// Sets a form control's value as typing would (input and change events).
    async fn fill(&self, css: &str, value: &str) -> Result<()> {
        self.wait_css(css).await?;
        self.c
            .execute(
                "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                 e.dispatchEvent(new Event('input', {bubbles: true})); \
                 e.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(css), json!(value)],
            )
            .await
            .with_context(|| format!("fill {css}"))?;
        Ok(())
    }

    /// Waits for the success message `want` shown after an action (an
    /// earlier message may still be on screen), failing on an error shown
    /// instead.
    async fn flash(&self, want: &str) -> Result<()> {
        let script = format!(
            "document.querySelector('#flash')?.textContent === {} ? 'ok' : \
             (document.querySelector('.action-error')?.textContent || '')",
            json!(want)
        );
        let got = self.wait_js(&format!("message {want:?}"), &script).await?;
        ensure!(got == "ok", "after the action: {got}, want {want:?}");
        Ok(())
    }

    /// Clicks a confirm-in-place button, then its "Yes".
    async fn confirm(&self, css: &str) -> Result<()> {
        self.wait_css(css).await?;
        // The button is replaced by the question: mark its box first.
        let marked = self
            .js(&format!(
                "const box = document.querySelector({})?.closest('.confirm-box'); \
                 if (box) box.dataset.pending = 'yes'; return !!box;",
                json!(css)
            ))
            .await?;
        ensure!(marked == true, "{css} is not a confirm button");
        self.click(css).await?;
        self.click(".confirm-box[data-pending='yes'] [data-confirm='yes']")
            .await
    }

    /// Waits until the page's h1 is `want`.
    async fn h1(&self, want: &str) -> Result<()> {
        let script = format!(
            "document.querySelector('#main h1')?.textContent === {}",
            json!(want)
        );
        self.wait_js(&format!("page {want:?}"), &script).await?;
        Ok(())
    }

    /// Signs in through the `--dev-login` form, then waits for the UI to
    /// show the user (the sign-in returns to `next`).
    async fn dev_sign_in(&self, openid: &str, name: &str, next: &str) -> Result<()> {
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        self.c
            .goto(&format!("{}/auth/signin?next={next}", self.api))
            .await?;
        self.fill("#openid", openid).await?;
        self.fill("#fullname", name).await?;
        self.fill("#email", "someone@example.org").await?;
        self.click("#signin").await?;
        let shown = self
            .wait_js(
                "the signed-in user in the header",
                "document.querySelector('#user-name')?.textContent",
            )
            .await?;
        ensure!(shown == name, "header shows {shown}");
        let menu = self
            .js("return document.querySelector('#user-nav').offsetParent !== null")
            .await?;
        ensure!(menu == true, "no signed-in menu");
        Ok(())
    }

    async fn sign_out(&self) -> Result<()> {
        self.click("#signout-link").await?;
        self.wait_css("#signin-link").await?;
        let user = self
            .js("return !!document.querySelector('#user-name')")
            .await?;
        ensure!(user == false, "still signed in after sign-out");
        Ok(())
    }
}

/// A signed upload with a fixture key; the run id.
async fn signed_upload(s: &Server, who: common::Who, cpid: &str, names: &[&str]) -> Result<String> {
    let body = common::upload_body(cpid, names);
    let signature = common::private_key(who).sign_hex(&body)?;
    let resp = http_client()
        .post(format!("{}/results", s.api))
        .header("x-signature", signature)
        .header("x-public-key", common::public_line(who))
        .body(body)
        .send()
        .await?;
    ensure!(resp.status() == 201, "signed upload: {}", resp.status());
    let body: Value = resp.json().await?;
    Ok(body["test_id"].as_str().unwrap_or_default().to_owned())
}

/// GET with a bearer token.
async fn get_with_token(s: &Server, token: &str, path: &str) -> Result<Value> {
    let resp = http_client()
        .get(format!("{}/{path}", s.api))
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(resp.status().is_success(), "GET {path}: {}", resp.status());
    Ok(resp.json().await?)
}

fn ids_of(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

/// The CSS suffix the UI gives a run's controls.
fn sfx(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// (a) and (c): sign in, import a key, a signed upload is under My
/// Results, an API token lists it, share it, it is in Community Results.
/// Returns the token.
async fn flow_key_upload_share(p: &Page<'_>, s: &Server) -> Result<(String, String)> {
    p.dev_sign_in(common::ALICE, "Alice Example", "/#/profile")
        .await?;
    p.h1("Profile").await?;
    let foundation = p
        .js("return document.querySelector('#foundation-nav').offsetParent !== null")
        .await?;
    ensure!(foundation == false, "a user sees the Foundation menu");
    let openid = p.text("#profile-openid").await?;
    ensure!(openid == common::ALICE, "profile openid {openid}");
    p.wait_css("#no-pubkeys").await?;
    p.shot("a01-profile-empty").await?;

    // Import the key with its self-signature (what `refstack-tester sign` prints).
    let line = common::public_line(common::Who::Alice);
    let self_sig = common::private_key(common::Who::Alice).sign_hex(b"signature")?;
    p.fill("#pubkey-raw", &format!("{line} alice@laptop"))
        .await?;
    p.fill("#pubkey-signature", &self_sig).await?;
    p.shot("a02-profile-import").await?;
    p.click("#pubkey-import").await?;
    p.flash("The public key was imported.").await?;
    let comment = p.text("#pubkeys-table tbody td:nth-child(3)").await?;
    ensure!(comment == "alice@laptop", "key comment {comment}");
    p.shot("a03-profile-key").await?;

    // A signed upload with that key is Alice's, private.
    let run = signed_upload(
        s,
        common::Who::Alice,
        "cpid-alice-a",
        &[LIST_ALIAS, OBJ, ADV],
    )
    .await?;
    let public = s.get_json("results").await?;
    ensure!(
        !ids_of(&public).contains(&run),
        "a signed run starts private"
    );
    p.open("#/user_results").await?;
    p.wait_css(&format!("#results-table tr[data-result-id='{run}']"))
        .await?;
    p.shot("a04-my-results").await?;

    // (c) An API token made on the profile page lists the private run.
    p.open("#/profile").await?;
    p.wait_css("#no-tokens").await?;
    p.fill("#token-name", "laptop").await?;
    p.click("#token-create").await?;
    let token = p
        .wait_js(
            "the new token",
            "document.querySelector('#new-token')?.textContent",
        )
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ensure!(token.starts_with("rst_"), "token {token}");
    p.flash("The API token \u{201c}laptop\u{201d} was created.")
        .await?;
    p.shot("c01-profile-token-created").await?;
    let mine = get_with_token(s, &token, "results?signed").await?;
    ensure!(ids_of(&mine) == vec![run.clone()], "signed list {mine}");
    let listed = p.text("#tokens-table tbody td").await?;
    ensure!(listed == "laptop", "token row {listed}");
    p.shot("c02-profile-tokens").await?;

    // Share it from My Results.
    p.open("#/user_results").await?;
    p.click(&format!("button[data-edit='{run}']")).await?;
    let x = sfx(&run);
    p.wait_css(&format!("#edit-shared-{x}")).await?;
    p.click(&format!("#edit-shared-{x}")).await?;
    p.shot("a05-my-results-edit").await?;
    p.click(&format!("#edit-save-{x}")).await?;
    p.flash("The test run was updated.").await?;
    p.wait_css(&format!("tr[data-result-id='{run}'] [data-shared='true']"))
        .await?;
    p.shot("a06-my-results-shared").await?;
    let public = s.get_json("results").await?;
    ensure!(ids_of(&public).contains(&run), "shared run is public");
    p.open("#/community_results").await?;
    p.wait_css(&format!("#results-table tr[data-result-id='{run}']"))
        .await?;
    p.shot("a07-community-results").await?;
    p.no_errors("in flow (a)").await?;
    Ok((run, token))
}

/// (b) vendor → registration → approval → product and version with a
/// cpid → a signed upload is associated → verified.
async fn flow_vendor_product_verify(
    p: &Page<'_>,
    s: &Server,
    token: &str,
) -> Result<(String, String, String)> {
    // Alice (still signed in) creates and registers a vendor.
    p.open("#/user_vendors").await?;
    p.h1("My Vendors").await?;
    p.fill("#vendor-name", "Alice <Clouds> & Co").await?;
    p.fill("#vendor-description", "Clouds by Alice").await?;
    p.shot("b01-my-vendors").await?;
    p.click("#vendor-create").await?;
    p.flash("The vendor was created.").await?;
    p.h1("Alice <Clouds> & Co").await?;
    let vendor_id = p
        .js("return location.hash.split('/').pop()")
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let kind = p.text("#vendor-type").await?;
    ensure!(kind == "Private", "new vendor type {kind}");
    // Only the actions Alice may take: no approval controls.
    let approve = p.js("return !!document.querySelector('#approve')").await?;
    ensure!(approve == false, "a vendor user sees the approve button");
    p.shot("b02-vendor-private").await?;
    p.click("#vendor-register").await?;
    p.flash("The vendor is registered and waits for the foundation\u{2019}s approval.")
        .await?;
    let kind = p.text("#vendor-type").await?;
    ensure!(kind == "Pending approval", "registered vendor type {kind}");
    p.shot("b03-vendor-pending").await?;
    p.sign_out().await?;

    // The foundation admin approves it.
    db::users::upsert(
        &s.db,
        &db::users::NewUser {
            openid: ADMIN.into(),
            email: None,
            fullname: Some("Foundation Admin".into()),
        },
    )
    .await?;
    db::users::set_foundation_admin(&s.db, ADMIN, true).await?;
    p.dev_sign_in(ADMIN, "Foundation Admin", "/#/foundation")
        .await?;
    p.h1("Foundation").await?;
    let foundation = p
        .js("return document.querySelector('#foundation-nav').offsetParent !== null")
        .await?;
    ensure!(foundation == true, "no Foundation menu for the admin");
    p.wait_css(&format!("#pending-table tr[data-vendor-id='{vendor_id}']"))
        .await?;
    p.shot("b04-foundation-pending").await?;
    p.click(&format!("#approve-{vendor_id}")).await?;
    p.flash("The vendor is approved and now official.").await?;
    p.wait_css("#no-pending").await?;
    p.shot("b05-foundation-approved").await?;
    p.sign_out().await?;

    // Alice: product and version with a cpid.
    p.dev_sign_in(common::ALICE, "Alice Example", "/#/user_products")
        .await?;
    p.h1("My Products").await?;
    p.fill("#product-name", "Alice Public Cloud").await?;
    p.fill("#product-type", "1").await?;
    p.fill("#product-vendor", &vendor_id).await?;
    p.shot("b06-my-products").await?;
    p.click("#product-create").await?;
    p.flash("The product was created.").await?;
    p.h1("Alice Public Cloud").await?;
    p.click("#product-publicity").await?;
    p.flash("The product is now public.").await?;
    p.fill("#new-version", "2025.1").await?;
    p.fill("#new-version-cpid", "cpid-alice-b").await?;
    p.click("#version-add").await?;
    p.flash("The version was added.").await?;
    p.wait_css("#versions-table tr[data-version='2025.1']")
        .await?;
    p.shot("b07-product").await?;

    // A new signed upload with that cpid is associated automatically.
    let run = signed_upload(s, common::Who::Alice, "cpid-alice-b", &[LIST_ALIAS, OBJ]).await?;
    let detail = get_with_token(s, token, &format!("results/{run}")).await?;
    ensure!(
        detail["product_version"]["version"] == "2025.1",
        "auto-association: {}",
        detail["product_version"]
    );
    // Alice shares it with a guideline and a target on the report page.
    p.open(&format!("#/results/{run}")).await?;
    let x = sfx(&run);
    p.wait_css(&format!("#edit-shared-{x}")).await?;
    let product = p
        .js(&format!(
            "return document.querySelector('#edit-version-{x}').selectedOptions[0]?.textContent"
        ))
        .await?;
    ensure!(product == "2025.1", "editor shows version {product}");
    let verify = p
        .js("return !!document.querySelector('#foundation-controls')")
        .await?;
    ensure!(verify == false, "an owner sees the verification controls");
    p.click(&format!("#edit-shared-{x}")).await?;
    p.fill(&format!("#edit-guideline-{x}"), "2020.06.json")
        .await?;
    p.fill(&format!("#edit-target-{x}"), "platform").await?;
    p.click(&format!("#edit-save-{x}")).await?;
    p.flash("The test run was updated.").await?;
    let shared = p.text("#run-shared").await?;
    ensure!(shared == "yes", "shared {shared}");
    p.shot("b08-report-owner").await?;
    p.sign_out().await?;

    // The admin verifies it.
    p.dev_sign_in(ADMIN, "Foundation Admin", &format!("/#/results/{run}"))
        .await?;
    p.wait_css("#foundation-controls").await?;
    p.click(&format!("#verify-{x}")).await?;
    p.flash("The test run is verified.").await?;
    let verified = p.text("#run-verified").await?;
    ensure!(verified == "YES", "verified {verified}");
    p.shot("b09-report-verified").await?;
    let detail = s.get_json(&format!("results/{run}")).await?;
    ensure!(detail["verification_status"] == 1, "API {detail}");
    // The product page lists the verified run under its version.
    let product_id = detail["product_version"]["product_info"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    p.open(&format!("#/product/{product_id}")).await?;
    p.wait_css(&format!(
        "#versions-table tr[data-version='2025.1'] .verified-runs a[href='#/results/{run}']"
    ))
    .await?;
    p.shot("b10-product-verified").await?;
    p.open("#/foundation").await?;
    p.wait_css(&format!("#verify-table tr[data-result-id='{run}']"))
        .await?;
    p.shot("b11-foundation").await?;
    p.no_errors("in flow (b)").await?;
    Ok((run, product_id, vendor_id))
}

/// (e) the other actions: vendor users, edit, decline with a reason,
/// delete; a refused deletion shows the server's reason; token revocation,
/// key deletion; unshare and delete a run. Starts with the admin signed in.
async fn flow_other_actions(
    p: &Page<'_>,
    s: &Server,
    token: &str,
    first_run: &str,
    verified_run: &str,
    product_id: &str,
    official_vendor: &str,
) -> Result<()> {
    // The foundation unverifies a run, and verifies it again.
    p.open(&format!("#/results/{verified_run}")).await?;
    let v = sfx(verified_run);
    p.click(&format!("#verify-{v}[data-verify='0']")).await?;
    p.flash("The test run is no longer verified.").await?;
    p.wait_css(&format!("#verify-{v}[data-verify='1']")).await?;
    let shown = p
        .js("return !!document.querySelector('#run-verified')")
        .await?;
    ensure!(shown == false, "unverified run shows Verified");
    let detail = s.get_json(&format!("results/{verified_run}")).await?;
    ensure!(detail["verification_status"] == 0, "API {detail}");
    p.shot("e00-report-unverified").await?;
    p.click(&format!("#verify-{v}[data-verify='1']")).await?;
    p.flash("The test run is verified.").await?;
    p.wait_css("#run-verified").await?;
    db::users::upsert(
        &s.db,
        &db::users::NewUser {
            openid: common::BOB.into(),
            email: None,
            fullname: Some("Bob".into()),
        },
    )
    .await?;
    p.sign_out().await?;
    p.dev_sign_in(common::ALICE, "Alice Example", "/#/user_vendors")
        .await?;
    p.h1("My Vendors").await?;
    p.fill("#vendor-name", "Second Vendor").await?;
    p.click("#vendor-create").await?;
    p.flash("The vendor was created.").await?;
    let vendor_id = p
        .js("return location.hash.split('/').pop()")
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Users: add Bob, remove him.
    p.fill("#vendor-user-openid", common::BOB).await?;
    p.click("#vendor-user-add").await?;
    p.flash("The user was added.").await?;
    let bob_row = format!("#vendor-users-table tr[data-openid='{}']", common::BOB);
    p.wait_css(&bob_row).await?;
    p.shot("e01-vendor-users").await?;
    p.confirm(&format!("{bob_row} button")).await?;
    p.flash("The user was removed.").await?;
    let gone = p
        .js(&format!(
            "return !document.querySelector({})",
            json!(bob_row)
        ))
        .await?;
    ensure!(gone == true, "bob still listed");
    // Edit the description.
    p.click("#edit-vendor summary").await?;
    p.fill("#edit-vendor-description", "Edited <i>text</i>")
        .await?;
    p.click("#edit-vendor-save").await?;
    p.flash("The vendor was updated.").await?;
    let text = p.text("#vendor-description-text").await?;
    ensure!(text == "Edited <i>text</i>", "description {text}");
    p.click("#vendor-register").await?;
    p.flash("The vendor is registered and waits for the foundation\u{2019}s approval.")
        .await?;
    p.sign_out().await?;

    // The foundation declines with a reason.
    p.dev_sign_in(ADMIN, "Foundation Admin", &format!("/#/vendor/{vendor_id}"))
        .await?;
    p.h1("Second Vendor").await?;
    p.fill("#deny-reason", "Missing contact details").await?;
    p.shot("e02-vendor-decline").await?;
    p.click("#deny").await?;
    p.flash("The registration was declined.").await?;
    let reason = p.text("#decline-reason").await?;
    ensure!(reason == "Missing contact details", "reason {reason}");
    p.sign_out().await?;

    // Alice sees the reason and deletes the vendor.
    p.dev_sign_in(
        common::ALICE,
        "Alice Example",
        &format!("/#/vendor/{vendor_id}"),
    )
    .await?;
    let reason = p.text("#decline-reason").await?;
    ensure!(reason == "Missing contact details", "reason {reason}");
    p.shot("e03-vendor-declined").await?;
    p.confirm("#vendor-delete").await?;
    p.flash("The vendor was deleted.").await?;
    p.h1("My Vendors").await?;

    // The server refuses to delete a version with a verified run; the page says why.
    p.open(&format!("#/product/{product_id}")).await?;
    p.wait_css("#versions-table tr[data-version='2025.1'] [data-delete-version]")
        .await?;
    p.confirm("#versions-table tr[data-version='2025.1'] [data-delete-version]")
        .await?;
    let refused = p
        .wait_js(
            "the refusal",
            "document.querySelector('#product-status .action-error')?.textContent",
        )
        .await?;
    ensure!(
        refused
            .as_str()
            .is_some_and(|r| r.contains("Unable to delete")),
        "refusal {refused}"
    );
    p.shot("e04-product-refused").await?;
    // Set the implicit version's cpid; add a version and delete it.
    p.fill(
        "#versions-table tr[data-version=''] [data-cpid-of]",
        "cpid-null-version",
    )
    .await?;
    p.click("#versions-table tr[data-version=''] [data-save-cpid]")
        .await?;
    p.flash("The cloud ID was saved.").await?;
    p.wait_js(
        "the saved cpid",
        "document.querySelector(\"#versions-table tr[data-version=''] [data-cpid-of]\")?.value === 'cpid-null-version'",
    )
    .await?;
    p.fill("#new-version", "2026.1").await?;
    p.click("#version-add").await?;
    p.flash("The version was added.").await?;
    p.confirm("#versions-table tr[data-version='2026.1'] [data-delete-version]")
        .await?;
    p.flash("The version was deleted.").await?;
    // Another product: rename it, then delete it.
    p.open("#/user_products").await?;
    p.h1("My Products").await?;
    p.fill("#product-name", "Throwaway").await?;
    p.fill("#product-type", "0").await?;
    p.click("#product-create").await?;
    p.flash("The product was created.").await?;
    p.h1("Throwaway").await?;
    let kind = p.text("#product-type-text").await?;
    ensure!(kind == "Distro", "type {kind}");
    p.click("#edit-product summary").await?;
    p.fill("#edit-product-name", "Throwaway Distro").await?;
    p.click("#edit-product-save").await?;
    p.flash("The product was updated.").await?;
    p.h1("Throwaway Distro").await?;
    p.confirm("#product-delete").await?;
    p.flash("The product was deleted.").await?;
    p.h1("My Products").await?;
    let listed = p
        .js("return document.querySelector('#my-products-table').textContent.includes('Throwaway')")
        .await?;
    ensure!(listed == false, "deleted product still listed");
    p.shot("e04b-my-products").await?;

    // Unshare the first run, then delete it.
    p.open(&format!("#/results/{first_run}")).await?;
    let x = sfx(first_run);
    p.wait_css(&format!("#edit-shared-{x}")).await?;
    p.click(&format!("#edit-shared-{x}")).await?;
    p.click(&format!("#edit-save-{x}")).await?;
    p.flash("The test run was updated.").await?;
    let shared = p.text("#run-shared").await?;
    ensure!(shared == "no", "shared {shared}");
    let public = s.get_json("results").await?;
    ensure!(
        !ids_of(&public).contains(&first_run.to_owned()),
        "unshared run still public"
    );
    p.confirm(&format!("#edit-delete-{x}")).await?;
    p.flash("The test run was deleted.").await?;
    p.h1("My Results").await?;
    p.shot("e05-my-results-after-delete").await?;

    // Revoke the token; delete the key.
    p.open("#/profile").await?;
    p.h1("Profile").await?;
    p.confirm("#tokens-table [data-revoke]").await?;
    p.flash("The token was revoked.").await?;
    p.wait_css("#no-tokens").await?;
    let resp = http_client()
        .get(format!("{}/results?signed", s.api))
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(resp.status() == 401, "revoked token: {}", resp.status());
    p.confirm("#pubkeys-table [data-delete-key]").await?;
    p.flash("The key was deleted.").await?;
    p.wait_css("#no-pubkeys").await?;
    p.shot("e06-profile-after-revoke").await?;
    p.sign_out().await?;

    // Bob, signed in but no user of the vendor: the pages offer him nothing to change.
    p.dev_sign_in(common::BOB, "Bob", &format!("/#/vendor/{official_vendor}"))
        .await?;
    p.wait_css("#vendor-details").await?;
    let none = "!document.querySelector('#vendor-actions') && !document.querySelector('#edit-vendor') \
                && !document.querySelector('#vendor-users')";
    ensure!(
        p.js(&format!("return {none}")).await? == true,
        "Bob sees vendor controls"
    );
    p.shot("e07-vendor-other-user").await?;
    p.open(&format!("#/product/{product_id}")).await?;
    p.wait_css("#versions-table").await?;
    let none = "!document.querySelector('#product-actions') && !document.querySelector('#version-form') \
                && !document.querySelector('[data-save-cpid]')";
    ensure!(
        p.js(&format!("return {none}")).await? == true,
        "Bob sees product controls"
    );
    p.shot("e08-product-other-user").await?;
    p.open(&format!("#/results/{verified_run}")).await?;
    p.wait_css("#verdict").await?;
    let manage = p.js("return !!document.querySelector('#manage')").await?;
    ensure!(manage == false, "Bob sees the run's controls");
    p.shot("e09-report-other-user").await?;
    p.no_errors("in flow (e)").await
}

/// (d) after sign-out the private pages ask to sign in; the failure page.
async fn flow_signed_out(p: &Page<'_>, shared_run: &str) -> Result<()> {
    p.sign_out().await?;
    for (route, name) in [
        ("user_results", "d01-my-results"),
        ("profile", "d02-profile"),
        ("user_vendors", "d03-my-vendors"),
        ("user_products", "d04-my-products"),
        ("foundation", "d05-foundation"),
    ] {
        p.open(&format!("#/{route}")).await?;
        p.h1("Sign in required").await?;
        let link = p
            .js("return document.querySelector('#page-signin-link')?.getAttribute('href')")
            .await?;
        ensure!(
            link.as_str()
                .is_some_and(|l| l.contains("auth/signin?next=%2F%23%2F")),
            "{route}: sign-in link {link}"
        );
        p.shot(name).await?;
    }
    // Anonymous: a shared run's report has no controls.
    p.open(&format!("#/results/{shared_run}")).await?;
    p.wait_css("#verdict").await?;
    let manage = p.js("return !!document.querySelector('#manage')").await?;
    ensure!(manage == false, "anonymous sees the run's controls");
    p.shot("d06-report-anonymous").await?;
    p.open("#/auth_failure?message=Authentication%20canceled.")
        .await?;
    let message = p.text("#auth-message").await?;
    ensure!(message == "Authentication canceled.", "{message}");
    p.shot("d07-auth-failure").await?;
    p.no_errors("in flow (d)").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_pages_in_chromium() {
    let Some(driver_path) = required_env("REFSTACK_TEST_CHROMEDRIVER", "chromedriver") else {
        return;
    };
    let shots = signed_in_shots();
    // Only this run's pictures.
    let _ = std::fs::remove_dir_all(&shots);
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let driver = start_driver(&driver_path)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let client = start_browser(&driver, profile.path())
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let outcome = async {
        let s = Server::start(common::fixture("guidelines"), |cfg| cfg.dev_login = true).await?;
        let p = Page {
            c: &client,
            driver: &driver.url,
            base: s.base.clone(),
            api: s.api.clone(),
            shots: Some(shots.clone()),
        };
        let result = async {
            let (run, token) = flow_key_upload_share(&p, &s)
                .await
                .context("flow (a)/(c): key, signed upload, token, share")?;
            let (verified, product, vendor) = flow_vendor_product_verify(&p, &s, &token)
                .await
                .context("flow (b): vendor, product, verification")?;
            flow_other_actions(&p, &s, &token, &run, &verified, &product, &vendor)
                .await
                .context("flow (e): the other actions")?;
            flow_signed_out(&p, &verified)
                .await
                .context("flow (d): signed out")
        }
        .await;
        if result.is_err() {
            let _ = p.shot("zz-failure").await;
        }
        s.stop().await;
        result
    }
    .await;
    let closed = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    if let Err(e) = closed {
        panic!("closing the browser: {e}");
    }
    eprintln!("screenshots: {}", shots.display());
}

/// A plain HTTP client (rustls's ring provider installed first).
fn http_client() -> reqwest::Client {
    refstack_server::ensure_crypto_provider();
    reqwest::Client::new()
}
