//! The client-facing endpoints (the seed's "external routes"): authorize,
//! token, revoke, introspect, userinfo, back-channel logout, discovery and JWKS.

pub mod authorize;
pub mod client_auth;
pub mod device;
pub mod discovery;
pub mod params;
pub mod revoke;
pub mod token;
pub mod userinfo;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::http::OAuthError;

use crate::resources::routes;
use crate::state::AppState;

/// Routes for client sites and OAuth libraries.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::AUTHORIZE, get(authorize::authorize))
        .route(routes::TOKEN, post(token::token))
        .route(
            routes::DEVICE_AUTHORIZATION,
            post(device::device_authorization),
        )
        .route(routes::REVOKE, post(revoke::revoke))
        .route(routes::BACKCHANNEL_LOGOUT, post(revoke::backchannel_logout))
        .route(
            routes::USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(routes::INTROSPECT, post(userinfo::introspect))
}

/// The published documents, discovery and the JWKS: fixed for everyone,
/// read by every client library and resource server, and served from
/// memory without the layers that pages and grants need (sessions, CSRF
/// cookie, error pages): see `crate::app`.
pub fn documents() -> Router<AppState> {
    Router::new()
        .route(routes::JWKS, get(discovery::jwks))
        .route(routes::OAUTH_METADATA, get(discovery::metadata))
        .route(routes::OPENID_CONFIGURATION, get(discovery::metadata))
}

/// An API endpoint's answer: JSON that is never cached (RFC 6749 §5.1), or
/// the RFC 6749 error.
pub fn answer<T: Serialize>(result: Result<T, OAuthError>) -> Response {
    match result {
        Ok(body) => {
            let mut response = Json(body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(err) => err.into_response(),
    }
}
