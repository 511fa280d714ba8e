//! What a client site tells the kit: where the server is, who the site is,
//! how to verify its access tokens, and how to name its cookies.

use std::sync::Arc;

use crate::revoked::{InMemoryRevocations, RevokedSessions};

/// The kit's clock: seconds since the Unix epoch. Tests give one they can
/// move; sites keep the default, the system clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Where the kit's routes live; `redirect_uri` must end in the callback.
pub(crate) const ROUTES: &str = "/auth";
pub(crate) const CALLBACK_PATH: &str = "/auth/callback";

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required environment variable is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A URL that does not parse or has the wrong shape.
    #[error("{name} must be {what}: {value}")]
    BadUrl {
        /// Which setting.
        name: &'static str,
        /// What it must be.
        what: &'static str,
        /// What it was.
        value: String,
    },
    /// A cookie prefix with characters cookie names cannot have.
    #[error("the cookie prefix may hold only letters, digits, - and _: {0:?}")]
    BadPrefix(String),
    /// The client secret is too short to derive the cookie key from.
    #[error("the client secret (or cookie key) must be at least 32 characters")]
    ShortSecret,
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

/// The kit's settings. Build one with [`Config::new`] or [`Config::from_env`]
/// and adjust it with the builder methods.
#[derive(Clone)]
pub struct Config {
    pub(crate) issuer: String,
    pub(crate) server_url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uri: String,
    pub(crate) jwt_secret: Option<String>,
    pub(crate) cookie_prefix: String,
    pub(crate) secure_cookies: bool,
    pub(crate) cookie_key: Option<String>,
    pub(crate) scope: String,
    pub(crate) after_sign_in: String,
    pub(crate) after_sign_out: String,
    pub(crate) remember_revocations_secs: i64,
    pub(crate) clock: Clock,
    pub(crate) revoked: Arc<dyn RevokedSessions>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets.
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("server_url", &self.server_url)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("hs256", &self.jwt_secret.is_some())
            .field("cookie_prefix", &self.cookie_prefix)
            .field("secure_cookies", &self.secure_cookies)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The four things every site has: the server's issuer URL (its
    /// `AUTH_PUBLIC_URL`), the site's `client_id` and `client_secret`, and
    /// its registered redirect URI, which must be this site's
    /// `…/auth/callback`. Access tokens are then verified against the
    /// server's JWKS (RS256/EdDSA sites); call [`Config::jwt_secret`] for an
    /// HS256 site.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        let issuer = issuer.into().trim_end_matches('/').to_owned();
        Config {
            server_url: issuer.clone(),
            issuer,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            jwt_secret: None,
            cookie_prefix: "auth".to_owned(),
            secure_cookies: true,
            cookie_key: None,
            scope: "openid profile".to_owned(),
            after_sign_in: "/".to_owned(),
            after_sign_out: "/".to_owned(),
            remember_revocations_secs: 86_400,
            clock: Arc::new(system_now),
            revoked: Arc::new(InMemoryRevocations::default()),
        }
    }

    /// Reads the variables the server's "copy all as .env" block gives a
    /// new site: `AUTH_ISSUER`, `AUTH_CLIENT_ID`, `AUTH_CLIENT_SECRET`,
    /// `AUTH_REDIRECT_URI` and, for HS256 sites, `AUTH_JWT_SECRET`; and,
    /// if set, `AUTH_SERVER_URL`, `AUTH_COOKIE_PREFIX` and `AUTH_COOKIE_KEY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &'static str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let need = |name: &'static str| var(name).ok_or(ConfigError::Missing(name));
        let mut config = Config::new(
            need("AUTH_ISSUER")?,
            need("AUTH_CLIENT_ID")?,
            need("AUTH_CLIENT_SECRET")?,
            need("AUTH_REDIRECT_URI")?,
        );
        if let Some(secret) = var("AUTH_JWT_SECRET") {
            config = config.jwt_secret(secret);
        }
        if let Some(url) = var("AUTH_SERVER_URL") {
            config = config.server_url(url);
        }
        if let Some(prefix) = var("AUTH_COOKIE_PREFIX") {
            config = config.cookie_prefix(prefix);
        }
        if let Some(key) = var("AUTH_COOKIE_KEY") {
            config = config.cookie_key(key);
        }
        Ok(config)
    }

    /// Verifies access tokens with HS256 and this site's `jwt_secret`
    /// (then only HS256 tokens are accepted).
    pub fn jwt_secret(mut self, secret: impl Into<String>) -> Self {
        self.jwt_secret = Some(secret.into());
        self
    }

    /// Where this backend reaches the server, when that is not the issuer
    /// URL (a private network address). Browsers still go to the issuer.
    pub fn server_url(mut self, url: impl Into<String>) -> Self {
        self.server_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The prefix of the kit's cookie names (default `auth`). Two sites on
    /// one host (ports do not separate cookies) need different prefixes.
    pub fn cookie_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.cookie_prefix = prefix.into();
        self
    }

    /// Drops the `Secure` flag from the cookies, for a site served over
    /// plain http on a name other than `localhost` during development.
    /// Never in production: the refresh token would travel in the clear.
    pub fn insecure_cookies(mut self) -> Self {
        self.secure_cookies = false;
        self
    }

    /// The secret the sign-in cookie is signed with (at least 32
    /// characters). By default it is derived from the client secret, so
    /// rotating that secret voids sign-ins under way.
    pub fn cookie_key(mut self, key: impl Into<String>) -> Self {
        self.cookie_key = Some(key.into());
        self
    }

    /// The scopes asked for (default `openid profile`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Where a sign-in lands when it was not started from a page (default `/`).
    pub fn after_sign_in(mut self, path: impl Into<String>) -> Self {
        self.after_sign_in = path.into();
        self
    }

    /// Where a sign-out lands (default `/`).
    pub fn after_sign_out(mut self, path: impl Into<String>) -> Self {
        self.after_sign_out = path.into();
        self
    }

    /// How long a session heard of by back-channel logout stays refused
    /// (default a day): at least the server's access-token lifetime
    /// (`AUTH_ACCESS_TOKEN_TTL_SECS`), after which its tokens are dead anyway.
    pub fn remember_revocations_for(mut self, secs: i64) -> Self {
        self.remember_revocations_secs = secs.max(1);
        self
    }

    /// Where ended sessions are kept: in this process by default; give a
    /// shared store when the site runs several instances.
    pub fn revoked_sessions(mut self, store: impl RevokedSessions) -> Self {
        self.revoked = Arc::new(store);
        self
    }

    /// The clock the kit checks expiry against (tests move it).
    pub fn clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let absolute = |name: &'static str, value: &str| {
            let bad = || ConfigError::BadUrl {
                name,
                what: "an absolute http(s) URL",
                value: value.to_owned(),
            };
            let url = url::Url::parse(value).map_err(|_| bad())?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(bad());
            }
            Ok(url)
        };
        absolute("issuer", &self.issuer)?;
        absolute("server_url", &self.server_url)?;
        let redirect = absolute("redirect_uri", &self.redirect_uri)?;
        if redirect.path() != CALLBACK_PATH {
            return Err(ConfigError::BadUrl {
                name: "redirect_uri",
                what: "this site's …/auth/callback",
                value: self.redirect_uri.clone(),
            });
        }
        for (name, path) in [
            ("after_sign_in", &self.after_sign_in),
            ("after_sign_out", &self.after_sign_out),
        ] {
            if crate::routes::local_path(Some(path)).is_none() {
                return Err(ConfigError::BadUrl {
                    name,
                    what: "a path on this site",
                    value: path.clone(),
                });
            }
        }
        let prefix_ok = !self.cookie_prefix.is_empty()
            && self
                .cookie_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !prefix_ok {
            return Err(ConfigError::BadPrefix(self.cookie_prefix.clone()));
        }
        if self
            .cookie_key
            .as_ref()
            .unwrap_or(&self.client_secret)
            .len()
            < 32
        {
            return Err(ConfigError::ShortSecret);
        }
        Ok(())
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new(
            "https://auth.example",
            "id",
            "a-client-secret-of-at-least-32-characters",
            "https://game.example/auth/callback",
        )
    }

    #[test]
    fn settings_that_cannot_work_are_refused_at_start() {
        assert!(config().check().is_ok());
        let wrong_callback = Config {
            redirect_uri: "https://game.example/callback".into(),
            ..config()
        };
        assert!(matches!(
            wrong_callback.check(),
            Err(ConfigError::BadUrl { .. })
        ));
        let relative = Config {
            issuer: "/auth".into(),
            ..config()
        };
        assert!(relative.check().is_err());
        assert!(matches!(
            config().cookie_prefix("a b").check(),
            Err(ConfigError::BadPrefix(_))
        ));
        assert!(matches!(
            config().cookie_key("short").check(),
            Err(ConfigError::ShortSecret)
        ));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let shown = format!("{:?}", config().jwt_secret("the-jwt-secret"));
        assert!(!shown.contains("a-client-secret") && !shown.contains("the-jwt-secret"));
    }
}
