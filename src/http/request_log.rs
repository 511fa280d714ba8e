//! One log line per request, written when its response is ready: method,
//! path (never the query string: it may carry codes or state), status,
//! latency and the request id. What a handler logs on the way carries the
//! request id too (the request's span).

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::resources::REQUEST_ID_HEADER;

/// Middleware: the request's span and its line.
pub async fn log_request(request: Request, next: Next) -> Response {
    if !tracing::enabled!(tracing::Level::INFO) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = tracing::info_span!("http", request_id = %id);
    async move {
        let response = next.run(request).await;
        let status = response.status().as_u16();
        let micros = started.elapsed().as_micros() as u64;
        if status >= 500 {
            tracing::error!(%method, path, status, micros, "request");
        } else {
            tracing::info!(%method, path, status, micros, "request");
        }
        response
    }
    .instrument(span)
    .await
}
