//! A small closed-loop HTTP/1.1 load generator over blocking std sockets.
//!
//! Each connection is one thread that sends the same pre-built request
//! again and again, reusing the connection when the server keeps it alive
//! and reconnecting when it closes it (gunicorn's sync workers close after
//! every response; connection setup then counts in the latency, as it does
//! for a real client).
//!
//! [`run_rate`] is the open-loop variant: requests leave on a fixed
//! schedule and latency runs from the scheduled send time.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// A request serialized once, sent many times.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    bytes: Arc<Vec<u8>>,
    /// `METHOD path`, for messages.
    pub(crate) label: String,
}

impl Request {
    /// A GET of `path`.
    pub(crate) fn get(addr: SocketAddr, path: &str) -> Self {
        Self::build(addr, "GET", path, &[], None)
    }

    /// A GET with extra `headers` (e.g. a session cookie).
    pub(crate) fn get_with(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Self {
        Self::build(addr, "GET", path, headers, None)
    }

    /// A POST of a form (`application/x-www-form-urlencoded`) `body`.
    pub(crate) fn post_form(addr: SocketAddr, path: &str, body: &[u8]) -> Self {
        Self::build_typed(
            addr,
            "POST",
            path,
            &[],
            Some((body, "application/x-www-form-urlencoded")),
        )
    }

    /// A POST of a JSON `body` with extra `headers`.
    pub(crate) fn post_json(
        addr: SocketAddr,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Self {
        Self::build(addr, "POST", path, headers, Some(body))
    }

    fn build(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Self {
        Self::build_typed(
            addr,
            method,
            path,
            headers,
            body.map(|b| (b, "application/json")),
        )
    }

    fn build_typed(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&[u8], &str)>,
    ) -> Self {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: refstack-loadbench\r\nAccept: */*\r\n"
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some((body, content_type)) = body {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if let Some((body, _)) = body {
            bytes.extend_from_slice(body);
        }
        Request {
            bytes: Arc::new(bytes),
            label: format!("{method} {path}"),
        }
    }
}

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// The server will close the connection after this response.
    pub(crate) close: bool,
    /// The `name=value` part of each `Set-Cookie` header.
    pub(crate) cookies: Vec<String>,
}

impl Response {
    /// The body as text (lossy), for messages.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one HTTP/1.x response from `reader`.
pub(crate) fn read_response<R: BufRead>(reader: &mut R) -> io::Result<Response> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before the status line",
        ));
    }
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or_default().to_owned();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut close = version == "HTTP/1.0";
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut cookies = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("connection closed inside the headers".into()));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(bad(format!("bad header {header:?}")));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                content_length = Some(
                    value
                        .parse()
                        .map_err(|_| bad(format!("bad content-length {value:?}")))?,
                );
            }
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "set-cookie" => {
                cookies.push(
                    value
                        .split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                );
            }
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    close = true;
                } else if v.contains("keep-alive") {
                    close = false;
                }
            }
            _ => {}
        }
    }
    let mut body = Vec::new();
    if status == 204 || status == 304 || (100..200).contains(&status) {
        // No body.
    } else if chunked {
        read_chunked(reader, &mut body)?;
    } else if let Some(len) = content_length {
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
        close = true;
    }
    Ok(Response {
        status,
        body,
        close,
        cookies,
    })
}

fn read_chunked<R: BufRead>(reader: &mut R, body: &mut Vec<u8>) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, then the final empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                    return Ok(());
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        line.clear();
        reader.read_line(&mut line)?;
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One client connection that reconnects when needed.
pub(crate) struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Client { addr, conn: None }
    }

    /// Sends `req` and reads the answer.
    pub(crate) fn send(&mut self, req: &Request) -> io::Result<Response> {
        let result = self.try_send(req);
        match &result {
            Ok(resp) if !resp.close => {}
            _ => self.conn = None,
        }
        result
    }

    fn try_send(&mut self, req: &Request) -> io::Result<Response> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?;
                stream.set_nodelay(true)?;
                stream.set_read_timeout(Some(IO_TIMEOUT))?;
                stream.set_write_timeout(Some(IO_TIMEOUT))?;
                self.conn
                    .insert(BufReader::with_capacity(64 * 1024, stream))
            }
        };
        conn.get_mut().write_all(&req.bytes)?;
        read_response(conn)
    }
}

/// Sends one request on a fresh connection.
pub(crate) fn send_once(addr: SocketAddr, req: &Request) -> anyhow::Result<Response> {
    Client::new(addr)
        .send(req)
        .with_context(|| format!("{} on {addr}", req.label))
}

/// Measured figures of one scenario.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    /// Successful requests completed inside the measurement window.
    pub(crate) ok: u64,
    /// Failed requests (I/O error or unexpected status) in the window.
    pub(crate) errors: u64,
    /// First failure, for the report.
    pub(crate) first_error: Option<String>,
    /// Length of the measurement window.
    pub(crate) window: Duration,
    /// Sorted latencies of the successful requests, microseconds.
    latencies_us: Vec<u64>,
    /// Open-loop runs: the offered rate, req/s.
    pub(crate) target_rate: Option<f64>,
    /// Open-loop runs: measured sends that left later than [`LATE`].
    pub(crate) late: u64,
    /// Open-loop runs: `(scheduled send, latency)` of each successful measured
    /// request, microseconds from the start of the measured window, in send order.
    pub(crate) timeline_us: Vec<(u64, u64)>,
}

impl Stats {
    /// Successful requests per second.
    pub(crate) fn throughput(&self) -> f64 {
        let secs = self.window.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    /// The `p`-th percentile latency (nearest rank), milliseconds.
    pub(crate) fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies_us, p) as f64 / 1000.0
    }
}

/// Nearest-rank percentile of sorted values (0 for an empty slice).
pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What one worker thread observed.
#[derive(Default)]
struct WorkerLog {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_us: Vec<u64>,
    late: u64,
    timeline_us: Vec<(u64, u64)>,
}

impl WorkerLog {
    fn record(&mut self, req: &Request, expect: u16, result: io::Result<Response>, us: u64) {
        match result {
            Ok(resp) if resp.status == expect => {
                self.ok += 1;
                self.latencies_us.push(us);
            }
            Ok(resp) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| {
                    let mut text = resp.text();
                    text.truncate(300);
                    format!(
                        "{}: status {} (expected {expect}): {text}",
                        req.label, resp.status
                    )
                });
            }
            Err(e) => {
                self.errors += 1;
                self.first_error
                    .get_or_insert_with(|| format!("{}: {e}", req.label));
            }
        }
    }
}

fn merge(logs: Vec<WorkerLog>, window: Duration) -> Stats {
    let mut stats = Stats {
        ok: 0,
        errors: 0,
        first_error: None,
        window,
        latencies_us: Vec::new(),
        target_rate: None,
        late: 0,
        timeline_us: Vec::new(),
    };
    for log in logs {
        stats.ok += log.ok;
        stats.errors += log.errors;
        stats.late += log.late;
        if stats.first_error.is_none() {
            stats.first_error = log.first_error;
        }
        stats.latencies_us.extend(log.latencies_us);
        stats.timeline_us.extend(log.timeline_us);
    }
    stats.latencies_us.sort_unstable();
    stats.timeline_us.sort_unstable();
    stats
}

/// Drives `req` from `connections` threads: `warmup` unmeasured, then
/// `duration` measured (requests that start and finish inside the window).
pub(crate) fn run_timed(
    addr: SocketAddr,
    req: &Request,
    expect: u16,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let logs = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections.max(1))
            .map(|_| {
                s.spawn(move || {
                    let mut client = Client::new(addr);
                    let mut log = WorkerLog::default();
                    loop {
                        let t0 = Instant::now();
                        if t0 >= end {
                            break;
                        }
                        let result = client.send(req);
                        let t1 = Instant::now();
                        if t0 >= measure_from && t1 <= end {
                            let us = u64::try_from(t1.duration_since(t0).as_micros())
                                .unwrap_or(u64::MAX);
                            log.record(req, expect, result, us);
                        }
                    }
                    log
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    });
    match logs {
        Ok(logs) => Ok(merge(logs, duration)),
        Err(_) => bail!("a load generator thread panicked"),
    }
}

/// An open-loop fixed-rate schedule: request `i` is due `i / rate` seconds
/// after the start, whatever happened to the earlier ones. The first
/// `warmup` is unmeasured, the next `duration` is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    rate: f64,
    warmup: Duration,
    duration: Duration,
}

/// Where a due time falls in a [`Schedule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Sent but not recorded.
    Warmup,
    /// Sent and recorded.
    Measured,
    /// Past the end: not sent.
    Done,
}

impl Schedule {
    /// A schedule of `rate` requests per second (finite, positive).
    pub(crate) fn new(rate: f64, warmup: Duration, duration: Duration) -> anyhow::Result<Self> {
        if !(rate.is_finite() && rate > 0.0) {
            bail!("the rate must be a positive number of requests per second, not {rate}");
        }
        Ok(Schedule {
            rate,
            warmup,
            duration,
        })
    }

    /// Requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// When request `i` is due, from the start.
    pub(crate) fn due(&self, i: u64) -> Duration {
        Duration::from_secs_f64(i as f64 / self.rate)
    }

    /// The phase of a request due at `due`.
    pub(crate) fn phase(&self, due: Duration) -> Phase {
        if due < self.warmup {
            Phase::Warmup
        } else if due < self.warmup + self.duration {
            Phase::Measured
        } else {
            Phase::Done
        }
    }

    /// How many requests fall in the measured window.
    pub(crate) fn measured_count(&self) -> u64 {
        let first = (self.warmup.as_secs_f64() * self.rate).ceil() as u64;
        let end = ((self.warmup + self.duration).as_secs_f64() * self.rate).ceil() as u64;
        // Guard against float rounding at the edges: count by `phase`.
        let first = (first.saturating_sub(1)..=first + 1)
            .find(|&i| self.phase(self.due(i)) == Phase::Measured)
            .unwrap_or(first);
        let end = (end.saturating_sub(1)..=end + 1)
            .find(|&i| self.phase(self.due(i)) == Phase::Done)
            .unwrap_or(end);
        end.saturating_sub(first)
    }
}

/// Connections for an open-loop run at `rate` req/s: enough that every
/// request can wait `budget` for its answer before a due send has to wait
/// for a free connection (at least 16, at most 1024).
pub(crate) fn connections_for_rate(rate: f64, budget: Duration) -> usize {
    let n = (rate * budget.as_secs_f64()).ceil();
    if n.is_finite() {
        (n as usize).clamp(16, 1024)
    } else {
        1024
    }
}

/// A send later than this after its due time counts as late.
pub(crate) const LATE: Duration = Duration::from_millis(1);

/// How long measured requests may still be sent after the window closes
/// when the generator fell behind; the rest count as errors (dropped).
const BACKLOG_GRACE: Duration = Duration::from_secs(5);

/// Open-loop run: `req` is sent on `schedule` from `connections` threads
/// (each with its own keep-alive connection). The latency of a request is
/// measured from its *due* time, not from when it was actually sent, so a
/// slow answer that delays later sends is charged to them too (no
/// coordinated omission). `Stats::late` counts measured sends that left
/// more than [`LATE`] after their due time (the generator had no free
/// connection or CPU); `Stats::window` is the measured duration, or longer
/// if the last measured answer came later.
pub(crate) fn run_rate(
    addr: SocketAddr,
    req: &Request,
    expect: u16,
    connections: usize,
    schedule: Schedule,
) -> anyhow::Result<Stats> {
    let next = std::sync::atomic::AtomicU64::new(0);
    let start = Instant::now();
    let measure_from = start + schedule.warmup;
    let cutoff = measure_from + schedule.duration + BACKLOG_GRACE;
    let logs = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections.max(1))
            .map(|_| {
                let next = &next;
                s.spawn(move || {
                    let mut client = Client::new(addr);
                    let mut log = WorkerLog::default();
                    let mut last_done = measure_from;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let due = schedule.due(i);
                        let phase = schedule.phase(due);
                        if phase == Phase::Done {
                            break;
                        }
                        let at = start + due;
                        let now = Instant::now();
                        if at > now {
                            std::thread::sleep(at - now);
                        } else if now > cutoff {
                            break;
                        }
                        let sent = Instant::now();
                        let result = client.send(req);
                        let done = Instant::now();
                        if phase == Phase::Measured {
                            if sent.duration_since(at) > LATE {
                                log.late += 1;
                            }
                            last_done = last_done.max(done);
                            let us = u64::try_from(done.duration_since(at).as_micros())
                                .unwrap_or(u64::MAX);
                            let ok_before = log.ok;
                            log.record(req, expect, result, us);
                            if log.ok > ok_before {
                                let offset = at.saturating_duration_since(measure_from);
                                let offset = u64::try_from(offset.as_micros()).unwrap_or(u64::MAX);
                                log.timeline_us.push((offset, us));
                            }
                        }
                    }
                    (log, last_done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    });
    let Ok(logs) = logs else {
        bail!("a load generator thread panicked");
    };
    let last_done = logs.iter().map(|(_, t)| *t).max().unwrap_or(measure_from);
    let window = schedule
        .duration
        .max(last_done.duration_since(measure_from));
    let mut stats = merge(logs.into_iter().map(|(l, _)| l).collect(), window);
    let dropped = schedule
        .measured_count()
        .saturating_sub(stats.ok + stats.errors);
    if dropped > 0 {
        stats.errors += dropped;
        stats
            .first_error
            .get_or_insert_with(|| format!("{dropped} due requests never sent (generator behind)"));
    }
    stats.target_rate = Some(schedule.rate);
    Ok(stats)
}

/// Sends `req` exactly `total` times from `connections` threads (used to
/// seed data). Fails on the first unexpected answer.
pub(crate) fn run_count(
    addr: SocketAddr,
    req: &Request,
    expect: u16,
    connections: usize,
    total: u64,
) -> anyhow::Result<Stats> {
    let next = std::sync::atomic::AtomicU64::new(0);
    let start = Instant::now();
    let logs = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections.max(1))
            .map(|_| {
                let next = &next;
                s.spawn(move || {
                    let mut client = Client::new(addr);
                    let mut log = WorkerLog::default();
                    while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                        let t0 = Instant::now();
                        let result = client.send(req);
                        let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                        log.record(req, expect, result, us);
                        if log.errors > 0 {
                            break;
                        }
                    }
                    log
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    });
    let stats = match logs {
        Ok(logs) => merge(logs, start.elapsed()),
        Err(_) => bail!("a load generator thread panicked"),
    };
    if let Some(e) = &stats.first_error {
        bail!("seeding failed: {e}");
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> io::Result<Response> {
        read_response(&mut io::Cursor::new(raw.as_bytes().to_vec()))
    }

    #[test]
    fn content_length_keep_alive() -> io::Result<()> {
        let r = parse(
            "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\nhelloEXTRA",
        )?;
        assert_eq!(r.status, 201);
        assert_eq!(r.body, b"hello");
        assert!(!r.close);
        Ok(())
    }

    #[test]
    fn connection_close_and_http10() -> io::Result<()> {
        let r = parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")?;
        assert!(r.close);
        let r = parse("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}")?;
        assert!(r.close);
        let r = parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")?;
        assert!(!r.close);
        Ok(())
    }

    #[test]
    fn chunked_body() -> io::Result<()> {
        let r = parse(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\nTrailer: t\r\n\r\n",
        )?;
        assert_eq!(r.body, b"Wikipedia ");
        assert!(!r.close);
        Ok(())
    }

    #[test]
    fn no_body_statuses_and_read_to_end() -> io::Result<()> {
        let r = parse("HTTP/1.1 204 No Content\r\n\r\n")?;
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());
        let r = parse("HTTP/1.1 200 OK\r\n\r\nuntil eof")?;
        assert_eq!(r.body, b"until eof");
        assert!(r.close);
        Ok(())
    }

    #[test]
    fn malformed_responses_are_errors() {
        assert!(parse("").is_err());
        assert!(parse("garbage\r\n\r\n").is_err());
        assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
        assert!(parse("HTTP/1.1 200 OK\r\nno colon\r\n\r\n").is_err());
    }

    #[test]
    fn request_bytes() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 8000));
        let r = Request::post_json(addr, "/v1/results/", &[("X-Signature", "ab")], b"{}");
        let text = String::from_utf8_lossy(&r.bytes).into_owned();
        assert!(text.starts_with("POST /v1/results/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"));
        assert!(text.contains("X-Signature: ab\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
        let g = Request::get(addr, "/v1/results");
        assert!(!String::from_utf8_lossy(&g.bytes).contains("Content-Length"));
    }

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[7], 99.0), 7);
    }

    #[test]
    fn loopback_round_trip() -> anyhow::Result<()> {
        // A one-shot server on loopback answering two keep-alive requests.
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = std::thread::spawn(move || -> io::Result<()> {
            let (stream, _) = listener.accept()?;
            let mut reader = BufReader::new(stream.try_clone()?);
            let mut writer = stream;
            for _ in 0..2 {
                let mut line = String::new();
                loop {
                    line.clear();
                    reader.read_line(&mut line)?;
                    if line == "\r\n" {
                        break;
                    }
                }
                writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")?;
            }
            Ok(())
        });
        let req = Request::get(addr, "/");
        let mut client = Client::new(addr);
        assert_eq!(client.send(&req)?.body, b"ok");
        assert_eq!(client.send(&req)?.body, b"ok");
        server
            .join()
            .map_err(|_| anyhow::anyhow!("server thread panicked"))??;
        Ok(())
    }

    #[test]
    fn schedule_due_times_and_phases() -> anyhow::Result<()> {
        let s = Schedule::new(400.0, Duration::from_secs(2), Duration::from_secs(10))?;
        assert_eq!(s.due(0), Duration::ZERO);
        assert_eq!(s.due(1), Duration::from_micros(2500));
        assert_eq!(s.due(400), Duration::from_secs(1));
        assert_eq!(s.phase(s.due(799)), Phase::Warmup);
        assert_eq!(s.phase(s.due(800)), Phase::Measured);
        assert_eq!(s.phase(s.due(4799)), Phase::Measured);
        assert_eq!(s.phase(s.due(4800)), Phase::Done);
        assert_eq!(s.measured_count(), 4000);
        // A rate that does not divide a second evenly.
        let s = Schedule::new(3.0, Duration::from_millis(500), Duration::from_secs(1))?;
        let counted = (0..100)
            .filter(|&i| s.phase(s.due(i)) == Phase::Measured)
            .count() as u64;
        assert_eq!(s.measured_count(), counted);
        assert_eq!(counted, 3);
        // Without warm-up the first request is measured.
        let s = Schedule::new(10.0, Duration::ZERO, Duration::from_secs(1))?;
        assert_eq!(s.phase(s.due(0)), Phase::Measured);
        assert_eq!(s.measured_count(), 10);
        assert!(Schedule::new(0.0, Duration::ZERO, Duration::ZERO).is_err());
        assert!(Schedule::new(-5.0, Duration::ZERO, Duration::ZERO).is_err());
        assert!(Schedule::new(f64::NAN, Duration::ZERO, Duration::ZERO).is_err());
        assert!(Schedule::new(f64::INFINITY, Duration::ZERO, Duration::ZERO).is_err());
        Ok(())
    }

    #[test]
    fn rate_connections() {
        let budget = Duration::from_millis(25);
        assert_eq!(connections_for_rate(400.0, budget), 16);
        assert_eq!(connections_for_rate(4700.0, budget), 118);
        assert_eq!(connections_for_rate(1e9, budget), 1024);
    }

    /// Answers `200 ok` keep-alive on every connection until the client
    /// closes it.
    fn keep_alive_server() -> io::Result<SocketAddr> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                std::thread::spawn(move || -> io::Result<()> {
                    let mut reader = BufReader::new(stream.try_clone()?);
                    let mut writer = stream;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line)? == 0 {
                            return Ok(());
                        }
                        if line == "\r\n" {
                            writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")?;
                        }
                    }
                });
            }
        });
        Ok(addr)
    }

    #[test]
    fn open_loop_sends_every_measured_request() -> anyhow::Result<()> {
        let addr = keep_alive_server()?;
        let req = Request::get(addr, "/");
        let schedule = Schedule::new(200.0, Duration::from_millis(20), Duration::from_millis(100))?;
        let stats = run_rate(addr, &req, 200, 4, schedule)?;
        assert_eq!(stats.errors, 0, "{:?}", stats.first_error);
        assert_eq!(stats.ok, schedule.measured_count());
        assert_eq!(stats.ok, 20);
        assert_eq!(stats.target_rate, Some(200.0));
        assert!(stats.late <= stats.ok);
        // One timeline entry per answered request, in schedule order, 5 ms apart.
        assert_eq!(stats.timeline_us.len(), 20);
        assert!(stats.timeline_us.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            stats
                .timeline_us
                .last()
                .is_some_and(|&(at, _)| at >= 90_000)
        );
        // Wrong expected status: all measured requests are errors.
        let stats = run_rate(addr, &req, 201, 4, schedule)?;
        assert_eq!((stats.ok, stats.errors), (0, 20));
        Ok(())
    }
}
