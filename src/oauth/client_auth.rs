//! Client authentication at the API (RFC 6749 §2.3.1): HTTP Basic
//! (`client_secret_basic`) or `client_id` + `client_secret` in the body
//! (`client_secret_post`), never both. A public client (a game, RFC 8252)
//! sends its `client_id` alone (`none`); a secret presented for one is
//! refused, since whoever sends one has mistaken the client for another.
//!
//! A client site's backend shares no fate with its visitors: an address
//! suspended for failed sign-ins is not refused here, and failed client
//! authentications count towards no suspension. A client secret is 256
//! random bits, so counting guesses protects nothing, while counting them
//! would let a misconfigured site (or anyone at a shared egress address, a
//! PaaS or a NAT) suspend sign-ins for everyone behind that address, and a
//! per-client count would let anyone who read a `client_id` off an authorize
//! URL lock the site out. Failures are answered `401 invalid_client`,
//! counted in the metrics and logged.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::clients;
use crate::entities::client;
use crate::http::ClientIp;
use crate::http::OAuthError;
use crate::metrics::inc;
use crate::oauth::params::Params;
use crate::state::AppState;

/// An API request as read: the caller's address, its headers and its form
/// parameters (form-encoded, each at most once; see [`Params`]).
pub struct ApiCall {
    pub ip: String,
    pub headers: HeaderMap,
    pub params: Params,
}

impl FromRequest<AppState> for ApiCall {
    /// An RFC 6749 JSON error, or the body extractor's own rejection (413
    /// for a body over the limit), which the error middleware renders as one.
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let ip = ClientIp::from_request_parts(&mut parts, state)
            .await
            .map_err(|err| OAuthError::from(err).into_response())?
            .key();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let params =
            Params::from_form(&parts.headers, &bytes).map_err(IntoResponse::into_response)?;
        Ok(ApiCall {
            ip,
            headers: parts.headers,
            params,
        })
    }
}

/// A client-authenticated API request: the client site its credentials
/// prove, and what it sent. Every client-authenticated endpoint but the
/// token endpoint (whose refresh grant authenticates inside its batched
/// statement) takes this.
pub struct AuthenticatedClient {
    pub client: client::Model,
    pub ip: String,
    pub params: Params,
}

impl FromRequest<AppState> for AuthenticatedClient {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let call = ApiCall::from_request(request, state).await?;
        let client = authenticate(state, &call.ip, &call.headers, &call.params)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(AuthenticatedClient {
            client,
            ip: call.ip,
            params: call.params,
        })
    }
}

/// Client credentials as presented: no secret for a public client.
pub struct Credentials {
    pub client_id: String,
    pub secret: Option<String>,
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
            Ok(Some(Credentials {
                client_id,
                secret: Some(secret),
            }))
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
                secret: Some(secret.to_owned()),
            }),
            None => Err(OAuthError::invalid_client()),
        },
        // A public client's `client_id` alone (RFC 6749 §2.3, `none`):
        // whether the client is public is decided by `judge`.
        (None, None) => match params.get("client_id") {
            Some(id) => Ok(Credentials {
                client_id: id.to_owned(),
                secret: None,
            }),
            None => Err(OAuthError::invalid_client()),
        },
    }
}

/// Authenticates the calling client site, or says why not. The client row
/// comes from memory (`ClientCache`) but every few seconds.
pub async fn authenticate(
    state: &AppState,
    ip: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Result<client::Model, OAuthError> {
    let credentials = credentials(headers, params);
    let client = match &credentials {
        Ok(c) => (state.clients)
            .get(&state.db, &c.client_id, state.clock.now())
            .await?
            .map(|site| site.client.clone()),
        Err(_) => None,
    };
    judge(state, ip, credentials, client)
}

/// The decision on credentials, given the client their id names (if any):
/// anything but an enabled confidential client with the right secret, or
/// an enabled public client with no secret, is refused.
pub fn judge(
    state: &AppState,
    ip: &str,
    credentials: Result<Credentials, OAuthError>,
    client: Option<client::Model>,
) -> Result<client::Model, OAuthError> {
    let credentials = match credentials {
        Ok(c) => c,
        Err(err) if err.code == "invalid_client" => return Err(failed(state, ip, None)),
        Err(err) => return Err(err),
    };
    let proven = client.filter(|client| {
        client.enabled
            && match (&credentials.secret, client.public) {
                (Some(secret), false) => clients::secret_matches(client, secret),
                (None, true) => true,
                // A public client has no secret to present; a confidential
                // one must present its own.
                (Some(_), true) | (None, false) => false,
            }
    });
    proven.ok_or_else(|| failed(state, ip, Some(&credentials.client_id)))
}

fn failed(state: &AppState, ip: &str, client_id: Option<&str>) -> OAuthError {
    inc(&state.metrics.client_auth_failures);
    tracing::info!(%ip, client_id = client_id.unwrap_or("-"), "client authentication failed");
    OAuthError::invalid_client()
}
