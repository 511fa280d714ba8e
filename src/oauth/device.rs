//! `POST /oauth2/device_authorization` (RFC 8628 §3.1): a device without a
//! browser asks for a device code and a user code. The person confirms at
//! `/device` (`web::device_login`); the device polls the token endpoint
//! with `grant_type=urn:ietf:params:oauth:grant-type:device_code`
//! (`oauth::token`).

use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use serde::Serialize;

use crate::domain::device_grant::{self, DeviceInfo};
use crate::http::OAuthError;
use crate::oauth::answer;
use crate::oauth::client_auth::{ApiCall, authenticate};
use crate::resources::{DEFAULT_SCOPE, SUPPORTED_SCOPES, routes};
use crate::state::AppState;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// `POST /oauth2/device_authorization`.
pub async fn device_authorization(State(state): State<AppState>, call: ApiCall) -> Response {
    answer(authorize_device(&state, &call).await)
}

async fn authorize_device(
    state: &AppState,
    call: &ApiCall,
) -> Result<DeviceAuthorization, OAuthError> {
    let client = authenticate(state, &call.ip, &call.headers, &call.params).await?;
    if !client.device_grant {
        return Err(OAuthError::unauthorized_client(
            "this client is not allowed the device authorization grant",
        ));
    }
    let scope = canonical_scope(call.params.get("scope"))?;
    let user_agent = call
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(crate::domain::sso::clean_user_agent);
    let device = DeviceInfo {
        ip: Some(call.ip.clone()),
        user_agent,
    };
    let issued = device_grant::issue(
        &state.db,
        &state.keys,
        &client.client_id,
        &scope,
        device,
        state.config.device_poll_interval_secs,
        state.clock.now(),
    )
    .await?;
    let verification_uri = format!("{}{}", state.config.issuer, routes::DEVICE);
    let mut complete = url::form_urlencoded::Serializer::new(String::new());
    complete.append_pair("user_code", &issued.user_code);
    Ok(DeviceAuthorization {
        verification_uri_complete: format!("{verification_uri}?{}", complete.finish()),
        verification_uri,
        device_code: issued.device_code,
        user_code: issued.user_code,
        expires_in: issued.expires_in,
        interval: issued.interval,
    })
}

/// The scope asked for, in a stable order, or the default; anything we do
/// not support is `invalid_scope`.
fn canonical_scope(asked: Option<&str>) -> Result<String, OAuthError> {
    let asked: Vec<&str> = asked
        .unwrap_or(DEFAULT_SCOPE)
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if asked.is_empty() {
        return Ok(DEFAULT_SCOPE.to_owned());
    }
    if asked.iter().any(|s| !SUPPORTED_SCOPES.contains(s)) {
        return Err(OAuthError::invalid_scope("the scope is not supported"));
    }
    Ok(crate::oauth::params::canonical_scope(asked))
}
