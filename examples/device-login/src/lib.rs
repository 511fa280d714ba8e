//! Signing a player in on a device with no handy browser or keyboard (a
//! console, a TV, a headless game server) with Pattmayne Auth, through the
//! OAuth 2.0 Device Authorization Grant (RFC 8628):
//!
//! 1. [`start`]: the device asks the server for a pair of codes;
//! 2. the device shows the short `user_code` and a URL; the player opens it
//!    on their phone or computer, signs in there and types the code;
//! 3. [`poll`]: meanwhile the device asks the token endpoint, every
//!    `interval` seconds, whether the player has approved yet.
//!
//! ```no_run
//! # async fn run() -> Result<(), device_login::Error> {
//! let auth = device_login::start("https://auth.example.com", "my-console-game", None).await?;
//! println!("Go to {} and enter {}", auth.verification_uri, auth.user_code);
//! let tokens = device_login::poll(&auth).await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

/// Requests to the server.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// RFC 8628 §3.5: `slow_down` means poll this much less often from now on.
const SLOW_DOWN: Duration = Duration::from_secs(5);
/// RFC 8628 §3.2: the interval when the server does not say.
fn default_interval() -> u64 {
    5
}

/// The server's answer to [`start`] (RFC 8628 §3.2), plus what [`poll`]
/// needs to go on.
#[derive(Clone, Deserialize)]
pub struct DeviceAuthorization {
    /// The device's secret for polling. Never shown to the player.
    pub device_code: String,
    /// What the player types on the other device, e.g. `WDJB-MJHT`.
    pub user_code: String,
    /// Where the player goes to type it.
    pub verification_uri: String,
    /// The same page with the code filled in: for a QR code or a link.
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    #[serde(default = "default_interval")]
    pub interval: u64,
    #[serde(skip)]
    token_endpoint: String,
    #[serde(skip)]
    client_id: String,
    #[serde(skip)]
    client_secret: Option<String>,
}

/// The device code and the client secret are credentials: `{:?}` leaves
/// them out.
impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The tokens the server issues (RFC 6749 §5.1, plus Pattmayne Auth's
/// `refresh_token_expires_in` and OpenID Connect's `id_token`).
#[derive(Clone, Deserialize)]
pub struct Tokens {
    /// What the game sends to its game server (`Authorization: Bearer`):
    /// a JWT the game server verifies against the auth server's JWKS.
    pub access_token: String,
    /// Keep it to get new tokens without the player (`grant_type=refresh_token`).
    /// Each refresh returns a new one and spends the old one.
    pub refresh_token: String,
    /// Seconds the access token is valid for.
    pub expires_in: i64,
    /// Seconds the refresh token is valid for.
    #[serde(default)]
    pub refresh_token_expires_in: i64,
    /// Who signed in, for the game itself (`scope=openid`).
    #[serde(default)]
    pub id_token: Option<String>,
    /// The scopes granted, space-separated.
    #[serde(default)]
    pub scope: String,
}

/// Tokens are credentials: `{:?}` shows their lengths, never their values.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &str| format!("<{} bytes>", s.len());
        f.debug_struct("Tokens")
            .field("access_token", &hidden(&self.access_token))
            .field("refresh_token", &hidden(&self.refresh_token))
            .field("expires_in", &self.expires_in)
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .field("id_token", &self.id_token.as_deref().map(hidden))
            .field("scope", &self.scope)
            .finish()
    }
}

/// Why signing in did not work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached, or answered something unreadable.
    #[error("could not talk to the auth server: {0}")]
    Http(#[from] reqwest::Error),
    /// The discovery document is missing, does not fit the issuer, or the
    /// server has no device authorization endpoint.
    #[error("bad discovery document: {0}")]
    Discovery(String),
    /// The player said no (`access_denied`).
    #[error("the player declined the sign-in")]
    Denied,
    /// The codes expired before the player approved (`expired_token`):
    /// call [`start`] again for new ones.
    #[error("the code expired before the player approved it")]
    Expired,
    /// Any other OAuth error (RFC 6749 §5.2): `invalid_client`,
    /// `unauthorized_client` (the client may not use this grant)...
    #[error("{error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The error code.
        error: String,
        /// The server's explanation, for people.
        description: Option<String>,
    },
    /// The server failed without an OAuth error body.
    #[error("the server answered {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
}

/// The parts of the discovery document the device grant uses.
#[derive(Deserialize)]
struct Endpoints {
    issuer: String,
    device_authorization_endpoint: Option<String>,
    token_endpoint: String,
}

/// Asks the server for a device code and a user code (RFC 8628 §3.1).
///
/// A console game is usually a public client (`client_secret: None`); a
/// game *server* you run yourself may be confidential and pass its secret,
/// sent in the body (`client_secret_post`).
pub async fn start(
    issuer: &str,
    client_id: &str,
    client_secret: Option<&str>,
) -> Result<DeviceAuthorization, Error> {
    let http = http()?;
    let issuer = issuer.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let endpoints: Endpoints = http
        .get(&url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    // OpenID Connect Discovery §4.3: the document must be the issuer's own.
    if endpoints.issuer.trim_end_matches('/') != issuer {
        return Err(Error::Discovery(format!(
            "{url} is for the issuer {}",
            endpoints.issuer
        )));
    }
    let Some(device_endpoint) = endpoints.device_authorization_endpoint else {
        return Err(Error::Discovery(
            "the server offers no device_authorization_endpoint".to_owned(),
        ));
    };

    let mut form = vec![("client_id", client_id), ("scope", "openid profile")];
    form.extend(client_secret.map(|secret| ("client_secret", secret)));
    let response = http.post(&device_endpoint).form(&form).send().await?;
    if !response.status().is_success() {
        return Err(oauth_error(response).await);
    }
    let mut auth: DeviceAuthorization = response.json().await?;
    auth.token_endpoint = endpoints.token_endpoint;
    auth.client_id = client_id.to_owned();
    auth.client_secret = client_secret.map(str::to_owned);
    Ok(auth)
}

/// Waits for the player to approve, polling the token endpoint every
/// `interval` seconds (RFC 8628 §3.4), and returns their tokens.
pub async fn poll(auth: &DeviceAuthorization) -> Result<Tokens, Error> {
    poll_with(auth, tokio::time::sleep).await
}

/// [`poll`] with the waiting supplied by the caller: a game loop can wait
/// its own way, and a test can record the intervals or not wait at all.
///
/// The interval is the server's, exactly: no minimum of our own. A
/// `slow_down` answer adds 5 s to it and a poll lost to the network
/// doubles it (both RFC 8628 §3.5). After `expires_in` the codes are dead
/// and this returns [`Error::Expired`] without asking further.
pub async fn poll_with<S, F>(auth: &DeviceAuthorization, mut sleep: S) -> Result<Tokens, Error>
where
    S: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let http = http()?;
    let deadline = Instant::now() + Duration::from_secs(auth.expires_in);
    let mut interval = Duration::from_secs(auth.interval);
    let mut form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", auth.device_code.as_str()),
        ("client_id", auth.client_id.as_str()),
    ];
    form.extend(auth.client_secret.as_deref().map(|s| ("client_secret", s)));

    loop {
        // The player cannot have approved yet: wait first, then ask.
        sleep(interval).await;
        if Instant::now() >= deadline {
            return Err(Error::Expired);
        }
        let response = match http.post(&auth.token_endpoint).form(&form).send().await {
            Ok(response) => response,
            // A console on flaky Wi-Fi: back off and try again.
            Err(e) if e.is_connect() || e.is_timeout() => {
                interval *= 2;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if response.status().is_success() {
            return Ok(response.json().await?);
        }
        match oauth_error(response).await {
            Error::OAuth { error, .. } if error == "authorization_pending" => {}
            Error::OAuth { error, .. } if error == "slow_down" => interval += SLOW_DOWN,
            Error::OAuth { error, .. } if error == "access_denied" => return Err(Error::Denied),
            Error::OAuth { error, .. } if error == "expired_token" => return Err(Error::Expired),
            other => return Err(other),
        }
    }
}

/// An error answer as RFC 6749 §5.2 JSON (`{error, error_description}`),
/// or just its status when the body is something else.
async fn oauth_error(response: reqwest::Response) -> Error {
    #[derive(Deserialize)]
    struct OAuthBody {
        error: String,
        error_description: Option<String>,
    }
    let status = response.status().as_u16();
    match response.json::<OAuthBody>().await {
        Ok(body) => Error::OAuth {
            error: body.error,
            description: body.error_description,
        },
        Err(_) => Error::Status { status },
    }
}

fn http() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?)
}
