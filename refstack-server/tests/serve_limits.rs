//! The connection layer over real sockets (issue 15 items 4 and 5): header,
//! keep-alive and body-progress timeouts, the connection cap, and shutdown
//! with a bounded grace period. Timeouts here are hang guards far above the
//! configured limits, never measurements.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TestApp, base_config};
use refstack_server::serve::ConnLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const GUARD: Duration = Duration::from_secs(20);

async fn sqlite_app(cfg: refstack_server::Config) -> TestApp {
    TestApp::new(refstack_server::db::testing::sqlite().await, cfg).await
}

fn limits() -> ConnLimits {
    ConnLimits {
        max_connections: 64,
        header_timeout: Duration::from_secs(600),
        keepalive_timeout: Duration::from_secs(600),
        shutdown_grace: Duration::from_secs(600),
    }
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(t: &TestApp, limits: ConnLimits) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Self::on(listener, t, limits)
    }

    fn on(listener: tokio::net::TcpListener, t: &TestApp, limits: ConnLimits) -> Server {
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(refstack_server::serve::serve(
            listener,
            t.app.clone(),
            async move {
                let _ = rx.await;
            },
            limits,
        ));
        Server {
            addr,
            stop: Some(tx),
            handle,
        }
    }

    /// Sends the shutdown signal and waits (guarded) for `serve` to return.
    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(GUARD, self.handle)
            .await
            .expect("serve returned after the signal")
            .expect("join")
            .expect("serve");
    }
}

const GET: &[u8] = b"GET /v1/results HTTP/1.1\r\nHost: x\r\n\r\n";

/// Reads one response with a `Content-Length` body; returns its head and body.
async fn read_response(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= len {
                return text;
            }
        }
        let n = tokio::time::timeout(GUARD, s.read(&mut chunk))
            .await
            .expect("response in time")
            .expect("read");
        assert!(n > 0, "closed before a full response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Waits (guarded) until the server closes `s`; returns what it still sent.
async fn until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(GUARD, s.read_to_end(&mut out))
        .await
        .expect("the server closed the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_half_sent_header_is_dropped_after_the_header_timeout() {
    let t = sqlite_app(base_config()).await;
    let server = Server::start(
        &t,
        ConnLimits {
            header_timeout: Duration::from_secs(1),
            ..limits()
        },
    )
    .await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(b"GET /v1/results HTTP/1.1\r\nHo")
        .await
        .expect("write");
    let rest = until_closed(&mut s).await;
    assert!(!rest.starts_with("HTTP/1.1 200"), "{rest}");
    // The server still serves others.
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(GET).await.expect("write");
    assert!(read_response(&mut s).await.starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let t = sqlite_app(base_config()).await;
    let server = Server::start(
        &t,
        ConnLimits {
            keepalive_timeout: Duration::from_secs(1),
            ..limits()
        },
    )
    .await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    for _ in 0..2 {
        s.write_all(GET).await.expect("write");
        let resp = read_response(&mut s).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            !resp.to_ascii_lowercase().contains("connection: close"),
            "{resp}"
        );
    }
    assert_eq!(until_closed(&mut s).await, "", "closed without a word");
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_are_shed_at_the_cap() {
    let t = sqlite_app(base_config()).await;
    let server = Server::start(
        &t,
        ConnLimits {
            max_connections: 4,
            ..limits()
        },
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(server.addr).await.expect("connect");
        s.write_all(GET).await.expect("write");
        assert!(read_response(&mut s).await.starts_with("HTTP/1.1 200"));
        idle.push(s);
    }
    // A fifth client is answered although four idle connections hold every
    // slot and no timeout would free one for ten minutes.
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(GET).await.expect("write");
    let resp = read_response(&mut s).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let mut closed = 0;
    for mut s in idle {
        let mut b = [0u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(500), s.read(&mut b)).await {
            closed += 1;
        }
    }
    assert!(closed >= 1, "an idle connection made room");
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_body_is_answered_408() {
    let mut cfg = base_config();
    cfg.connections.body_timeout_secs = 1;
    let t = sqlite_app(cfg).await;
    let server = Server::start(&t, limits()).await;
    let body = common::upload_body("stalled", &["t.a", "t.b"]);
    let head = format!(
        "POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("head");
    s.write_all(&body[..10]).await.expect("part");
    let resp = read_response(&mut s).await;
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.contains("\"code\":408"), "{resp}");
    assert!(resp.contains("body_timeout_secs"), "{resp}");
    server.stop().await;
    let page = refstack_server::db::results::list_runs(
        t.dbh(),
        &refstack_server::db::results::RunFilter::default(),
        1,
        20,
    )
    .await
    .expect("list");
    assert_eq!(page.total, 0, "nothing stored");
}

#[tokio::test]
async fn shutdown_ends_within_the_grace_period_despite_a_half_sent_request() {
    let t = sqlite_app(base_config()).await;
    let server = Server::start(
        &t,
        ConnLimits {
            shutdown_grace: Duration::from_secs(1),
            ..limits()
        },
    )
    .await;
    let mut held = TcpStream::connect(server.addr).await.expect("connect");
    held.write_all(b"POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Le")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop().await;
    until_closed(&mut held).await;
}

#[tokio::test]
async fn requests_sent_just_before_the_signal_are_answered() {
    let t = sqlite_app(base_config()).await;
    // Connected and fully sent before the server even runs: they wait in
    // the listen backlog when the signal arrives.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut early = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(GET).await.expect("write");
        early.push(s);
    }
    let server = Server::on(listener, &t, limits());
    // And one on an accepted, kept-alive connection, sent as the signal goes.
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    kept.write_all(GET).await.expect("write");
    assert!(read_response(&mut kept).await.starts_with("HTTP/1.1 200"));
    kept.write_all(GET).await.expect("write");
    let stopping = tokio::spawn(server.stop());
    for mut s in early.into_iter().chain([kept]) {
        let resp = read_response(&mut s).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    }
    stopping.await.expect("stopped");
}
