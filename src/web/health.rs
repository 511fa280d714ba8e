//! `GET /healthz` and `GET /metrics`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use secrecy::ExposeSecret;

use crate::crypto::constant_time_eq;
use crate::error::AppError;
use crate::http::ClientIp;
use crate::resources::HEALTH_DB_TIMEOUT_MS;
use crate::state::AppState;

/// 200 when the database answers within a short timeout, else 503.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let ping =
        tokio::time::timeout(Duration::from_millis(HEALTH_DB_TIMEOUT_MS), state.db.ping()).await;
    let (status, db) = match ping {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
    };
    let body = json!({ "status": if status == StatusCode::OK { "ok" } else { "unavailable" }, "database": db });
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Prometheus text exposition of this instance's counters: for loopback
/// clients, or, with `AUTH_METRICS_TOKEN` set, for whoever presents it as a
/// Bearer token (from anywhere, loopback included).
pub async fn metrics(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let allowed = match &state.config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(scheme, presented)| {
                scheme.eq_ignore_ascii_case("bearer")
                    && constant_time_eq(
                        presented.trim().as_bytes(),
                        token.expose_secret().as_bytes(),
                    )
            }),
        None => ip.is_loopback(),
    };
    if !allowed {
        return Err(AppError::forbidden("error-metrics-only"));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response())
}
