//! Client authentication at the API (RFC 6749 §2.3.1): HTTP Basic
//! (`client_secret_basic`) or `client_id` + `client_secret` in the body
//! (`client_secret_post`), never both. A suspended address is refused first;
//! every failure counts towards the address's suspension.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::clients::{self, ClientLookup};
use crate::domain::throttle;
use crate::entities::client;
use crate::error::OAuthError;
use crate::metrics::inc;
use crate::oauth::params::Params;
use crate::state::AppState;

/// Client credentials as presented.
pub struct Credentials {
    pub client_id: String,
    pub secret: String,
}

fn percent_decode(s: &str) -> Option<String> {
    // RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
    let decoded: String = url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()?
        .1
        .into_owned();
    Some(decoded)
}

fn basic(headers: &HeaderMap) -> Result<Option<Credentials>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header",
        ));
    }
    let value = value.to_str().map_err(|_| OAuthError::invalid_client())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(OAuthError::invalid_client());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client());
    }
    let raw = STANDARD
        .decode(encoded.trim())
        .map_err(|_| OAuthError::invalid_client())?;
    let raw = String::from_utf8(raw).map_err(|_| OAuthError::invalid_client())?;
    let (id, secret) = raw.split_once(':').ok_or_else(OAuthError::invalid_client)?;
    match (percent_decode(id), percent_decode(secret)) {
        (Some(client_id), Some(secret)) if !client_id.contains('\0') && !secret.contains('\0') => {
            Ok(Some(Credentials { client_id, secret }))
        }
        _ => Err(OAuthError::invalid_client()),
    }
}

/// The credentials of a request, or why they are not usable.
pub fn credentials(headers: &HeaderMap, params: &Params) -> Result<Credentials, OAuthError> {
    let from_header = basic(headers)?;
    match (from_header, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not two",
        )),
        (Some(p), None) => {
            if params.get("client_id").is_some_and(|id| id != p.client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the authenticated client",
                ));
            }
            Ok(p)
        }
        (None, Some(secret)) => match params.get("client_id") {
            Some(id) => Ok(Credentials {
                client_id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            None => Err(OAuthError::invalid_client()),
        },
        (None, None) => Err(OAuthError::invalid_client()),
    }
}

/// Authenticates the calling client site, or says why not. One database
/// round trip: the client row and the address's suspension together.
pub async fn authenticate(
    state: &AppState,
    ip: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Result<client::Model, OAuthError> {
    let now = state.clock.now();
    let credentials = credentials(headers, params);
    let client_id = credentials.as_ref().map_or("", |c| c.client_id.as_str());
    let lookup = clients::find_with_suspension(&state.db, client_id, ip, now).await?;
    judge(state, ip, credentials, lookup, now).await
}

/// The decision on credentials, given what the lookup of their client found:
/// a suspended address is refused first, then anything but an enabled client
/// with the right secret is a failure that counts towards suspension.
pub async fn judge(
    state: &AppState,
    ip: &str,
    credentials: Result<Credentials, OAuthError>,
    lookup: ClientLookup,
    now: i64,
) -> Result<client::Model, OAuthError> {
    if let Some(until) = lookup.suspended_until {
        return Err(OAuthError::too_many_requests(until));
    }
    let credentials = match credentials {
        Ok(c) => c,
        Err(err) if err.code == "invalid_client" => return Err(failed(state, ip, now).await),
        Err(err) => return Err(err),
    };
    match lookup.client {
        Some(client) if client.enabled && clients::secret_matches(&client, &credentials.secret) => {
            Ok(client)
        }
        _ => Err(failed(state, ip, now).await),
    }
}

async fn failed(state: &AppState, ip: &str, now: i64) -> OAuthError {
    inc(&state.metrics.client_auth_failures);
    let policy = throttle::Policy::from(state.config.as_ref());
    match throttle::record_failure(&state.db, ip, policy, now).await {
        Ok(Some(_)) => inc(&state.metrics.ip_suspensions),
        Ok(None) => {}
        Err(err) => return err.into(),
    }
    tracing::info!(%ip, "client authentication failed");
    OAuthError::invalid_client()
}
