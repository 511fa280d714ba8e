//! Reading requests: form bodies, cookies, and the refusal of NUL characters.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::AppError;

/// Any form whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// Refuses any request with a NUL character in its path, query string or
/// form body, before a handler sees it. No parameter of this server may hold
/// one, and PostgreSQL cannot store one in text: a NUL that reached a
/// statement would fail it with a server error. Checked once here rather
/// than in every extractor.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if has_nul(uri.path().as_bytes()) || uri.query().is_some_and(|q| has_nul(q.as_bytes())) {
        return nul_refused();
    }
    if !is_form(request.headers()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Read as the handlers would (the same body limit, the same rejections).
    let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(bytes) => bytes,
        Err(rejection) => return rejection.into_response(),
    };
    if has_nul(&bytes) {
        return nul_refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether a request says its body is `application/x-www-form-urlencoded`.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The value of the first cookie called `name` on a request.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

/// A NUL byte, raw or percent-encoded.
fn has_nul(raw: &[u8]) -> bool {
    raw.contains(&0) || raw.windows(3).any(|w| w == b"%00")
}

fn nul_refused() -> Response {
    AppError::bad_request("error-nul").into_response()
}
