//! Signing a player in from a desktop game with Pattmayne Auth, the way
//! RFC 8252 (OAuth 2.0 for Native Apps) says a native app should:
//!
//! 1. the game opens the hosted login page in the **system browser** (not a
//!    web view: the player's saved passwords, passkeys and existing
//!    sign-in session are there, and the game never sees the password);
//! 2. the server sends the browser back to a **loopback redirect**,
//!    `http://127.0.0.1:{port}/callback`, where the game listens on a port
//!    the OS picked (the client is registered with `http://127.0.0.1/callback`;
//!    the server accepts any port on loopback, RFC 8252 §7.3);
//! 3. the game exchanges the code for tokens, proving with **PKCE**
//!    (RFC 7636) that it is the one that started the sign-in.
//!
//! A game shipped to players cannot keep a secret, so it is a *public*
//! client: no client secret anywhere, PKCE does that job.
//!
//! ```no_run
//! # async fn run() -> Result<(), desktop_login::Error> {
//! let tokens = desktop_login::sign_in("https://auth.example.com", "my-game", |url| {
//!     println!("Sign in at {url}");
//!     Ok(())
//! })
//! .await?;
//! // Send tokens.access_token to the game server; keep the refresh token.
//! let tokens = desktop_login::refresh("https://auth.example.com", "my-game", &tokens.refresh_token).await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use url::Url;

/// How long [`sign_in`] waits for the player to finish in the browser.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// A browser may open a connection and send nothing on it (a speculative
/// preconnect): such a connection is dropped after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest request head read from the browser.
const MAX_REQUEST: usize = 16 * 1024;
/// Requests to the server itself.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The tokens the server issues (RFC 6749 §5.1, plus Pattmayne Auth's
/// `refresh_token_expires_in` and OpenID Connect's `id_token`).
#[derive(Clone, Deserialize)]
pub struct Tokens {
    /// What the game sends to its game server (`Authorization: Bearer`):
    /// a JWT the game server verifies against the auth server's JWKS.
    pub access_token: String,
    /// Keep it (in the OS keychain if you can) to get new tokens without
    /// asking the player again. Each refresh returns a new one and the old
    /// one stops working: always store the latest.
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

/// Tokens are credentials: `{:?}` shows their lengths, never their values,
/// so a log line cannot leak them.
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
    /// The discovery document is missing or does not fit the issuer.
    #[error("bad discovery document: {0}")]
    Discovery(String),
    /// Listening on loopback or answering the browser failed.
    #[error("loopback listener: {0}")]
    Io(#[from] std::io::Error),
    /// The `open` callback could not show the login page.
    #[error("could not open the browser: {0}")]
    Browser(std::io::Error),
    /// No randomness for `state` and the PKCE verifier.
    #[error("no randomness: {0}")]
    Random(getrandom::Error),
    /// The player did not finish signing in in time.
    #[error("gave up waiting for the sign-in after {} s", CALLBACK_TIMEOUT.as_secs())]
    Timeout,
    /// The browser came back from a different server than the one the game
    /// asked (a mix-up attack, RFC 9207): nothing from it is used.
    #[error("the sign-in answer came from {0}, not from the expected server")]
    WrongIssuer(String),
    /// The browser came back with neither a code nor an error.
    #[error("the sign-in answer has no code")]
    NoCode,
    /// An OAuth error (RFC 6749 §4.1.2.1 from the browser, §5.2 from the
    /// token endpoint): `access_denied`, `invalid_grant`...
    #[error("{error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The error code.
        error: String,
        /// The server's explanation, for people.
        description: Option<String>,
    },
    /// The token endpoint failed without an OAuth error body.
    #[error("the token endpoint answered {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
}

/// The parts of the server's discovery document a desktop sign-in uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    /// The server's identifier, compared with the `iss` of the callback.
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged for tokens.
    pub token_endpoint: String,
}

/// Reads `{issuer}/.well-known/openid-configuration`, so that only the
/// issuer is configured and the endpoints can move.
pub async fn discover(issuer: &str) -> Result<Endpoints, Error> {
    let issuer = issuer.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let endpoints: Endpoints = http()?
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
    Ok(endpoints)
}

/// Signs the player in through the system browser and returns their tokens.
///
/// `open` is given the login URL and shows it: typically
/// `webbrowser::open(url.as_str())`, plus printing it for a player whose
/// browser does not open. It is called once the loopback listener is
/// ready. The wait for the player is bounded by [`CALLBACK_TIMEOUT`].
pub async fn sign_in(
    issuer: &str,
    client_id: &str,
    open: impl FnOnce(&Url) -> std::io::Result<()>,
) -> Result<Tokens, Error> {
    let endpoints = discover(issuer).await?;

    // Port 0: the OS picks a free port; only this machine can connect.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let redirect_uri = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    );

    // `state` ties the callback to this sign-in (CSRF); the PKCE verifier
    // stays in memory and only its hash travels through the browser.
    let state = random()?;
    let verifier = random()?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));

    let mut url = Url::parse(&endpoints.authorization_endpoint)
        .map_err(|e| Error::Discovery(format!("authorization_endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", "openid profile")
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    open(&url).map_err(Error::Browser)?;

    let code = tokio::time::timeout(
        CALLBACK_TIMEOUT,
        wait_for_code(listener, &state, &endpoints.issuer),
    )
    .await
    .map_err(|_| Error::Timeout)??;

    token_request(
        &endpoints.token_endpoint,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", client_id),
        ],
    )
    .await
}

/// Trades a refresh token for new tokens, without the player. The refresh
/// token is rotated: store the returned one, the old one is now spent.
pub async fn refresh(issuer: &str, client_id: &str, refresh_token: &str) -> Result<Tokens, Error> {
    let endpoints = discover(issuer).await?;
    token_request(
        &endpoints.token_endpoint,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// POSTs a form to the token endpoint: a public client identifies itself
/// with `client_id` in the body and sends no secret (RFC 6749 §3.2.1).
async fn token_request(token_endpoint: &str, form: &[(&str, &str)]) -> Result<Tokens, Error> {
    let response = http()?.post(token_endpoint).form(form).send().await?;
    let status = response.status();
    if status.is_success() {
        return Ok(response.json().await?);
    }
    #[derive(Deserialize)]
    struct OAuthBody {
        error: String,
        error_description: Option<String>,
    }
    match response.json::<OAuthBody>().await {
        Ok(body) => Err(Error::OAuth {
            error: body.error,
            description: body.error_description,
        }),
        Err(_) => Err(Error::Status {
            status: status.as_u16(),
        }),
    }
}

fn http() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?)
}

/// 32 random bytes, base64url: 43 characters, within PKCE's 43–128.
fn random() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(Error::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Serves the loopback port until the browser brings back this sign-in's
/// answer. Each connection gets its own task, so an idle preconnect or a
/// `/favicon.ico` cannot hold up the real callback.
async fn wait_for_code(listener: TcpListener, state: &str, issuer: &str) -> Result<String, Error> {
    let (done, mut answers) = mpsc::channel(1);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                let (done, state, issuer) = (done.clone(), state.to_owned(), issuer.to_owned());
                tokio::spawn(async move {
                    // A broken connection is only that: keep waiting for another.
                    if let Ok(Some(answer)) = serve(stream, &state, &issuer).await {
                        let _ = done.send(answer).await;
                    }
                });
            }
            Some(answer) = answers.recv() => return answer,
        }
    }
}

/// Answers one browser request. `Some` once it was this sign-in's callback.
async fn serve(
    mut stream: TcpStream,
    state: &str,
    issuer: &str,
) -> std::io::Result<Option<Result<String, Error>>> {
    let Ok(head) = tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut stream)).await else {
        return Ok(None);
    };
    // "GET /callback?code=...&state=... HTTP/1.1"
    let head = head?;
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (parts.next(), parts.next().unwrap_or_default());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if method != Some("GET") || path != "/callback" {
        respond(&mut stream, "404 Not Found", "Not found.").await?;
        return Ok(None);
    }

    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    // Only an answer carrying our `state` counts: anything else (another
    // page on this machine guessing the port, a stale tab) is turned away
    // and the game keeps waiting for the real one.
    if param("state").as_deref() != Some(state) {
        respond(
            &mut stream,
            "400 Bad Request",
            "This sign-in link is not the one the game is waiting for.",
        )
        .await?;
        return Ok(None);
    }
    let answer = match (param("iss"), param("code"), param("error")) {
        (Some(iss), _, _) if iss != issuer => Err(Error::WrongIssuer(iss)),
        (_, _, Some(error)) => Err(Error::OAuth {
            error,
            description: param("error_description"),
        }),
        (_, Some(code), None) => Ok(code),
        (_, None, None) => Err(Error::NoCode),
    };
    match &answer {
        Ok(_) => {
            respond(
                &mut stream,
                "200 OK",
                "Signed in, you can go back to the game.",
            )
            .await?
        }
        Err(e) => {
            let message = format!("Signing in did not work: {e}. You can close this tab.");
            respond(&mut stream, "200 OK", &message).await?
        }
    }
    Ok(Some(answer))
}

/// Reads the request line and headers (the callback is a GET: no body).
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || head.len() + n > MAX_REQUEST {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// A tiny HTML page for the browser tab, then the connection is closed.
async fn respond(stream: &mut TcpStream, status: &str, message: &str) -> std::io::Result<()> {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>My Game</title>\
         <body style=\"font-family:sans-serif;text-align:center;margin-top:4em\">\
         <p>{}</p></body>",
        escape(message)
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// The error text can come from the query string: never raw into HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
