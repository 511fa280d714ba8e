//! Verifying what the server signs (access JWTs, logout tokens) and asking
//! it for tokens (code exchange, refresh, back-channel sign-out).

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};

use crate::config::{Clock, Config};

/// The event a logout_token carries (OIDC Back-Channel Logout 1.0 §2.4).
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The `typ` of access JWTs (RFC 9068) and of logout tokens.
const ACCESS_TYP: &str = "at+jwt";
const LOGOUT_TYP: &str = "logout+jwt";
/// An unknown `kid` refetches the JWKS at most this often, so forged
/// tokens cannot make the site hammer the server.
const REFETCH_SECS: i64 = 10;
/// Clock skew allowed on a logout token's `iat`.
const LEEWAY_SECS: i64 = 60;

/// The claims of a Pattmayne Auth access JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The server that signed it.
    pub iss: String,
    /// The person: a stable id, the key for anything the site stores.
    pub sub: String,
    /// This site's `client_id`.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// The token's unique id.
    pub jti: String,
    /// The sign-in session it was issued under.
    pub sid: String,
    /// The scopes granted, space-separated.
    #[serde(default)]
    pub scope: String,
    /// The person's username.
    #[serde(default)]
    pub preferred_username: String,
}

/// What checking an access JWT found.
pub(crate) enum Checked {
    Valid(AccessClaims),
    /// Genuine, but past its `exp`: time to refresh.
    Expired(AccessClaims),
    Invalid,
}

/// A key from the JWKS.
struct PublishedKey {
    alg: Algorithm,
    key: DecodingKey,
}

pub(crate) struct Verifier {
    issuer: String,
    client_id: String,
    jwks_url: String,
    hs256: Option<DecodingKey>,
    clock: Clock,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, Arc<PublishedKey>>>,
    /// When the JWKS was last fetched (and the lock fetches take).
    fetched_at: Mutex<Option<i64>>,
}

impl Verifier {
    pub(crate) fn new(config: &Config, http: reqwest::Client) -> Self {
        Verifier {
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            jwks_url: format!("{}/oauth2/jwks", config.server_url),
            hs256: config
                .jwt_secret
                .as_ref()
                .and_then(|s| DecodingKey::from_secret(s.as_bytes()).ok()),
            clock: config.clock.clone(),
            http,
            keys: RwLock::new(HashMap::new()),
            fetched_at: Mutex::new(None),
        }
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Checks an access JWT: its `typ`, signature, `iss`, `aud`, and `exp`
    /// against the kit's clock.
    pub(crate) async fn access(&self, token: &str) -> Checked {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Checked::Invalid;
        };
        if header.typ.as_deref() != Some(ACCESS_TYP) {
            return Checked::Invalid; // an id_token or a logout token is no access token
        }
        let key = match (&self.hs256, header.alg) {
            (Some(secret), Algorithm::HS256) => Arc::new(PublishedKey {
                alg: Algorithm::HS256,
                key: secret.clone(),
            }),
            // An HS256 site accepts HS256 only; a JWKS site never HS256.
            (None, Algorithm::RS256 | Algorithm::EdDSA) => {
                match self.published(header.kid.as_deref(), header.alg).await {
                    Some(key) => key,
                    None => return Checked::Invalid,
                }
            }
            _ => return Checked::Invalid,
        };
        let Some(claims) = self.decode::<AccessClaims>(token, &key) else {
            return Checked::Invalid;
        };
        if claims.exp <= self.now() {
            Checked::Expired(claims)
        } else {
            Checked::Valid(claims)
        }
    }

    /// Checks a logout_token as OIDC Back-Channel Logout §2.6 says; returns
    /// the `sid` it ends.
    pub(crate) async fn logout_token(&self, token: &str) -> Result<String, &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "not a JWT")?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::EdDSA) {
            return Err("not signed with a published key");
        }
        if header.typ.as_deref().is_some_and(|t| t != LOGOUT_TYP) {
            return Err("not a logout token");
        }
        let key = self
            .published(header.kid.as_deref(), header.alg)
            .await
            .ok_or("signed with an unknown key")?;
        let claims: LogoutClaims = self.decode(token, &key).ok_or("invalid logout token")?;
        let now = self.now();
        if claims.exp <= now || claims.iat > now + LEEWAY_SECS {
            return Err("the logout token is expired or not yet valid");
        }
        if !claims
            .events
            .get(LOGOUT_EVENT)
            .is_some_and(|e| e.is_object())
        {
            return Err("the logout token has no logout event");
        }
        if claims.nonce.is_some() {
            return Err("a logout token has no nonce");
        }
        if claims.jti.is_empty() {
            return Err("the logout token has no jti");
        }
        claims.sid.ok_or("the logout token names no session")
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, token: &str, key: &PublishedKey) -> Option<T> {
        let mut validation = Validation::new(key.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["iss", "aud", "exp", "iat"]);
        // Expiry is checked against the kit's clock by the callers.
        validation.validate_exp = false;
        jsonwebtoken::decode::<T>(token, &key.key, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The published key `kid`, from the cache or, when unknown, from a
    /// fresh JWKS (a rotation).
    async fn published(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<PublishedKey>> {
        let kid = kid?;
        let usable = |key: &Arc<PublishedKey>| (key.alg == alg).then(|| key.clone());
        if let Some(key) = self.keys.read().await.get(kid) {
            return usable(key);
        }
        let mut fetched_at = self.fetched_at.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = self.keys.read().await.get(kid) {
            return usable(key);
        }
        let now = self.now();
        if fetched_at.is_some_and(|at| now - at < REFETCH_SECS && now >= at) {
            return None;
        }
        *fetched_at = Some(now);
        match self.fetch_jwks().await {
            Ok(keys) => {
                let found = keys.get(kid).and_then(usable);
                *self.keys.write().await = keys;
                found
            }
            Err(err) => {
                tracing::warn!(error = %err, url = %self.jwks_url, "the JWKS could not be fetched");
                None
            }
        }
    }

    async fn fetch_jwks(&self) -> Result<HashMap<String, Arc<PublishedKey>>, String> {
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
            else {
                continue;
            };
            let alg = match jwk.common.key_algorithm {
                Some(KeyAlgorithm::RS256) => Algorithm::RS256,
                Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
                _ => continue,
            };
            keys.insert(kid, Arc::new(PublishedKey { alg, key }));
        }
        Ok(keys)
    }
}

#[derive(Debug, Deserialize)]
struct LogoutClaims {
    exp: i64,
    iat: i64,
    #[serde(default)]
    jti: String,
    sid: Option<String>,
    #[serde(default)]
    events: serde_json::Map<String, serde_json::Value>,
    nonce: Option<String>,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) expires_in: i64,
    pub(crate) refresh_token: String,
    /// Until the sign-in session expires (the server's extension).
    pub(crate) refresh_token_expires_in: Option<i64>,
}

/// Why the server gave no tokens.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum TokenError {
    /// The server said no (RFC 6749 §5.2): the grant is dead.
    #[error("{error}: {description}")]
    Refused { error: String, description: String },
    /// The server could not be asked, or answered nonsense: try later.
    #[error("the server is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Calls the server's client-authenticated endpoints.
pub(crate) struct ServerApi {
    http: reqwest::Client,
    token_url: String,
    logout_url: String,
    client_id: String,
    client_secret: String,
}

impl ServerApi {
    pub(crate) fn new(config: &Config, http: reqwest::Client) -> Self {
        ServerApi {
            http,
            token_url: format!("{}/oauth2/token", config.server_url),
            logout_url: format!("{}/oauth2/logout", config.server_url),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
        }
    }

    /// A POST with HTTP Basic client authentication; the id and secret are
    /// form-encoded first, as RFC 6749 §2.3.1 says.
    fn post(&self, url: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        self.http
            .post(url)
            .basic_auth(encode(&self.client_id), Some(encode(&self.client_secret)))
            .form(form)
    }

    pub(crate) async fn token(&self, form: &[(&str, &str)]) -> Result<TokenResponse, TokenError> {
        let response = self
            .post(&self.token_url, form)
            .send()
            .await
            .map_err(|e| TokenError::Unavailable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|e| TokenError::Unavailable(format!("token response: {e}")));
        }
        match response.json::<ErrorBody>().await {
            Ok(body) if status.is_client_error() && status.as_u16() != 429 => {
                Err(TokenError::Refused {
                    error: body.error,
                    description: body.error_description,
                })
            }
            _ => Err(TokenError::Unavailable(format!(
                "the server answered {status}"
            ))),
        }
    }

    /// Ends the sign-in session the refresh token belongs to, on every site.
    pub(crate) async fn sign_out(&self, refresh_token: &str) -> Result<(), String> {
        let response = self
            .post(&self.logout_url, &[("refresh_token", refresh_token)])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match response.status() {
            s if s.is_success() => Ok(()),
            s => Err(format!("the server answered {s}")),
        }
    }
}
