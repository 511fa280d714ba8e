//! What every response goes through, in one middleware rather than a layer
//! each (every layer wraps the future again, and each `from_fn` clones the
//! boxed rest of the stack per request: docs/benchmarks.md): the request id
//! (the caller's `x-request-id`, or a new one) echoed in the response and
//! carried by every line logged on the way (a task-local the line format
//! reads: `telemetry::line`); the security headers; the count of the
//! response by its status class (`/metrics`); and one log line, written
//! when the response is ready: method, path (never the query string: it may
//! carry codes or state), status, latency and the request id.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::resources::{HSTS, REQUEST_ID_HEADER};
use crate::state::AppState;
use crate::telemetry::in_request;

/// The headers every response carries unless its handler set its own.
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    ),
];

/// Middleware: the request's id, its headers, its count and its line.
pub async fn every_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .cloned()
        .or_else(new_request_id)
        .unwrap_or_else(|| HeaderValue::from_static("-"));
    let line = tracing::enabled!(tracing::Level::INFO).then(|| {
        (
            Instant::now(),
            request.method().clone(),
            request.uri().clone(),
        )
    });

    in_request(id.clone(), async move {
        let mut response = next.run(request).await;
        let status = response.status().as_u16();
        state.metrics.record_status(status);
        let headers = response.headers_mut();
        headers.entry(REQUEST_ID_HEADER).or_insert(id);
        for (name, value) in SECURITY_HEADERS {
            headers
                .entry(name)
                .or_insert(HeaderValue::from_static(value));
        }
        if state.config.is_https() {
            headers
                .entry(header::STRICT_TRANSPORT_SECURITY)
                .or_insert(HeaderValue::from_static(HSTS));
        }
        if let Some((started, method, uri)) = line {
            let micros = started.elapsed().as_micros() as u64;
            let path = uri.path();
            if status >= 500 {
                tracing::error!(%method, path, status, micros, "request");
            } else {
                tracing::info!(%method, path, status, micros, "request");
            }
        }
        response
    })
    .await
}

/// A new request id: a random UUID.
fn new_request_id() -> Option<HeaderValue> {
    HeaderValue::try_from(uuid::Uuid::new_v4().hyphenated().to_string()).ok()
}
