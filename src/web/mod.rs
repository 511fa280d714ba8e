//! The hosted pages on the auth domain and the plumbing they share:
//! the error page, static assets, health.

pub mod account;
pub mod assets;
pub mod auth;
pub mod client_ip;
pub mod csrf;
pub mod device;
pub mod health;
pub mod login;
pub mod logout;
pub mod register;
pub mod session;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::context;

use crate::error::{AppError, AppResult, ErrorPage, OAuthError, RetryAt};
use crate::resources::{routes, templates};
use crate::state::AppState;

/// Routes for people's browsers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::HOME, get(home))
        .route(routes::LOGIN, get(login::show).post(login::submit))
        .route(routes::REGISTER, get(register::show).post(register::submit))
        .route(
            routes::LOGOUT,
            get(logout::rp_initiated).post(logout::submit),
        )
        .route(routes::ACCOUNT, get(account::show))
        .route(
            routes::ACCOUNT_SIGN_OUT_EVERYWHERE,
            post(account::sign_out_everywhere),
        )
        .route(
            routes::ACCOUNT_SESSION_SIGN_OUT,
            post(account::sign_out_session),
        )
        .route(routes::STATIC, get(assets::asset))
        .route(routes::HEALTHZ, get(health::healthz))
        .route(routes::METRICS, get(health::metrics))
}

async fn home(State(state): State<AppState>, visitor: auth::Visitor) -> AppResult<Html<String>> {
    let page = context! { registration_enabled => state.config.registration_enabled };
    state
        .templates
        .render(templates::HOME, visitor.page(false, page).await?)
}

/// Fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// API paths answer errors in RFC 6749 JSON, everything else with the HTML page.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/oauth2/") && path != routes::AUTHORIZE
}

/// Renders error responses: those marked with [`ErrorPage`], and the plain
/// ones produced below the handlers (body limit, timeout, extractor
/// rejections), as the HTML error page, or as OAuth JSON on API paths.
pub async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = is_api_path(request.uri().path());
    let response = next.run(request).await;
    state.metrics.record_status(response.status().as_u16());
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let retry_at = response.extensions().get::<RetryAt>().copied();
    let marked = response.extensions().get::<ErrorPage>().cloned();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|ct| ct.as_bytes().starts_with(b"text/plain"));
    let mut rendered = if marked.is_none() && !plain {
        response
    } else {
        let page = marked.unwrap_or(ErrorPage {
            status,
            message: default_message(status),
            until: None,
        });
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let mut rendered = if api {
            api_error(page)
        } else {
            render_error_page(&state, &page)
        };
        if let Some(value) = retry_after {
            rendered.headers_mut().insert(header::RETRY_AFTER, value);
        }
        rendered
    };
    if let Some(RetryAt(until)) = retry_at {
        let secs = (until - state.clock.now()).max(1);
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            rendered.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    rendered
}

fn api_error(page: ErrorPage) -> Response {
    let mut err = match page.until {
        Some(until) => OAuthError::too_many_requests(until),
        None if page.status.is_server_error() => OAuthError::server_error(),
        None => {
            OAuthError::invalid_request(page.message.unwrap_or_else(|| "bad request".to_owned()))
        }
    };
    err.status = page.status;
    err.into_response()
}

fn default_message(status: StatusCode) -> Option<String> {
    let text = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request was too large.",
        StatusCode::REQUEST_TIMEOUT => "The request took too long.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "The request was not a form submission.",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.",
        StatusCode::NOT_FOUND => "There is nothing at this address.",
        s if s.is_client_error() => "The request could not be understood.",
        _ => return None,
    };
    Some(text.to_owned())
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
    AppError::bad_request("The request contains a NUL character.").into_response()
}

/// The one HTML error page: status, reason, optional message, and for 429
/// when the suspension lifts.
pub fn render_error_page(state: &AppState, page: &ErrorPage) -> Response {
    let now = state.clock.now();
    let until_iso = page.until.and_then(|t| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
    });
    let ctx = context! {
        status => page.status.as_u16(),
        reason => page.status.canonical_reason().unwrap_or("Error"),
        message => page.message.clone(),
        until => page.until,
        until_iso => until_iso,
        remaining => page.until.map(|t| (t - now).max(1)),
    };
    let body = state
        .templates
        .render_string(templates::ERROR, ctx)
        // If even the error page cannot render, say the bare minimum.
        .unwrap_or_else(|_| {
            format!(
                "{} {}",
                page.status.as_u16(),
                page.status.canonical_reason().unwrap_or("Error")
            )
        });
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = page.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
