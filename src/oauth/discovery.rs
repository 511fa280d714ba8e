//! Discovery (RFC 8414 and OpenID Connect Discovery) and the JWKS.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::config::Config;
use crate::error::AppError;
use crate::resources::{SUPPORTED_SCOPES, routes};
use crate::state::AppState;

/// A document served from memory with its validator: the discovery
/// metadata (built once, from the configuration) or the JWKS.
#[derive(Debug, Clone)]
pub struct Document {
    body: bytes::Bytes,
    etag: HeaderValue,
}

impl Document {
    fn new(body: bytes::Bytes, etag: bytes::Bytes) -> Option<Document> {
        Some(Document {
            etag: HeaderValue::from_maybe_shared(etag).ok()?,
            body,
        })
    }

    /// The discovery metadata for `config` (`None`: an issuer that cannot
    /// make one, which configuration checks rule out).
    pub fn metadata(config: &Config) -> Option<Document> {
        let body = bytes::Bytes::from(metadata_json(config).to_string());
        let etag = crate::crypto::etag(&body);
        Document::new(body, etag.into())
    }

    /// The document, or `304 Not Modified` to a client that holds it
    /// already (RFC 9110 §13.1.2), cacheable for five minutes.
    fn respond(&self, request: &HeaderMap) -> Response {
        let cache = [
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (header::ETAG, self.etag.clone()),
        ];
        if not_modified(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, cache).into_response();
        }
        let json = (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        (cache, [json], self.body.clone()).into_response()
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, or `*`).
fn not_modified(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

fn metadata_json(config: &Config) -> serde_json::Value {
    let issuer = &config.issuer;
    let at = |path: &str| format!("{issuer}{path}");
    json!({
        "issuer": issuer,
        "authorization_endpoint": at(routes::AUTHORIZE),
        "token_endpoint": at(routes::TOKEN),
        "device_authorization_endpoint": at(routes::DEVICE_AUTHORIZATION),
        "revocation_endpoint": at(routes::REVOKE),
        "introspection_endpoint": at(routes::INTROSPECT),
        "userinfo_endpoint": at(routes::USERINFO),
        "jwks_uri": at(routes::JWKS),
        "end_session_endpoint": at(routes::LOGOUT),
        "backchannel_logout_endpoint": at(routes::BACKCHANNEL_LOGOUT),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", crate::oauth::token::DEVICE_CODE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": SUPPORTED_SCOPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["HS256", "RS256", "EdDSA"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "sid", "nonce", "preferred_username", "email", "email_verified", "amr", "acr"],
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login"],
        "acr_values_supported": ["pwd", "mfa"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}

/// The metadata document, served at both well-known addresses, from memory.
pub async fn metadata(State(state): State<AppState>, request: Request) -> Response {
    state.discovery.respond(request.headers())
}

/// `GET /oauth2/jwks`: the public keys of RS256 and EdDSA signing, from
/// memory (see `Signer::jwks` for how fresh).
pub async fn jwks(State(state): State<AppState>, request: Request) -> Response {
    let now = state.clock.now();
    let published = state
        .signer
        .jwks(
            &state.db,
            &state.keys,
            now,
            state.config.access_token_ttl_secs,
        )
        .await;
    match published.map(|jwks| Document::new(jwks.body.clone(), jwks.etag.clone())) {
        Ok(Some(document)) => document.respond(request.headers()),
        Ok(None) => internal(AppError::internal("JWKS ETag is not a header value")),
        Err(err) => internal(err),
    }
}

/// A failure on a route outside the error-page layer: logged, and answered
/// with RFC 6749's `server_error`, nothing internal.
fn internal(err: AppError) -> Response {
    tracing::error!(error = %err, "JWKS could not be built");
    crate::http::OAuthError::server_error().into_response()
}
