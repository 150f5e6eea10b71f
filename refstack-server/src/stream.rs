//! `PUT /v1/results/{id}/stream` (beyond the upstream v1 contract, issue 13
//! item 2): a run's whole subunit stream (v1 or v2, plain, gzip or zstd),
//! uploaded once by the run's owner after the run itself.
//!
//! The body is parsed with `refstack-subunit` while it arrives: the handler
//! forwards each chunk to a blocking thread that decompresses it, counts the
//! decompressed bytes against `streams.limit` (413 as soon as they pass it,
//! nothing stored: a gzip bomb stops there) and folds the packets into one
//! outcome per test (status, duration, skip reason, traceback capped at
//! `streams.traceback_limit`, its end kept). A plain body is compressed
//! (gzip) on a second thread as it passes; a compressed body is kept as sent.
//! The blob goes to the content-addressed blob store ([`crate::blob`]), then
//! the outcomes to the database in one transaction ([`db::outcomes`]).
//!
//! Corrupt packets are skipped (the parser resynchronises) and counted in
//! the answer's `rejected_packets`; everything that parsed is stored. A body
//! whose compression is corrupt is refused (400): its blob could not be read
//! back.
//!
//! Who may upload: the run's owner only (the user its upload was signed
//! with), authenticated like the upload, by a signature of the exact body
//! bytes (`X-Signature` / `X-Public-Key`, verified before a byte is parsed,
//! so such a body is read whole first), or by a session or API token.

use std::io::{self, Read};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::put;
use futures_util::StreamExt;
use refstack_api_types::stream::StreamUploadResponse;
use refstack_api_types::{ExceptionErrorBody, HttpErrorBody};
use refstack_core::testid::TestId;
use refstack_subunit::{
    Corruption, Fold, FoldOptions, Format, Packet, ReadError, Reader, RecordSink, Sink, TestRecord,
    TestStatus,
};

use crate::auth::Caller;
use crate::db::outcomes::{EncodedOutcomes, NewStream, OutcomeStatus, StoredOutcome};
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The route, merged into `/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/results/{id}/stream", put(upload_stream))
}

/// How a stream body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Plain subunit.
    Identity,
    /// gzip (one or more members).
    Gzip,
    /// zstd (decoded in pure Rust by `ruzstd`).
    Zstd,
}

impl Encoding {
    /// `identity`, `gzip` or `zstd`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
        }
    }

    /// The encoding a `Content-Encoding` header names; `Err` for one not
    /// supported.
    pub fn from_header(value: &str) -> Result<Self, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" => Ok(Self::Gzip),
            "zstd" => Ok(Self::Zstd),
            other => Err(other.to_owned()),
        }
    }

    /// The encoding of a body without `Content-Encoding`, from its first
    /// bytes (gzip and zstd magic numbers; anything else is plain subunit).
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Self::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Self::Zstd
        } else {
            Self::Identity
        }
    }

    /// The blob's file extension (a plain body is stored gzipped).
    fn extension(self) -> &'static str {
        match self {
            Self::Identity | Self::Gzip => "gz",
            Self::Zstd => "zst",
        }
    }
}

/// Limits of one ingest.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Most subunit bytes (decompressed) accepted.
    pub max_bytes: u64,
    /// Longest traceback (and skip reason) kept, in bytes.
    pub traceback_limit: usize,
}

/// Why a stream was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// More than [`IngestLimits::max_bytes`] subunit bytes (or compressed bytes).
    #[error("The subunit stream is larger than the server accepts ({0} bytes).")]
    TooLarge(u64),
    /// The gzip or zstd container is corrupt or truncated.
    #[error("The {0} body is corrupt: {1}")]
    Compression(&'static str, String),
    /// Not a single test event in the stream.
    #[error("No subunit test events found in the stream.")]
    NoTests,
    /// Reading failed otherwise.
    #[error("Reading the stream failed: {0}")]
    Read(io::Error),
    /// The outcomes could not be encoded for the database.
    #[error("Encoding the outcomes failed: {0}")]
    Encode(#[from] DbError),
}

/// What a stream held.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// `v1` or `v2`.
    pub format: Format,
    /// Subunit bytes (decompressed).
    pub bytes: u64,
    /// Packets (v1: synthesised events).
    pub packets: u64,
    /// Rejected packet candidates.
    pub rejected: u64,
    /// One outcome per test, in first-seen order (enumerated-only tests left
    /// out: they did not run).
    pub outcomes: Vec<StoredOutcome>,
    /// The same, encoded for the database (done here, off the async
    /// workers, while a plain body is still being compressed).
    pub encoded: EncodedOutcomes,
}

/// The marker inside the `io::Error` that stops reading at the limit.
#[derive(Debug, thiserror::Error)]
#[error("stream over the limit")]
struct OverLimit;

/// Counts the decompressed bytes and fails the read that passes the limit.
struct Counted<R> {
    inner: R,
    total: u64,
    limit: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if self.total > self.limit {
            return Err(io::Error::other(OverLimit));
        }
        Ok(n)
    }
}

/// Keeps the end of a text of more than `limit` bytes (on a character
/// boundary), saying how much was cut. `None` for an empty text or limit.
fn cap_tail(text: &[u8], limit: usize) -> Option<String> {
    if text.is_empty() || limit == 0 {
        return None;
    }
    let text = String::from_utf8_lossy(text);
    if text.len() <= limit {
        return Some(text.into_owned());
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    Some(format!("[{start} bytes cut]\n{}", &text[start..]))
}

/// Turns each finished record into a stored outcome as it completes (so
/// attachments are dropped at once), keeping first-seen order.
struct Collector {
    out: Vec<(u64, StoredOutcome)>,
    traceback_limit: usize,
}

impl RecordSink for Collector {
    fn record(&mut self, r: TestRecord) {
        let status = match r.status {
            TestStatus::Success => OutcomeStatus::Success,
            TestStatus::Fail => OutcomeStatus::Fail,
            TestStatus::Skip => OutcomeStatus::Skip,
            TestStatus::ExpectedFail => OutcomeStatus::ExpectedFail,
            TestStatus::UnexpectedSuccess => OutcomeStatus::UnexpectedSuccess,
            TestStatus::InProgress => OutcomeStatus::InProgress,
            // Enumerated only: not run, as if absent.
            TestStatus::Exists => return,
        };
        let text = |name: &str| {
            r.attachment(name)
                .and_then(|a| cap_tail(&a.content, self.traceback_limit))
        };
        let reason = text("reason");
        let traceback = text("traceback");
        let duration_us = r
            .duration()
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        self.out.push((
            r.order,
            StoredOutcome {
                id: r.id,
                status,
                duration_us,
                reason,
                traceback,
            },
        ));
    }
}

/// The parser's sink: counts, and folds the packets keeping only the
/// attachments reports show (`traceback`, `reason`).
struct IngestSink {
    fold: Fold<Collector>,
    format: Option<Format>,
    packets: u64,
    rejected: u64,
    test_events: u64,
}

impl Sink for IngestSink {
    type Error = std::convert::Infallible;

    fn packet(&mut self, _: u64, p: &Packet<'_>) -> Result<(), Self::Error> {
        self.packets += 1;
        if p.test_id.is_none() {
            return Ok(());
        }
        self.test_events += 1;
        match p.file {
            Some(f) if f.name != "traceback" && f.name != "reason" => {
                let mut q = *p;
                q.file = None;
                q.mime_type = None;
                self.fold.push(&q);
            }
            _ => self.fold.push(p),
        }
        Ok(())
    }

    fn corrupt(&mut self, _: u64, _: &[u8], _: &Corruption) -> Result<(), Self::Error> {
        self.rejected += 1;
        Ok(())
    }

    fn format(&mut self, format: Format) -> Result<(), Self::Error> {
        self.format = Some(format);
        Ok(())
    }
}

/// Parses a whole stream from a reader of its bytes as sent (compressed or
/// not): the blocking half of the upload, public for the benchmark.
pub fn ingest_reader<R: Read>(
    raw: R,
    encoding: Encoding,
    limits: IngestLimits,
) -> Result<Ingested, IngestError> {
    let corrupt =
        |e: &dyn std::fmt::Display| IngestError::Compression(encoding.as_str(), e.to_string());
    let decoded: Box<dyn Read + '_> = match encoding {
        Encoding::Identity => Box::new(raw),
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Encoding::Zstd => {
            Box::new(ruzstd::decoding::StreamingDecoder::new(raw).map_err(|e| corrupt(&e))?)
        }
    };
    let mut counted = Counted {
        inner: decoded,
        total: 0,
        limit: limits.max_bytes,
    };
    let mut sink = IngestSink {
        fold: Fold::with_options(
            Collector {
                out: Vec::new(),
                traceback_limit: limits.traceback_limit,
            },
            FoldOptions {
                attachments: true,
                tags: false,
            },
        ),
        format: None,
        packets: 0,
        rejected: 0,
        test_events: 0,
    };
    match Reader::new(&mut counted).run(&mut sink) {
        Ok(()) => {}
        Err(ReadError::Sink(never)) => match never {},
        Err(ReadError::Io(e)) => {
            if e.get_ref().is_some_and(|inner| inner.is::<OverLimit>()) {
                return Err(IngestError::TooLarge(limits.max_bytes));
            }
            return Err(match encoding {
                Encoding::Identity => IngestError::Read(e),
                _ => corrupt(&e),
            });
        }
    }
    if sink.test_events == 0 {
        return Err(IngestError::NoTests);
    }
    let IngestSink {
        fold,
        format,
        packets,
        rejected,
        ..
    } = sink;
    let (collector, _) = fold.finish();
    let mut out = collector.out;
    // Completion order is nearly first-seen order.
    out.sort_by_key(|(order, _)| *order);
    let outcomes: Vec<StoredOutcome> = out.into_iter().map(|(_, o)| o).collect();
    let encoded = EncodedOutcomes::encode(&outcomes)?;
    Ok(Ingested {
        format: format.unwrap_or(Format::V2),
        bytes: counted.total,
        packets,
        rejected,
        outcomes,
        encoded,
    })
}

/// A blocking reader over the chunks the handler forwards; EOF when the
/// handler drops the sender.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    cur: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.cur = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

/// Gzips what the reader gives (a plain body, to keep it compressed).
fn gzip_all(mut r: impl Read) -> io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    io::copy(&mut r, &mut enc)?;
    enc.finish()
}

/// A parsed stream with the bytes to keep.
#[derive(Debug)]
pub struct Received {
    /// What it held.
    pub ingested: Ingested,
    /// How the body was compressed.
    pub encoding: Encoding,
    /// The blob to store (the body as sent, or gzipped when it was plain).
    pub blob: Vec<u8>,
}

fn to_api(e: IngestError) -> ApiError {
    match e {
        IngestError::TooLarge(_) => ApiError::abort(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
        IngestError::Read(_) | IngestError::Encode(_) => ApiError::internal(e),
        IngestError::Compression(..) | IngestError::NoTests => ApiError::validation(e.to_string()),
    }
}

fn body_error(e: &axum::Error) -> ApiError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::abort(
                StatusCode::REQUEST_TIMEOUT,
                "The request body stopped arriving (see body_timeout_secs).",
            );
        }
        source = err.source();
    }
    ApiError::abort(
        StatusCode::BAD_REQUEST,
        format!("Reading the request body failed: {e}"),
    )
}

fn too_large(limit: u64) -> ApiError {
    to_api(IngestError::TooLarge(limit))
}

/// Receives a stream body: parses it while it arrives (a blocking thread),
/// compresses a plain one on another, enforces the limits. Nothing is stored.
pub async fn receive(
    body: Body,
    encoding: Option<Encoding>,
    limits: IngestLimits,
) -> ApiResult<Received> {
    let mut stream = body.into_data_stream();
    // Without Content-Encoding, the first bytes say how it is compressed.
    let mut head: Vec<Bytes> = Vec::new();
    let mut head_len = 0usize;
    let mut ended = false;
    while encoding.is_none() && head_len < 4 {
        match stream.next().await {
            Some(Ok(b)) => {
                head_len += b.len();
                head.push(b);
            }
            Some(Err(e)) => return Err(body_error(&e)),
            None => {
                ended = true;
                break;
            }
        }
    }
    let encoding = encoding.unwrap_or_else(|| {
        let first: Vec<u8> = head
            .iter()
            .flat_map(|b| b.iter().copied())
            .take(4)
            .collect();
        Encoding::sniff(&first)
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let parse = tokio::task::spawn_blocking(move || {
        ingest_reader(
            ChannelReader {
                rx,
                cur: Bytes::new(),
            },
            encoding,
            limits,
        )
    });
    let (ctx, compress) = if encoding == Encoding::Identity {
        let (ctx, crx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let h = tokio::task::spawn_blocking(move || {
            gzip_all(ChannelReader {
                rx: crx,
                cur: Bytes::new(),
            })
        });
        (Some(ctx), Some(h))
    } else {
        (None, None)
    };
    let mut raw: Vec<u8> = Vec::new();
    let mut raw_total = 0u64;
    let mut over = false;
    let mut failed: Option<ApiError> = None;
    let mut head = head.into_iter();
    loop {
        let chunk = match head.next() {
            Some(b) => b,
            None if ended => break,
            None => match stream.next().await {
                Some(Ok(b)) => b,
                Some(Err(e)) => {
                    failed = Some(body_error(&e));
                    break;
                }
                None => break,
            },
        };
        if chunk.is_empty() {
            continue;
        }
        raw_total += chunk.len() as u64;
        if raw_total > limits.max_bytes {
            over = true;
            break;
        }
        if encoding != Encoding::Identity {
            raw.extend_from_slice(&chunk);
        }
        if let Some(ctx) = &ctx
            && ctx.send(chunk.clone()).await.is_err()
        {
            break;
        }
        if tx.send(chunk).await.is_err() {
            // The parser stopped early (over the limit, corrupt compression).
            break;
        }
    }
    drop(tx);
    drop(ctx);
    let parsed = parse
        .await
        .map_err(|e| ApiError::internal(format!("stream parser: {e}")))?;
    let compressed = match compress {
        Some(h) => Some(
            h.await
                .map_err(|e| ApiError::internal(format!("stream compressor: {e}")))?
                .map_err(|e| ApiError::internal(format!("stream compressor: {e}")))?,
        ),
        None => None,
    };
    if over {
        return Err(too_large(limits.max_bytes));
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let ingested = parsed.map_err(to_api)?;
    Ok(Received {
        ingested,
        encoding,
        blob: compressed.unwrap_or(raw),
    })
}

/// Reads a whole body of at most `limit` bytes (a signed stream: the
/// signature covers the exact bytes, checked before parsing).
async fn collect_limited(body: Body, limit: u64) -> ApiResult<Bytes> {
    let mut stream = body.into_data_stream();
    let mut out: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| body_error(&e))?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// How many test names the stream and the run's uploaded passed tests
/// disagree on (passed by one and not the other).
fn count_mismatches(stored_passed: &[String], outcomes: &[StoredOutcome]) -> u64 {
    use rustc_hash::FxHashSet;
    let stored: FxHashSet<&str> = stored_passed.iter().map(String::as_str).collect();
    let streamed: FxHashSet<std::borrow::Cow<'_, str>> = outcomes
        .iter()
        .filter(|o| o.status == OutcomeStatus::Success)
        .map(|o| TestId::parse(&o.id).upload_name())
        .collect();
    let missing = stored.iter().filter(|n| !streamed.contains(**n)).count();
    let extra = streamed
        .iter()
        .filter(|n| !stored.contains(n.as_ref()))
        .count();
    (missing + extra) as u64
}

fn conflict(id: &str) -> ApiError {
    ApiError::conflict(format!(
        "A subunit stream was already uploaded for test run {id}"
    ))
}

/// `PUT /v1/results/{id}/stream`: the run's whole subunit stream (see the
/// module docs). 201 with what was stored; 401/403 for anyone but the run's
/// owner; 404 unknown run; 409 a stream is already stored; 413 over
/// `streams.limit` (decompressed); 415 an unsupported `Content-Encoding`;
/// 400 a corrupt gzip/zstd body, a stream without any test, or a bad
/// signature.
#[utoipa::path(put, path = "/v1/results/{id}/stream", tag = "results", params(("id" = String, Path), ("Content-Encoding" = Option<String>, Header, description = "gzip, zstd or identity; without it the body's first bytes decide"), ("X-Signature" = Option<String>, Header, description = "hex RSA PKCS#1 v1.5 SHA-256 signature of the body as sent (instead of a session or token)"), ("X-Public-Key" = Option<String>, Header, description = "OpenSSH public key line of the run's owner")), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "subunit v1 or v2, plain, gzip or zstd"), responses((status = 201, body = StreamUploadResponse), (status = 400, body = ExceptionErrorBody), (status = 401, body = HttpErrorBody), (status = 403, body = HttpErrorBody), (status = 404, body = ExceptionErrorBody), (status = 409, body = ExceptionErrorBody), (status = 413, body = HttpErrorBody), (status = 415, body = HttpErrorBody)))]
pub(crate) async fn upload_stream(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<StreamUploadResponse>)> {
    let run = crate::results::load(&state, &id).await?;
    let owner = run.meta.get("user").map(String::as_str);
    let limits = IngestLimits {
        max_bytes: state.cfg.streams.limit,
        traceback_limit: state.cfg.streams.traceback_limit,
    };
    let encoding = match headers.get(header::CONTENT_ENCODING) {
        None => None,
        Some(v) => Some(
            Encoding::from_header(v.to_str().unwrap_or("?")).map_err(|other| {
                ApiError::abort(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Content-Encoding {other:?} is not supported (gzip, zstd or identity)"),
                )
            })?,
        ),
    };
    let signed = headers.contains_key("x-signature") || headers.contains_key("x-public-key");
    let body = if signed {
        let bytes = collect_limited(body, limits.max_bytes).await?;
        let key = crate::results::verify_signature(&headers, &bytes)?
            .ok_or_else(|| ApiError::validation("Malformed signature"))?;
        let found = db::pubkeys::find_by_fingerprint(&state.db, &key.md5_fingerprint()).await?;
        let Some(stored) = found else {
            return Err(ApiError::abort(
                StatusCode::UNAUTHORIZED,
                format!(
                    "User with specified key not found. Please sign in at {} and import \
                     your public key on your profile page.",
                    state.cfg.ui_link("/#/profile")
                ),
            ));
        };
        if Some(stored.openid.as_str()) != owner {
            return Err(ApiError::abort_empty(StatusCode::FORBIDDEN));
        }
        Body::from(bytes)
    } else {
        match caller.openid.as_deref() {
            None => return Err(ApiError::abort_empty(StatusCode::UNAUTHORIZED)),
            Some(o) if Some(o) == owner => body,
            Some(_) => return Err(ApiError::abort_empty(StatusCode::FORBIDDEN)),
        }
    };
    // Once per run: refused before the body is read (the primary key of
    // `test_streams` decides a race).
    if db::outcomes::has_stream(&state.db, &id).await? {
        return Err(conflict(&id));
    }
    // The run's passed names (for the mismatch count) are read while the
    // body arrives.
    let (received, passed) = tokio::join!(
        receive(body, encoding, limits),
        db::results::result_names(&state.db, &id)
    );
    let (received, passed) = (received?, passed?);
    let Received {
        ingested,
        encoding,
        blob,
    } = received;
    let sha256 = sha256_hex(&blob);
    let blob_key = crate::blob::key_for(&sha256, encoding.extension());
    let stored_bytes = blob.len() as u64;
    state
        .blobs
        .put(&blob_key, blob)
        .await
        .map_err(ApiError::internal)?;
    let mismatches = count_mismatches(&passed, &ingested.outcomes);
    let count = |s: &[OutcomeStatus]| {
        ingested
            .outcomes
            .iter()
            .filter(|o| s.contains(&o.status))
            .count() as u64
    };
    let passed_n = count(&[OutcomeStatus::Success]);
    let failed_n = count(&[OutcomeStatus::Fail, OutcomeStatus::UnexpectedSuccess]);
    let skipped_n = count(&[OutcomeStatus::Skip]);
    let tests = ingested.outcomes.len() as u64;
    let answer = StreamUploadResponse {
        test_id: id.clone(),
        format: ingested.format.as_str().to_owned(),
        encoding: encoding.as_str().to_owned(),
        bytes: ingested.bytes,
        stored_bytes,
        sha256: sha256.clone(),
        packets: ingested.packets,
        rejected_packets: ingested.rejected,
        tests,
        passed: passed_n,
        failed: failed_n,
        skipped: skipped_n,
        other: tests - passed_n - failed_n - skipped_n,
        mismatches,
    };
    let new = NewStream {
        test_id: id.clone(),
        blob_key,
        sha256,
        encoding: encoding.as_str().to_owned(),
        format: ingested.format.as_str().to_owned(),
        stream_bytes: ingested.bytes,
        stored_bytes,
        packets: ingested.packets,
        rejected: ingested.rejected,
        outcomes: ingested.encoded,
    };
    match db::outcomes::store_stream(&state.db, &new).await {
        Ok(()) => Ok((StatusCode::CREATED, axum::Json(answer))),
        Err(DbError::Conflict(_)) => Err(conflict(&id)),
        Err(DbError::InUse(_)) => Err(ApiError::not_found(format!("Test result {id} not found"))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracebacks_keep_their_end() {
        assert_eq!(cap_tail(b"", 10), None);
        assert_eq!(cap_tail(b"abc", 0), None);
        assert_eq!(cap_tail(b"abc", 10).as_deref(), Some("abc"));
        assert_eq!(
            cap_tail(b"0123456789", 4).as_deref(),
            Some("[6 bytes cut]\n6789")
        );
        // Never inside a character.
        let s = "aé€".as_bytes();
        assert_eq!(cap_tail(s, 4).as_deref(), Some("[3 bytes cut]\n€"));
    }

    #[test]
    fn encodings() {
        assert_eq!(Encoding::sniff(&[0x1f, 0x8b, 8, 0]), Encoding::Gzip);
        assert_eq!(Encoding::sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Encoding::Zstd);
        assert_eq!(Encoding::sniff(&[0xb3]), Encoding::Identity);
        assert_eq!(Encoding::sniff(&[]), Encoding::Identity);
        assert_eq!(Encoding::from_header(" GZIP "), Ok(Encoding::Gzip));
        assert_eq!(Encoding::from_header("br"), Err("br".into()));
    }
}
