//! Discovery (RFC 8414 and OpenID Connect Discovery) and the JWKS.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::AppError;
use crate::resources::{SUPPORTED_SCOPES, routes};
use crate::state::AppState;

/// The metadata document, served at both well-known addresses.
pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = &state.config.issuer;
    let at = |path: &str| format!("{issuer}{path}");
    let body = json!({
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
    });
    cached(Json(body).into_response())
}

/// `GET /oauth2/jwks`: the public keys of RS256 and EdDSA signing.
pub async fn jwks(State(state): State<AppState>) -> Result<Response, AppError> {
    let now = state.clock.now();
    state
        .signer
        .ensure_keys(&state.db, &state.keys, now)
        .await?;
    let keys =
        crate::domain::signing::published_jwks(&state.db, now, state.config.access_token_ttl_secs)
            .await?;
    Ok(cached(Json(json!({ "keys": keys })).into_response()))
}

fn cached(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
