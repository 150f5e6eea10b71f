//! The connection layer: accepts TCP connections and serves HTTP/1.1 on them
//! with hyper, under limits a public server needs (issue 15 items 4 and 5).
//!
//! - **Connection cap** ([`ConnLimits::max_connections`]): at the cap the
//!   accept loop stops accepting (new connections wait in the kernel's listen
//!   backlog), logs it at most every 10 s, and asks every idle keep-alive
//!   connection to close, so that a crowd of idle sockets cannot starve real
//!   requests or exhaust the process's file descriptors.
//! - **Header timeout**: hyper's `header_read_timeout`, counted from the
//!   moment a connection is ready for a request (just accepted, or after its
//!   previous answer) until the request head has fully arrived.
//! - **Keep-alive idle timeout**: a connection with no request in flight and
//!   no byte of a new one is closed after [`ConnLimits::keepalive_timeout`].
//! - **Body progress** is enforced per request in [`crate::app`]
//!   (`body_timeout_secs`), the whole request by `request_timeout_secs`.
//! - **Shutdown**: the accept loop stops, the connections already waiting in
//!   the backlog are still accepted, answers carry `Connection: close`, idle
//!   connections close after a short linger (so a request sent just before
//!   the signal is read and answered, not reset), and whatever is still open
//!   after [`ConnLimits::shutdown_grace`] is dropped.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, header};
use futures_util::FutureExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// How long an idle connection is kept open after shutdown starts, so that a
/// request already on its way is read and answered rather than reset.
const SHUTDOWN_LINGER: Duration = Duration::from_millis(250);

/// File descriptors kept free of connections by the automatic cap (database
/// pool, guideline files, log files, outgoing requests).
const FD_RESERVE: u64 = 128;

/// Limits of the connection layer. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLimits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Longest wait for a complete request head.
    pub header_timeout: Duration,
    /// Longest idle time between requests on a kept-alive connection.
    pub keepalive_timeout: Duration,
    /// Longest wait for open connections after shutdown starts.
    pub shutdown_grace: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self::from_config(&crate::config::ConnectionsConfig::default())
    }
}

impl ConnLimits {
    /// The limits of a configuration; `max_connections = 0` is the open-file
    /// limit minus a reserve of 128 (at least 16).
    pub fn from_config(c: &crate::config::ConnectionsConfig) -> Self {
        let max_connections = if c.max_connections > 0 {
            c.max_connections
        } else {
            auto_max_connections()
        };
        Self {
            max_connections,
            header_timeout: Duration::from_secs(c.header_timeout_secs),
            keepalive_timeout: Duration::from_secs(c.keepalive_timeout_secs),
            shutdown_grace: Duration::from_secs(c.shutdown_grace_secs),
        }
    }
}

/// The process's soft open-file limit, if the platform tells.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

fn auto_max_connections() -> usize {
    let limit = open_file_limit().unwrap_or(1024);
    usize::try_from(limit.saturating_sub(FD_RESERVE).max(16)).unwrap_or(usize::MAX)
}

/// Serves `app` on `listener` with `limits` until `shutdown` resolves, then
/// drains as the module docs say.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnLimits,
) -> std::io::Result<()> {
    let limits = Arc::new(limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let pressure = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let mut last_warning: Option<Instant> = None;
    let connection = || Connection {
        app: app.clone(),
        limits: limits.clone(),
        pressure: pressure.clone(),
        stop: stop_rx.clone(),
    };
    tokio::pin!(shutdown);

    'accept: loop {
        while conns.try_join_next().is_some() {}
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                    last_warning = Some(Instant::now());
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: idle keep-alive connections are closed and \
                         new connections wait in the listen backlog (raise `max_connections` \
                         in [connections] and the open-file limit to serve more at once)"
                    );
                }
                pressure.notify_waiters();
                tokio::select! {
                    p = permits.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break 'accept,
                    },
                    () = &mut shutdown => break 'accept,
                }
            }
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    conns.spawn(connection().run(stream, Some(permit)));
                }
                Err(e) => accept_error(e).await,
            },
            () = &mut shutdown => break 'accept,
        }
    }

    // Shutdown: requests already waiting in the backlog are still served.
    let _ = stop_tx.send(true);
    while let Some(Ok((stream, _))) = listener.accept().now_or_never() {
        conns.spawn(connection().run(stream, None));
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = conns.len(),
            grace_secs = limits.shutdown_grace.as_secs(),
            "connections still open after the shutdown grace period are closed"
        );
        conns.shutdown().await;
    }
    Ok(())
}

/// Errors of `accept` are per connection (reset before accept, ...), except
/// running out of file descriptors or memory: then wait a little instead of
/// spinning.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// What one connection shares with its watchdog.
#[derive(Debug)]
struct Activity {
    /// When the connection layer started (base of the millisecond clock).
    epoch: Instant,
    /// Requests whose answer has not been fully written yet.
    in_flight: AtomicUsize,
    /// Bytes were read since the connection last became idle (a request
    /// head is on its way).
    partial: AtomicBool,
    /// Milliseconds since `epoch` of the last read or finished answer.
    last_activity_ms: AtomicU64,
    /// Shutdown started: answers carry `Connection: close`.
    closing: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            partial: AtomicBool::new(false),
            last_activity_ms: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && !self.partial.load(Ordering::Acquire)
    }

    /// How long the connection has been idle, or `None` when it is not.
    fn idle_for(&self) -> Option<Duration> {
        if !self.idle() {
            return None;
        }
        let last = Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed));
        Some(self.epoch.elapsed().saturating_sub(last))
    }
}

struct Connection {
    app: Router,
    limits: Arc<ConnLimits>,
    pressure: Arc<Notify>,
    stop: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, _permit: Option<tokio::sync::OwnedSemaphorePermit>) {
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(ActivityIo {
            inner: stream,
            activity: activity.clone(),
        });
        let app = self.app.clone();
        let svc_activity = activity.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let activity = svc_activity.clone();
            activity.in_flight.fetch_add(1, Ordering::AcqRel);
            activity.partial.store(false, Ordering::Release);
            let app = app.clone();
            async move {
                let guard = InFlight(activity.clone());
                let resp = match app.oneshot(req.map(Body::new)).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                let (mut parts, body) = resp.into_parts();
                if activity.closing.load(Ordering::Acquire) {
                    parts
                        .headers
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                let body = Body::new(TrackedBody {
                    inner: body,
                    _guard: guard,
                });
                Ok::<_, Infallible>(Response::from_parts(parts, body))
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .keep_alive(true);
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        let keepalive = self.limits.keepalive_timeout;
        let mut shutting_down = *self.stop.borrow();
        let mut closed = false;
        if shutting_down {
            activity.closing.store(true, Ordering::Release);
        }
        loop {
            let wait = if shutting_down {
                SHUTDOWN_LINGER
            } else {
                keepalive
            };
            let check_in = match activity.idle_for() {
                Some(idle) => wait.saturating_sub(idle),
                None => wait,
            }
            .max(Duration::from_millis(10));
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = tokio::time::sleep(check_in), if !closed => {
                    if activity.idle_for().is_some_and(|idle| idle >= wait) {
                        conn.as_mut().graceful_shutdown();
                        closed = true;
                    }
                }
                () = self.pressure.notified(), if !closed && !shutting_down => {
                    if activity.idle() {
                        conn.as_mut().graceful_shutdown();
                        closed = true;
                    }
                }
                changed = self.stop.changed(), if !shutting_down => {
                    if changed.is_err() || *self.stop.borrow() {
                        shutting_down = true;
                        activity.closing.store(true, Ordering::Release);
                        activity.touch();
                    }
                }
            }
        }
    }
}

/// Marks the end of a request's answer when the answer's body is dropped
/// (hyper drops it once written, or when the connection fails).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer body that holds its [`InFlight`] guard.
struct TrackedBody {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, recording when bytes arrive.
struct ActivityIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for ActivityIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
            if self.activity.in_flight.load(Ordering::Acquire) == 0 {
                self.activity.partial.store(true, Ordering::Release);
            }
        }
        polled
    }
}

impl AsyncWrite for ActivityIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
