//! The two presenters of the domain error: the one HTML error page for
//! browsers, and the RFC 6749 §5.2 JSON error for client backends; and the
//! middleware that renders every error response (including those produced
//! below the handlers: body limit, timeout, extractor rejections) as one or
//! the other. Server errors are logged with their cause and shown without it.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::value::Serde;
use minijinja::{Value, context};
use sea_orm::DbErr;
use serde::Serialize;
use tower_sessions::Session;

use crate::domain::sso;
use crate::entities::user;
use crate::error::AppError;
use crate::http::page::{ClientSiteView, chrome, here_of, lang_of};
use crate::i18n::{Lang, Msg};
use crate::resources::{routes, session_keys, templates};
use crate::state::AppState;

/// The HTTP status an [`AppError`] is answered with.
pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Marks a response to be rendered as the HTML error page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: Option<Msg>,
    /// For 429: when the suspension lifts (Unix seconds).
    pub until: Option<i64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_server_error();
        let status = status_of(&self);
        let until = match &self {
            AppError::TooManyRequests { until, .. } => Some(*until),
            _ => None,
        };
        let page = ErrorPage {
            status,
            message: self.public_message(),
            until,
        };
        let mut response = (status, status.canonical_reason().unwrap_or("Error")).into_response();
        if let Some(until) = until {
            response.extensions_mut().insert(RetryAt(until));
        }
        response.extensions_mut().insert(page);
        response
    }
}

/// An error page on the way to a client site, which offers the way back.
pub fn on_the_way(err: AppError, site: Option<ClientSiteView>) -> Response {
    let mut response = err.into_response();
    if let Some(site) = site {
        response.extensions_mut().insert(site);
    }
    response
}

/// Marks a response whose client should come back at this Unix time; the
/// `error_pages` middleware, which has the clock, turns it into `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct RetryAt(pub i64);

/// API paths answer errors in RFC 6749 JSON, everything else with the HTML page.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/oauth2/") && path != routes::AUTHORIZE
}

/// Renders error responses: those marked with [`ErrorPage`], and the plain
/// ones produced below the handlers (body limit, timeout, extractor
/// rejections), as the HTML error page in the visitor's language, or as
/// OAuth JSON on API paths.
pub async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = is_api_path(request.uri().path());
    let lang = lang_of(request.headers());
    let here = here_of(request.uri());
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let retry_at = response.extensions().get::<RetryAt>().copied();
    let marked = response.extensions().get::<ErrorPage>().cloned();
    let site = response.extensions().get::<ClientSiteView>().cloned();
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
            let who = signed_in(&state, session.as_ref()).await;
            let shown = Shown {
                lang,
                here: &here,
                who,
                site,
            };
            render_error_page(&state, &page, shown)
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

/// Who an error page is shown to, if they are signed in: the header says so
/// (and offers "Sign out", not "Sign in").
async fn signed_in(state: &AppState, session: Option<&Session>) -> Option<user::Model> {
    let id: String = session?.get(session_keys::SSO_SESSION_ID).await.ok()??;
    sso::find_active(&state.db, &id, state.clock.now())
        .await
        .ok()?
        .map(|(_, person)| person)
}

fn api_error(page: ErrorPage) -> Response {
    let mut err = match page.until {
        Some(until) => OAuthError::too_many_requests(until),
        None if page.status.is_server_error() => OAuthError::server_error(),
        None => OAuthError::invalid_request(
            page.message
                .map_or_else(|| "bad request".to_owned(), |m| m.english()),
        ),
    };
    err.status = page.status;
    err.into_response()
}

fn default_message(status: StatusCode) -> Option<Msg> {
    let key = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "error-too-large",
        StatusCode::REQUEST_TIMEOUT => "error-too-slow",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "error-not-a-form",
        StatusCode::METHOD_NOT_ALLOWED => "error-wrong-method",
        StatusCode::NOT_FOUND => "error-not-found",
        s if s.is_client_error() => "error-bad-request",
        _ => "error-server",
    };
    Some(Msg::new(key))
}

/// What an error page knows of its reader.
pub struct Shown<'a> {
    pub lang: Lang,
    pub here: &'a str,
    pub who: Option<user::Model>,
    pub site: Option<ClientSiteView>,
}

/// A way off an error page.
#[derive(Serialize)]
struct WayBack {
    url: &'static str,
    label: String,
}

/// The heading of an error page, in plain words.
fn heading_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "error-heading-400",
        403 => "error-heading-403",
        404 => "error-heading-404",
        405 => "error-heading-405",
        408 => "error-heading-408",
        413 => "error-heading-413",
        415 => "error-heading-415",
        429 => "error-heading-429",
        500 => "error-heading-500",
        503 => "error-heading-503",
        _ => "error-heading-other",
    }
}

/// The one HTML error page: a plain heading, what happened, for 429 how
/// long to wait (in words, never a clock time in a zone the reader is not
/// in), and the ways back: to the client site the person came from when
/// known, and into this server.
pub fn render_error_page(state: &AppState, page: &ErrorPage, shown: Shown<'_>) -> Response {
    let now = state.clock.now();
    let lang = shown.lang;
    let tr = |key: &'static str| Msg::new(key).in_lang(lang);
    let wait = page.until.map(|until| {
        Msg::new("error-try-again-in")
            .duration("wait", (until - now).max(1))
            .in_lang(lang)
    });
    let mut ways_back = vec![WayBack {
        url: routes::HOME,
        label: tr("error-way-start"),
    }];
    match &shown.who {
        Some(_) => ways_back.push(WayBack {
            url: routes::ACCOUNT,
            label: tr("error-way-account"),
        }),
        None => ways_back.push(WayBack {
            url: routes::LOGIN,
            label: tr("error-way-sign-in"),
        }),
    }
    let current_user = shown
        .who
        .as_ref()
        .map(|u| context! { username => u.username.clone(), is_admin => u.is_admin });
    let ctx = context! {
        status => page.status.as_u16(),
        heading => tr(heading_key(page.status)),
        message => page.message.as_ref().map(|m| m.in_lang(lang)),
        wait,
        ways_back => Value::from(Serde(&ways_back)),
        client_site => shown.site,
        current_user,
    };
    let ctx = chrome(state, lang, shown.here, ctx);
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

/// An RFC 6749 §5.2 error for the API routes (token, revoke, introspect...).
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: Option<String>,
    pub retry_until: Option<i64>,
    /// `WWW-Authenticate` value for 401 responses.
    pub challenge: Option<&'static str>,
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            code,
            description: Some(description.into()),
            retry_until: None,
            challenge: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// Client authentication failed (RFC 6749 §5.2): 401 with a challenge.
    pub fn invalid_client() -> Self {
        OAuthError {
            challenge: Some(r#"Basic realm="pattmayne-auth", charset="UTF-8""#),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        }
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    /// A device authorization grant's answer while it waits (RFC 8628
    /// §3.5): `authorization_pending`, `slow_down`, `access_denied` or
    /// `expired_token`, all 400.
    pub fn device(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        )
    }

    pub fn unsupported_token_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            description,
        )
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// A missing or bad bearer token (RFC 6750 §3.1).
    pub fn invalid_token(description: impl Into<String>) -> Self {
        OAuthError {
            challenge: Some(r#"Bearer error="invalid_token""#),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
        }
    }

    pub fn too_many_requests(until: i64) -> Self {
        OAuthError {
            retry_until: Some(until),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                "too many failed attempts from this address",
            )
        }
    }

    pub fn server_error() -> Self {
        OAuthError {
            description: None,
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "")
        }
    }
}

impl From<AppError> for OAuthError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::TooManyRequests { until, .. } => OAuthError::too_many_requests(until),
            AppError::BadRequest(m) | AppError::Conflict(m) => {
                OAuthError::invalid_request(m.english())
            }
            AppError::NotFound => OAuthError {
                status: StatusCode::NOT_FOUND,
                ..OAuthError::invalid_request("not found")
            },
            AppError::Forbidden(m) => OAuthError {
                status: StatusCode::FORBIDDEN,
                ..OAuthError::invalid_request(m.english())
            },
            err @ (AppError::Database(_) | AppError::Internal(_)) => {
                err.log_if_server_error();
                OAuthError::server_error()
            }
        }
    }
}

impl From<DbErr> for OAuthError {
    fn from(err: DbErr) -> Self {
        AppError::from(err).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.code,
            error_description: self.description.as_deref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(until) = self.retry_until {
            response.extensions_mut().insert(RetryAt(until));
        }
        response
    }
}
