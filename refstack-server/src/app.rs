//! The axum application: routes, URL normalisation, CORS, limits, tracing
//! (reference §1).

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;

/// Builds the complete application: `/v1/...`, also under the configured
/// mount prefix (`/api/v1/...`), with trailing slashes and a `.json` suffix
/// on the last path segment accepted (reference §1.1).
pub fn app(state: AppState) -> Router {
    let cfg = state.cfg.clone();
    let v1 = crate::routes::v1()
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found);
    let api = Router::new()
        .nest("/v1", v1)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::resolve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::guidelines::source_errors_header,
        ))
        .layer(axum::middleware::from_fn(refuse_nul_in_uri))
        .with_state(state);
    let prefix = cfg.api_prefix.clone();
    let normalized = tower::util::MapRequest::new(api, move |req: Request| normalize(req, &prefix));
    let dev_mode = cfg.app_dev_mode;
    let normalized = tower::util::MapResponse::new(normalized, move |resp: Response| {
        if dev_mode {
            crate::error::with_dev_detail(resp)
        } else {
            resp
        }
    });

    // The web UI (`/`, `/config.json`, `/assets/...`) answers before the API.
    let ui = Router::new().merge(crate::ui::router(&cfg));
    ui.fallback_service(normalized).layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(CatchPanicLayer::custom(|_| {
                ApiError::internal("handler panicked").into_response()
            }))
            .layer(cors_layer(&cfg.allowed_cors_origins))
            .layer(axum::middleware::from_fn_with_state(
                (cfg.body_limit, cfg.streams.limit),
                refuse_declared_oversize,
            ))
            .layer(axum::middleware::from_fn_with_state(
                cfg.request_timeout(),
                crate::error::timeout,
            ))
            .layer(axum::middleware::from_fn_with_state(
                cfg.connections.body_timeout(),
                body_progress_timeout,
            ))
            .layer(DefaultBodyLimit::max(cfg.body_limit)),
    )
}

/// Serves `app` on `listener` with the default connection limits until
/// `shutdown` resolves, then stops accepting connections and waits for
/// in-flight requests (uploads) to finish (see [`crate::serve`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve::serve(listener, app, shutdown, crate::serve::ConnLimits::default()).await
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// CORS as upstream (exact origins, credentials), plus DELETE and the
/// signature headers, and a proper answer to preflight `OPTIONS`
/// (reference §1.4, §10 item 25).
fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::OPTIONS,
            Method::PUT,
            Method::POST,
            Method::DELETE,
        ])
        .allow_headers([
            header::ORIGIN,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-signature"),
            HeaderName::from_static("x-public-key"),
            HeaderName::from_static("x-csrf-token"),
        ])
        .allow_credentials(true)
        .expose_headers([HeaderName::from_static(
            crate::guidelines::SOURCE_ERRORS_HEADER,
        )])
}

/// Strips the mount prefix, a trailing slash and a `.json` suffix of the last
/// segment, keeping the query string.
fn normalize(mut req: Request<Body>, prefix: &str) -> Request<Body> {
    let uri = req.uri();
    let mut path = uri.path();
    if !prefix.is_empty()
        && let Some(rest) = path.strip_prefix(prefix)
        && (rest.is_empty() || rest.starts_with('/'))
    {
        path = rest;
    }
    let trimmed = path.trim_end_matches('/');
    let mut path = if trimmed.is_empty() { "/" } else { trimmed }.to_owned();
    let last_start = path.rfind('/').map_or(0, |i| i + 1);
    if path.len() - last_start > ".json".len() && path.ends_with(".json") {
        path.truncate(path.len() - ".json".len());
    }
    if path == uri.path() {
        return req;
    }
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    if let Ok(new) = Uri::builder().path_and_query(pq).build() {
        *req.uri_mut() = new;
    }
    req
}

/// Answers 413 at once to a request whose `Content-Length` is over the body
/// limit, before a byte of the body is read (issue 15 item 6: such a request
/// used to be held until the request timeout), and closes the connection
/// (the unread body cannot be skipped).
///
/// A stream upload (`PUT .../results/{id}/stream`) has its own, larger limit
/// (`streams.limit`), which its handler also enforces on the decompressed
/// bytes as they arrive.
async fn refuse_declared_oversize(
    axum::extract::State((body_limit, stream_limit)): axum::extract::State<(usize, u64)>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let is_stream =
        req.method() == Method::PUT && req.uri().path().trim_end_matches('/').ends_with("/stream");
    let limit = if is_stream {
        stream_limit
    } else {
        body_limit as u64
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        let mut resp = ApiError::abort(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body is larger than the server accepts.",
        )
        .into_response();
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    next.run(req).await
}

/// Fails the reading of a request body that makes no progress (no byte for
/// `body_timeout_secs`); the extractors answer 408 (issue 15 item 4).
async fn body_progress_timeout(
    axum::extract::State(timeout): axum::extract::State<std::time::Duration>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let req = req.map(|b| Body::new(tower_http::timeout::TimeoutBody::new(timeout, b)));
    next.run(req).await
}

/// The 400 title for a URL that holds an encoded NUL character.
pub const NUL_IN_URL: &str = "URL must not contain a NUL character (%00)";

/// Refuses `%00` anywhere in the path or query with a 400, before the caller
/// is resolved: no id, filter or key can hold a NUL, PostgreSQL cannot even
/// compare one, and every backend must answer alike (issue 15 item 7).
async fn refuse_nul_in_uri(req: Request, next: axum::middleware::Next) -> Response {
    let uri = req.uri();
    let nul = |s: &str| memchr::memmem::find(s.as_bytes(), b"%00").is_some();
    if nul(uri.path()) || uri.query().is_some_and(nul) {
        return ApiError::validation(NUL_IN_URL).into_response();
    }
    next.run(req).await
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::abort_empty(StatusCode::METHOD_NOT_ALLOWED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str, prefix: &str) -> String {
        let req = Request::builder().uri(p).body(Body::empty()).unwrap();
        normalize(req, prefix).uri().to_string()
    }

    #[test]
    fn normalisation() {
        // Reference §1.1.
        assert_eq!(norm("/api/v1/results/", "/api"), "/v1/results");
        assert_eq!(
            norm("/v1/results.json?page=2", "/api"),
            "/v1/results?page=2"
        );
        assert_eq!(
            norm("/v1/guidelines/2020.06.json", ""),
            "/v1/guidelines/2020.06"
        );
        assert_eq!(
            norm("/v1/guidelines/2020.06", "/api"),
            "/v1/guidelines/2020.06"
        );
        assert_eq!(norm("/apiv1/results", "/api"), "/apiv1/results");
        assert_eq!(norm("/", "/api"), "/");
        assert_eq!(norm("/v1/.json", ""), "/v1/.json");
    }
}
