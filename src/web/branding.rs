//! What the pages show of the server and the client sites: the language
//! switch, the server's logo and favicon, each client site's logo and
//! colours. All served from this origin, so the pages need nothing from
//! anywhere else (their Content-Security-Policy allows nothing else).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::branding::{self, Logo, Rgb};
use crate::domain::clients;
use crate::error::{AppError, AppResult};
use crate::http::safe_next;
use crate::i18n::Lang;
use crate::resources::{cookies, routes};
use crate::state::AppState;

const FAVICON: &str = include_str!("../../static/favicon.svg");

/// A year, in seconds: the language cookie's life.
const LANG_COOKIE_SECS: i64 = 365 * 24 * 3600;

#[derive(Deserialize)]
pub struct NextOnly {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /language/{tag}?next=…`: remembers the visitor's language and goes
/// back to the page they were on. A plain link: choosing a language changes
/// nothing that needs a CSRF token.
pub async fn choose_language(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    Query(q): Query<NextOnly>,
) -> AppResult<Response> {
    let lang = Lang::from_tag(&tag).ok_or(AppError::NotFound)?;
    let next = q.next.as_deref().and_then(safe_next);
    let mut response = Redirect::to(next.as_deref().unwrap_or(routes::HOME)).into_response();
    let cookie = tower_sessions::cookie::Cookie::build((cookies::LANG, lang.tag()))
        .path("/")
        .http_only(true)
        .secure(state.config.is_https())
        .same_site(tower_sessions::cookie::SameSite::Lax)
        .max_age(time::Duration::seconds(LANG_COOKIE_SECS))
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// An image, cached by its hash (`ETag`) for a day.
fn image(logo: &Logo, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&logo.etag).ok();
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .zip(etag.as_ref())
        .is_some_and(|(asked, etag)| asked == etag);
    let mut response = if unchanged {
        axum::http::StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, logo.content_type)],
            logo.bytes.clone(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    // An SVG opened by itself may not run anything.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    response
}

/// `GET /branding/logo`: the server's logo (`AUTH_SITE_LOGO_FILE`).
pub async fn site_logo(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let logo = state.config.site_logo.as_ref().ok_or(AppError::NotFound)?;
    Ok(image(logo, &headers))
}

/// `GET /branding/clients/{id}/logo`.
pub async fn client_logo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let logo = branding::client_logo(&state.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(image(&logo, &headers))
}

/// `GET /branding/clients/{id}/style.css`: the site's accent colour for the
/// buttons, in both themes (the colour was checked against white text).
pub async fn client_style(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let client = clients::find(&state.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let accent = client
        .accent_color
        .as_deref()
        .and_then(Rgb::parse)
        .ok_or(AppError::NotFound)?;
    let css = format!(
        ":root {{ --button: {0}; --button-fg: #ffffff; }}\n\
         @media (prefers-color-scheme: dark) {{ :root {{ --button: {0}; --button-fg: #ffffff; }} }}\n",
        accent.hex()
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        css,
    )
        .into_response())
}

/// `GET /favicon.ico` (an SVG: every browser that asks takes it).
pub async fn favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        FAVICON,
    )
        .into_response()
}
