//! The kit: its settings, its HTTP client, its caches, and what it decides
//! about each request's cookies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, Key, SameSite};
use tokio::sync::OnceCell;

use crate::config::{Config, ConfigError, ROUTES};
use crate::extract::SignedIn;
use crate::layer::AuthLayer;
use crate::tokens::{Checked, ServerApi, TokenError, TokenResponse, Verifier};

/// How long a refresh's outcome is shared with requests still presenting
/// the old refresh token (other tabs, requests already under way).
const SHARE_REFRESH_SECS: i64 = 30;

/// The client kit of one site. Cheap to clone; build it once with
/// [`AuthKit::new`], then mount [`AuthKit::routes`] and [`AuthKit::layer`].
#[derive(Clone)]
pub struct AuthKit {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) cookie_key: Key,
    pub(crate) verifier: Verifier,
    pub(crate) server: ServerApi,
    refreshes: Mutex<HashMap<[u8; 32], Flight>>,
}

/// One refresh, shared by every request that presents the same refresh
/// token while it runs and for a little while after.
struct Flight {
    started: i64,
    outcome: Arc<OnceCell<Result<Refreshed, TokenError>>>,
}

/// A refresh that worked: the new tokens and who they are for.
#[derive(Clone)]
struct Refreshed {
    tokens: TokenResponse,
    session: SignedIn,
}

/// What the layer found for one request: the person, if signed in, and
/// the cookies the response must set or clear.
pub(crate) struct Resolution {
    pub(crate) session: Option<SignedIn>,
    pub(crate) set_cookies: Vec<Cookie<'static>>,
}

impl AuthKit {
    /// Checks the settings and builds the kit. Nothing is fetched yet: the
    /// JWKS is read on first need.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.check()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("pattmayne-auth-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        let secret = config.cookie_key.as_ref().unwrap_or(&config.client_secret);
        let cookie_key = Key::derive_from(secret.as_bytes());
        Ok(AuthKit {
            inner: Arc::new(Inner {
                verifier: Verifier::new(&config, http.clone()),
                server: ServerApi::new(&config, http),
                cookie_key,
                config,
                refreshes: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The kit's routes (`/auth/sign-in`, `/auth/callback`,
    /// `/auth/sign-out`, `/auth/backchannel-logout`), to merge into the
    /// site's router whatever its state type.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        crate::routes::router(self.clone())
    }

    /// The layer that verifies (and refreshes) the access token of every
    /// request, for [`SignedIn`] to read. Apply it to the whole router,
    /// after merging [`AuthKit::routes`].
    pub fn layer(&self) -> AuthLayer {
        AuthLayer::new(self.clone())
    }

    /// The path that starts a sign-in and comes back to `next` (a path on
    /// this site), for a "Sign in" link.
    pub fn sign_in_path(next: &str) -> String {
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        format!("{ROUTES}/sign-in?next={next}")
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn now(&self) -> i64 {
        (self.inner.config.clock)()
    }

    pub(crate) fn cookie_name(&self, what: &str) -> String {
        format!("{}_{what}", self.inner.config.cookie_prefix)
    }

    /// A cookie as the kit sets them: `HttpOnly; SameSite=Lax; Path=/`,
    /// `Secure` unless configured away, for `max_age` seconds.
    pub(crate) fn cookie(&self, name: String, value: String, max_age: i64) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .secure(self.inner.config.secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(time_secs(max_age))
            .build()
    }

    /// The same cookie, expired: the browser drops it.
    pub(crate) fn removal(&self, name: String) -> Cookie<'static> {
        self.cookie(name, String::new(), 0)
    }

    /// Both token cookies for fresh tokens.
    pub(crate) fn token_cookies(&self, tokens: &TokenResponse) -> Vec<Cookie<'static>> {
        let refresh_for = tokens.refresh_token_expires_in.unwrap_or(tokens.expires_in);
        vec![
            self.cookie(
                self.cookie_name("access"),
                tokens.access_token.clone(),
                tokens.expires_in,
            ),
            self.cookie(
                self.cookie_name("refresh"),
                tokens.refresh_token.clone(),
                refresh_for,
            ),
        ]
    }

    pub(crate) fn clearing_cookies(&self) -> Vec<Cookie<'static>> {
        vec![
            self.removal(self.cookie_name("access")),
            self.removal(self.cookie_name("refresh")),
        ]
    }

    /// Checks freshly issued tokens' access JWT, as every later request will.
    pub(crate) async fn session_of(&self, tokens: &TokenResponse) -> Option<SignedIn> {
        match self.inner.verifier.access(&tokens.access_token).await {
            Checked::Valid(claims) => Some(SignedIn::new(claims, tokens.access_token.clone())),
            _ => None,
        }
    }

    async fn revoked(&self, sid: &str) -> bool {
        self.inner.config.revoked.is_revoked(sid, self.now()).await
    }

    /// Decides who a request is from by its cookies: a valid access JWT of
    /// a session not heard to have ended; else, with a refresh token, a
    /// refresh through the server.
    pub(crate) async fn resolve(&self, jar: &CookieJar) -> Resolution {
        let access = jar.get(&self.cookie_name("access")).map(Cookie::value);
        let refresh = jar.get(&self.cookie_name("refresh")).map(Cookie::value);
        let signed_out = || Resolution {
            session: None,
            set_cookies: self.clearing_cookies(),
        };
        if let Some(token) = access {
            match self.inner.verifier.access(token).await {
                Checked::Valid(claims) => {
                    if self.revoked(&claims.sid).await {
                        return signed_out();
                    }
                    return Resolution {
                        session: Some(SignedIn::new(claims, token.to_owned())),
                        set_cookies: Vec::new(),
                    };
                }
                Checked::Expired(claims) if self.revoked(&claims.sid).await => return signed_out(),
                Checked::Expired(_) | Checked::Invalid => {}
            }
        }
        let Some(refresh) = refresh else {
            return Resolution {
                session: None,
                set_cookies: access
                    .map(|_| vec![self.removal(self.cookie_name("access"))])
                    .unwrap_or_default(),
            };
        };
        match self.refresh(refresh).await {
            Ok(done) if !self.revoked(&done.session.sid).await => Resolution {
                session: Some(done.session),
                set_cookies: self.token_cookies(&done.tokens),
            },
            Ok(_) | Err(TokenError::Refused { .. }) => signed_out(),
            Err(TokenError::Unavailable(err)) => {
                // The server is down or busy: signed out for this request,
                // but the cookies stay for the next one.
                tracing::warn!(error = %err, "the access token could not be refreshed");
                Resolution {
                    session: None,
                    set_cookies: Vec::new(),
                }
            }
        }
    }

    /// Refreshes, once for all requests presenting the same token.
    async fn refresh(&self, refresh_token: &str) -> Result<Refreshed, TokenError> {
        let key = crate::random::digest(refresh_token);
        let now = self.now();
        let outcome = {
            let Ok(mut flights) = self.inner.refreshes.lock() else {
                return Err(TokenError::Unavailable("refresh table poisoned".into()));
            };
            flights.retain(|_, f| now.saturating_sub(f.started) < SHARE_REFRESH_SECS);
            flights
                .entry(key)
                .or_insert_with(|| Flight {
                    started: now,
                    outcome: Arc::new(OnceCell::new()),
                })
                .outcome
                .clone()
        };
        let result = outcome
            .get_or_init(|| self.refresh_now(refresh_token))
            .await
            .clone();
        if matches!(result, Err(TokenError::Unavailable(_))) {
            // A passing failure is not shared: the next request tries again.
            if let Ok(mut flights) = self.inner.refreshes.lock()
                && flights
                    .get(&key)
                    .is_some_and(|f| Arc::ptr_eq(&f.outcome, &outcome))
            {
                flights.remove(&key);
            }
        }
        result
    }

    async fn refresh_now(&self, refresh_token: &str) -> Result<Refreshed, TokenError> {
        let tokens = self
            .inner
            .server
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .await?;
        match self.session_of(&tokens).await {
            Some(session) => Ok(Refreshed { tokens, session }),
            None => Err(TokenError::Unavailable(
                "the refreshed access token did not verify".into(),
            )),
        }
    }
}

pub(crate) fn time_secs(secs: i64) -> time::Duration {
    time::Duration::seconds(secs.max(0))
}

impl axum::extract::FromRef<AuthKit> for Key {
    fn from_ref(kit: &AuthKit) -> Key {
        kit.inner.cookie_key.clone()
    }
}
