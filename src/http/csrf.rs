//! The cookie an anonymous visitor's CSRF tokens are bound to.
//!
//! A signed-in browser's forms carry the token kept in its HTTP session
//! (made anew at sign-in). An anonymous visitor has no HTTP session, and
//! viewing a page must not make one: that would be a database write for
//! every cookie-less request, which anyone can send by the million. So the
//! sign-in and registration forms carry a token bound to a random cookie
//! instead, `HMAC(csrf key, cookie)`: a page on another site can make the
//! browser send the cookie but cannot read the token, and cannot make one
//! without the key. The cookie is `HttpOnly`, `SameSite=Lax`, and over https
//! `__Host-` and `Secure`, so a sibling site cannot plant one either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::crypto::{Keys, constant_time_eq, random_token};
use crate::error::AppError;
use crate::resources::cookies;
use crate::state::AppState;

/// This request's CSRF cookie: the one it came with, or a new one that is
/// set on the response if a token was made from it.
#[derive(Debug, Clone)]
pub struct CsrfCookie {
    value: String,
    fresh: bool,
    used: Arc<AtomicBool>,
}

impl CsrfCookie {
    /// A token for a form, bound to this cookie.
    pub fn token(&self, keys: &Keys) -> String {
        self.used.store(true, Ordering::Relaxed);
        keys.csrf_token(&self.value)
    }

    /// Whether `submitted` was made from the cookie this request came with.
    pub fn verify(&self, keys: &Keys, submitted: &str) -> bool {
        !self.fresh
            && !submitted.is_empty()
            && constant_time_eq(
                keys.csrf_token(&self.value).as_bytes(),
                submitted.as_bytes(),
            )
    }
}

/// Middleware: reads the CSRF cookie (or draws one) for the handlers, and
/// sets a new one on the response when a page used it.
pub async fn cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let https = state.config.is_https();
    let name = cookies::named(cookies::CSRF, https);
    let existing = crate::http::forms::cookie_value(request.headers(), name).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let fresh = existing.is_none();
    let value = match existing {
        Some(value) => value,
        None => match random_token() {
            Ok(value) => value,
            Err(err) => return AppError::from(err).into_response(),
        },
    };
    let seed = CsrfCookie {
        fresh,
        value,
        used: Arc::default(),
    };
    request.extensions_mut().insert(seed.clone());
    let mut response = next.run(request).await;
    if seed.fresh && seed.used.load(Ordering::Relaxed) {
        let cookie = tower_sessions::cookie::Cookie::build((name, seed.value))
            .path("/")
            .http_only(true)
            .secure(https)
            .same_site(tower_sessions::cookie::SameSite::Lax)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
