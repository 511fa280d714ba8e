//! One log line per request, written when its response is ready: method,
//! path (never the query string: it may carry codes or state), status,
//! latency and the request id. What a handler logs on the way carries the
//! request id too (the request's span). Every response is counted here by
//! its status class (`/metrics`), whatever route and layers it came through.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::resources::REQUEST_ID_HEADER;
use crate::state::AppState;

/// Middleware: the request's span, its line and its count.
pub async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !tracing::enabled!(tracing::Level::INFO) {
        let response = next.run(request).await;
        state.metrics.record_status(response.status().as_u16());
        return response;
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
        state.metrics.record_status(status);
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
