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
//! `REFSTACK_SHARED_DATA` (same rule). With `REFSTACK_TEST_SCREENSHOTS=DIR`
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
    ClientBuilder::rustls()
        .context("rustls connector")?
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
        let db = db::testing::sqlite().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let mut cfg = Config::default();
        cfg.guidelines.dir = Some(guidelines);
        // The given files only (the banner scenario turns the built-in ones on).
        cfg.guidelines.builtin = false;
        cfg.ui_url = format!("http://{addr}");
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
        let resp = reqwest::Client::new()
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
        let resp = reqwest::Client::new()
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
        let resp = reqwest::Client::new()
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
