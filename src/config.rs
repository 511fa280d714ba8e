//! Every setting of the server: its environment variable, its default, and
//! the rules that make a set of settings valid.
//!
//! Settings are parsed once (by clap, from flags or environment variables),
//! validated into a [`Config`], and passed down in `AppState`. Secrets are
//! wrapped in [`SecretString`] so they never appear in logs or `Debug` output,
//! and each secret can also be read from a file named by `NAME_FILE`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::BoolishValueParser;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::resources::{DEFAULT_SQLITE_FILE, MIN_SECRET_KEY_LEN, SECRET_KEY_FILE_NAME};

/// The raw settings as given on the command line or in the environment.
///
/// `pattmayne-auth --help` prints this struct: every variable with its default.
#[derive(clap::Args, Debug, Clone)]
pub struct Settings {
    /// Database: `sqlite://path/to/file.db` or `postgres://user@host/db`.
    /// [default: an SQLite file in AUTH_DATA_DIR]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// File holding DATABASE_URL (Docker/Kubernetes secrets).
    #[arg(long, env = "DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,

    /// File holding the database password; replaces the password in DATABASE_URL.
    #[arg(long, env = "DATABASE_PASSWORD_FILE")]
    pub database_password_file: Option<PathBuf>,

    /// Largest number of pooled database connections (SQLite uses at most 4).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 32)]
    pub database_max_connections: u32,

    /// How long to keep retrying (with backoff) while the database is not
    /// answering at start, before giving up.
    #[arg(long, env = "DATABASE_CONNECT_TIMEOUT_SECS", default_value_t = 30)]
    pub database_connect_timeout_secs: u64,

    /// Listen address.
    #[arg(long, env = "AUTH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// The URL the server is reached at: the token issuer (`iss`). Cookies are
    /// `Secure` when it is https. [default: http://AUTH_BIND]
    #[arg(long, env = "AUTH_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Master secret, at least 32 characters (e.g. `openssl rand -hex 32`).
    /// Required when AUTH_PUBLIC_URL is https; in development one is generated
    /// and kept in AUTH_DATA_DIR.
    #[arg(long, env = "AUTH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// File holding AUTH_SECRET_KEY.
    #[arg(long, env = "AUTH_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,

    /// Directory for the default SQLite database and the development secret key.
    #[arg(long, env = "AUTH_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Lifetime of access JWTs, 60 to 3600 seconds.
    #[arg(long, env = "AUTH_ACCESS_TOKEN_TTL_SECS", default_value_t = 600)]
    pub access_token_ttl_secs: i64,

    /// Absolute lifetime of an SSO session, and so of every refresh token under it.
    #[arg(long, env = "AUTH_SESSION_TTL_SECS", default_value_t = 14 * 24 * 3600)]
    pub session_ttl_secs: i64,

    /// How long a just-rotated refresh token may be presented again (concurrent
    /// tabs, retried requests) and get the same successor, without revoking its family.
    #[arg(long, env = "AUTH_REFRESH_GRACE_SECS", default_value_t = 20)]
    pub refresh_grace_secs: i64,

    /// The longest a public client's (a game's) refresh token family lives,
    /// within its session's expiry: a secret on a player's disk is easier
    /// to steal than one on a site's server.
    #[arg(long, env = "AUTH_PUBLIC_CLIENT_REFRESH_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub public_client_refresh_ttl_secs: i64,

    /// The polling interval a device (RFC 8628) is told to keep, in seconds.
    #[arg(long, env = "AUTH_DEVICE_POLL_INTERVAL_SECS", default_value_t = 5)]
    pub device_poll_interval_secs: i64,

    /// Failed sign-ins from one IP address that suspend it...
    #[arg(long, env = "AUTH_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: i64,

    /// ...when they happen within this many seconds.
    #[arg(long, env = "AUTH_LOGIN_FAILURE_WINDOW_SECS", default_value_t = 900)]
    pub login_failure_window_secs: i64,

    /// First suspension of an IP address; each repeat offence doubles it (up to 32x).
    #[arg(long, env = "AUTH_IP_SUSPENSION_SECS", default_value_t = 900)]
    pub ip_suspension_secs: i64,

    /// Failed sign-ins to one account (from any address) after which further
    /// attempts are slowed down, except from a browser that signed in to it before.
    #[arg(long, env = "AUTH_ACCOUNT_MAX_FAILURES", default_value_t = 10)]
    pub account_max_failures: i64,

    /// IPv6 clients are counted (for suspensions and rate limits) by their
    /// network of this many leading bits: a subscriber usually holds a whole
    /// /64. 32 to 128 (128: every address alone).
    #[arg(long, env = "AUTH_IPV6_PREFIX_LEN", default_value_t = 64)]
    pub ipv6_prefix_len: u8,

    /// Comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed.
    /// Empty: trust none, the client address is the socket peer.
    #[arg(long, env = "AUTH_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Argon2id memory cost in KiB (OWASP: 19456).
    #[arg(long, env = "AUTH_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations (OWASP: 2).
    #[arg(long, env = "AUTH_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,

    /// Argon2id parallelism (OWASP: 1).
    #[arg(long, env = "AUTH_ARGON2_PARALLELISM", default_value_t = 1)]
    pub argon2_parallelism: u32,

    /// Most password hashes computed at once; 0 = one per CPU core.
    #[arg(long, env = "AUTH_MAX_CONCURRENT_HASHES", default_value_t = 0)]
    pub max_concurrent_hashes: usize,

    /// Registrations accepted from one address (an IPv6 network, see
    /// AUTH_IPV6_PREFIX_LEN) per hour.
    #[arg(long, env = "AUTH_REGISTRATIONS_PER_HOUR", default_value_t = 10)]
    pub registrations_per_hour: i64,

    /// How long audit entries (admin actions and security events) are kept.
    #[arg(long, env = "AUTH_AUDIT_RETENTION_DAYS", default_value_t = 365)]
    pub audit_retention_days: i64,

    /// Whether anyone may create an account at /register.
    #[arg(long, env = "AUTH_REGISTRATION_ENABLED", default_value = "true",
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub registration_enabled: bool,

    /// Accept plain-http redirect URIs on hosts other than loopback (never do this in production).
    #[arg(long, env = "AUTH_ALLOW_HTTP_REDIRECT_URIS", default_value = "false",
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_http_redirect_uris: bool,

    /// The server's name on every page (the header, titles, mails).
    #[arg(long, env = "AUTH_SITE_NAME", default_value = "Pattmayne Auth")]
    pub site_name: String,

    /// A logo for the header of every page: a PNG, JPEG, WebP or SVG file of
    /// at most 256 KiB. [default: none, the name alone]
    #[arg(long, env = "AUTH_SITE_LOGO_FILE")]
    pub site_logo_file: Option<PathBuf>,

    /// Bearer token that `GET /metrics` asks for. Unset: `/metrics` answers
    /// loopback clients only.
    #[arg(long, env = "AUTH_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// File holding AUTH_METRICS_TOKEN.
    #[arg(long, env = "AUTH_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,

    /// Where mail goes: `smtp://user:pass@host:port` (STARTTLS required),
    /// `smtps://…` (TLS from the start), `smtp://host:port?tls=none` (a local
    /// relay, no TLS). Unset: each mail is written as an .eml file under
    /// AUTH_DATA_DIR/outbox/.
    #[arg(long, env = "AUTH_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// File holding AUTH_SMTP_URL.
    #[arg(long, env = "AUTH_SMTP_URL_FILE")]
    pub smtp_url_file: Option<PathBuf>,

    /// The sender of every mail, `Name <address>`. [default: AUTH_SITE_NAME
    /// <noreply@the host of AUTH_PUBLIC_URL>]
    #[arg(long, env = "AUTH_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Mails with a link (reset, confirmation) sent to one address per hour;
    /// more requests are answered the same but send nothing.
    #[arg(long, env = "AUTH_MAILS_PER_ADDRESS_PER_HOUR", default_value_t = 5)]
    pub mails_per_address_per_hour: i64,

    /// Password-reset requests accepted from one client address (an IPv6
    /// network) per hour.
    #[arg(long, env = "AUTH_PASSWORD_RESETS_PER_HOUR", default_value_t = 10)]
    pub password_resets_per_hour: i64,

    /// Log format: `text` or `json`. The level comes from RUST_LOG (default `info`).
    #[arg(long, env = "AUTH_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A validated configuration. Built once at start and shared read-only.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    pub database_max_connections: u32,
    pub database_connect_timeout: Duration,
    pub bind: SocketAddr,
    /// The issuer: `AUTH_PUBLIC_URL` without a trailing slash.
    pub issuer: String,
    pub secret_key: SecretString,
    pub data_dir: PathBuf,
    pub access_token_ttl_secs: i64,
    pub session_ttl_secs: i64,
    pub refresh_grace_secs: i64,
    pub public_client_refresh_ttl_secs: i64,
    pub device_poll_interval_secs: i64,
    pub login_max_failures: i64,
    pub login_failure_window_secs: i64,
    pub ip_suspension_secs: i64,
    pub account_max_failures: i64,
    pub trusted_proxies: Vec<IpNet>,
    pub ipv6_prefix_len: u8,
    pub argon2: Argon2Params,
    pub max_concurrent_hashes: usize,
    pub registration_enabled: bool,
    pub registrations_per_hour: i64,
    pub audit_retention_days: i64,
    pub allow_http_redirect_uris: bool,
    pub metrics_token: Option<SecretString>,
    pub site_name: String,
    pub site_logo: Option<crate::domain::branding::Logo>,
    /// The SMTP server; `None`: the outbox directory.
    pub smtp_url: Option<SecretString>,
    pub mail_from: lettre::message::Mailbox,
    pub mails_per_address_per_hour: i64,
    pub password_resets_per_hour: i64,
    pub log_format: LogFormat,
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Why a configuration was refused; printed as one line before exiting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

impl Config {
    /// Validates the settings. Returns the config and warnings to log once
    /// logging is set up (it is configured by this very config).
    pub fn from_settings(s: Settings) -> Result<(Config, Vec<String>), ConfigError> {
        let mut warnings = Vec::new();
        let public_url = match &s.public_url {
            Some(raw) if !raw.trim().is_empty() => raw.trim().to_owned(),
            _ => format!("http://{}", s.bind),
        };
        let parsed = Url::parse(&public_url)
            .map_err(|e| invalid(format!("AUTH_PUBLIC_URL {public_url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host().is_none()
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(invalid(
                "AUTH_PUBLIC_URL must be an http(s) URL without query or fragment",
            ));
        }
        let https = parsed.scheme() == "https";
        let issuer = public_url.trim_end_matches('/').to_owned();

        let secret_key = match secret_value(s.secret_key, s.secret_key_file.as_deref())? {
            Some(key) => key,
            None if https => {
                return Err(invalid(
                    "AUTH_SECRET_KEY (or AUTH_SECRET_KEY_FILE) is required when AUTH_PUBLIC_URL is https",
                ));
            }
            None => {
                let path = s.data_dir.join(SECRET_KEY_FILE_NAME);
                warnings.push(format!(
                    "AUTH_SECRET_KEY is not set: using a development key kept in {}; \
                     set AUTH_SECRET_KEY for production",
                    path.display()
                ));
                development_secret_key(&path)?
            }
        };
        if secret_key.expose_secret().chars().count() < MIN_SECRET_KEY_LEN {
            return Err(invalid(format!(
                "AUTH_SECRET_KEY must be at least {MIN_SECRET_KEY_LEN} characters"
            )));
        }

        let mut database_url = match secret_value(s.database_url, s.database_url_file.as_deref())? {
            Some(url) => url.expose_secret().to_owned(),
            None => {
                std::fs::create_dir_all(&s.data_dir).map_err(|source| ConfigError::Write {
                    path: s.data_dir.clone(),
                    source,
                })?;
                format!(
                    "sqlite://{}?mode=rwc",
                    s.data_dir.join(DEFAULT_SQLITE_FILE).display()
                )
            }
        };
        if let Some(path) = &s.database_password_file {
            let password = read_secret_file(path)?;
            database_url = with_password(&database_url, password.expose_secret())?;
        }
        check_database_url(&database_url)?;

        if !(60..=3600).contains(&s.access_token_ttl_secs) {
            return Err(invalid(
                "AUTH_ACCESS_TOKEN_TTL_SECS must be between 60 and 3600",
            ));
        }
        positive("AUTH_SESSION_TTL_SECS", s.session_ttl_secs)?;
        if !(0..=300).contains(&s.refresh_grace_secs) {
            return Err(invalid("AUTH_REFRESH_GRACE_SECS must be between 0 and 300"));
        }
        positive(
            "AUTH_PUBLIC_CLIENT_REFRESH_TTL_SECS",
            s.public_client_refresh_ttl_secs,
        )?;
        if !(1..=60).contains(&s.device_poll_interval_secs) {
            return Err(invalid(
                "AUTH_DEVICE_POLL_INTERVAL_SECS must be between 1 and 60",
            ));
        }
        positive("AUTH_LOGIN_MAX_FAILURES", s.login_max_failures)?;
        positive(
            "AUTH_LOGIN_FAILURE_WINDOW_SECS",
            s.login_failure_window_secs,
        )?;
        positive("AUTH_IP_SUSPENSION_SECS", s.ip_suspension_secs)?;
        positive("AUTH_ACCOUNT_MAX_FAILURES", s.account_max_failures)?;
        positive("AUTH_REGISTRATIONS_PER_HOUR", s.registrations_per_hour)?;
        positive(
            "AUTH_MAILS_PER_ADDRESS_PER_HOUR",
            s.mails_per_address_per_hour,
        )?;
        positive("AUTH_PASSWORD_RESETS_PER_HOUR", s.password_resets_per_hour)?;
        let smtp_url = secret_value(s.smtp_url, s.smtp_url_file.as_deref())?;
        if let Some(url) = &smtp_url {
            check_smtp_url(url.expose_secret())?;
        }
        let site_name = site_name(&s.site_name)?;
        let mail_from = mail_from(s.mail_from.as_deref(), &site_name, &issuer)?;
        if !(1..=3650).contains(&s.audit_retention_days) {
            return Err(invalid(
                "AUTH_AUDIT_RETENTION_DAYS must be between 1 and 3650",
            ));
        }
        if !(32..=128).contains(&s.ipv6_prefix_len) {
            return Err(invalid("AUTH_IPV6_PREFIX_LEN must be between 32 and 128"));
        }
        if s.database_max_connections == 0 {
            return Err(invalid("DATABASE_MAX_CONNECTIONS must be at least 1"));
        }
        let argon2 = Argon2Params {
            memory_kib: s.argon2_memory_kib,
            iterations: s.argon2_iterations,
            parallelism: s.argon2_parallelism,
        };
        argon2::Params::new(
            argon2.memory_kib,
            argon2.iterations,
            argon2.parallelism,
            None,
        )
        .map_err(|e| invalid(format!("invalid AUTH_ARGON2_* parameters: {e}")))?;

        let max_concurrent_hashes = match s.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };

        Ok((
            Config {
                database_url: SecretString::from(database_url),
                database_max_connections: s.database_max_connections,
                database_connect_timeout: Duration::from_secs(s.database_connect_timeout_secs),
                bind: s.bind,
                issuer,
                secret_key,
                data_dir: s.data_dir,
                access_token_ttl_secs: s.access_token_ttl_secs,
                session_ttl_secs: s.session_ttl_secs,
                refresh_grace_secs: s.refresh_grace_secs,
                public_client_refresh_ttl_secs: s.public_client_refresh_ttl_secs,
                device_poll_interval_secs: s.device_poll_interval_secs,
                login_max_failures: s.login_max_failures,
                login_failure_window_secs: s.login_failure_window_secs,
                ip_suspension_secs: s.ip_suspension_secs,
                account_max_failures: s.account_max_failures,
                trusted_proxies: parse_trusted_proxies(&s.trusted_proxies)?,
                ipv6_prefix_len: s.ipv6_prefix_len,
                argon2,
                max_concurrent_hashes,
                registration_enabled: s.registration_enabled,
                registrations_per_hour: s.registrations_per_hour,
                audit_retention_days: s.audit_retention_days,
                allow_http_redirect_uris: s.allow_http_redirect_uris,
                metrics_token: secret_value(s.metrics_token, s.metrics_token_file.as_deref())?,
                site_name,
                site_logo: match &s.site_logo_file {
                    Some(path) => Some(site_logo(path)?),
                    None => None,
                },
                smtp_url,
                mail_from,
                mails_per_address_per_hour: s.mails_per_address_per_hour,
                password_resets_per_hour: s.password_resets_per_hour,
                log_format: s.log_format,
            },
            warnings,
        ))
    }

    /// Whether the server is reached over https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// Whether `ip` is one of the trusted reverse proxies.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// A line-per-setting summary with secrets redacted (`pattmayne-auth config`).
    pub fn describe(&self) -> String {
        let db = redact_url(self.database_url.expose_secret());
        let proxies: Vec<String> = self.trusted_proxies.iter().map(|n| n.to_string()).collect();
        [
            format!("DATABASE_URL={db}"),
            format!("DATABASE_MAX_CONNECTIONS={}", self.database_max_connections),
            format!(
                "DATABASE_CONNECT_TIMEOUT_SECS={}",
                self.database_connect_timeout.as_secs()
            ),
            format!("AUTH_BIND={}", self.bind),
            format!("AUTH_PUBLIC_URL={}", self.issuer),
            "AUTH_SECRET_KEY=[redacted]".to_owned(),
            format!("AUTH_DATA_DIR={}", self.data_dir.display()),
            format!("AUTH_ACCESS_TOKEN_TTL_SECS={}", self.access_token_ttl_secs),
            format!("AUTH_SESSION_TTL_SECS={}", self.session_ttl_secs),
            format!("AUTH_REFRESH_GRACE_SECS={}", self.refresh_grace_secs),
            format!(
                "AUTH_PUBLIC_CLIENT_REFRESH_TTL_SECS={}",
                self.public_client_refresh_ttl_secs
            ),
            format!(
                "AUTH_DEVICE_POLL_INTERVAL_SECS={}",
                self.device_poll_interval_secs
            ),
            format!("AUTH_LOGIN_MAX_FAILURES={}", self.login_max_failures),
            format!(
                "AUTH_LOGIN_FAILURE_WINDOW_SECS={}",
                self.login_failure_window_secs
            ),
            format!("AUTH_IP_SUSPENSION_SECS={}", self.ip_suspension_secs),
            format!("AUTH_ACCOUNT_MAX_FAILURES={}", self.account_max_failures),
            format!("AUTH_TRUSTED_PROXIES={}", proxies.join(",")),
            format!("AUTH_IPV6_PREFIX_LEN={}", self.ipv6_prefix_len),
            format!("AUTH_ARGON2_MEMORY_KIB={}", self.argon2.memory_kib),
            format!("AUTH_ARGON2_ITERATIONS={}", self.argon2.iterations),
            format!("AUTH_ARGON2_PARALLELISM={}", self.argon2.parallelism),
            format!("AUTH_MAX_CONCURRENT_HASHES={}", self.max_concurrent_hashes),
            format!("AUTH_REGISTRATION_ENABLED={}", self.registration_enabled),
            format!(
                "AUTH_REGISTRATIONS_PER_HOUR={}",
                self.registrations_per_hour
            ),
            format!("AUTH_AUDIT_RETENTION_DAYS={}", self.audit_retention_days),
            format!(
                "AUTH_ALLOW_HTTP_REDIRECT_URIS={}",
                self.allow_http_redirect_uris
            ),
            format!(
                "AUTH_METRICS_TOKEN={}",
                if self.metrics_token.is_some() {
                    "[redacted]"
                } else {
                    ""
                }
            ),
            format!("AUTH_SITE_NAME={}", self.site_name),
            format!(
                "AUTH_SITE_LOGO_FILE={}",
                if self.site_logo.is_some() {
                    "[set]"
                } else {
                    ""
                }
            ),
            format!(
                "AUTH_SMTP_URL={}",
                self.smtp_url
                    .as_ref()
                    .map(|u| redact_url(u.expose_secret()))
                    .unwrap_or_default()
            ),
            format!("AUTH_MAIL_FROM={}", self.mail_from),
            format!(
                "AUTH_MAILS_PER_ADDRESS_PER_HOUR={}",
                self.mails_per_address_per_hour
            ),
            format!(
                "AUTH_PASSWORD_RESETS_PER_HOUR={}",
                self.password_resets_per_hour
            ),
            format!("AUTH_LOG_FORMAT={:?}", self.log_format).to_lowercase(),
        ]
        .join("\n")
    }
}

/// An SMTP URL the mailer can use: `smtp` or `smtps`, a host, and a `tls`
/// of `none`, `required` or `opportunistic` if any.
fn check_smtp_url(raw: &str) -> Result<(), ConfigError> {
    let bad = || {
        invalid(
            "AUTH_SMTP_URL must look like smtp://user:pass@host:587, smtps://host:465 or smtp://host:25?tls=none",
        )
    };
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    for (key, value) in url.query_pairs() {
        if key != "tls" || !matches!(&*value, "none" | "required" | "opportunistic") {
            return Err(bad());
        }
    }
    Ok(())
}

/// The sender: as set, or the server's name at `noreply@` its host (a
/// host that is an IP address is not a mail domain: `localhost` then).
fn mail_from(
    raw: Option<&str>,
    site_name: &str,
    issuer: &str,
) -> Result<lettre::message::Mailbox, ConfigError> {
    let raw = match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => raw.to_owned(),
        None => {
            let host = url::Url::parse(issuer)
                .ok()
                .and_then(|u| match u.host() {
                    Some(url::Host::Domain(d)) => Some(d.to_owned()),
                    _ => None,
                })
                .unwrap_or_else(|| "localhost".to_owned());
            let name = site_name.replace(['"', '\\'], "");
            format!("\"{name}\" <noreply@{host}>")
        }
    };
    raw.parse()
        .map_err(|_| invalid("AUTH_MAIL_FROM must be an address, or Name <address>"))
}

fn site_name(raw: &str) -> Result<String, ConfigError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(invalid("AUTH_SITE_NAME must be 1 to 60 characters"));
    }
    Ok(name.to_owned())
}

fn site_logo(path: &Path) -> Result<crate::domain::branding::Logo, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    crate::domain::branding::Logo::from_bytes(bytes, true).map_err(|msg| {
        invalid(format!(
            "AUTH_SITE_LOGO_FILE {}: {}",
            path.display(),
            msg.english()
        ))
    })
}

fn positive(name: &str, value: i64) -> Result<(), ConfigError> {
    if value > 0 {
        Ok(())
    } else {
        Err(invalid(format!("{name} must be positive")))
    }
}

/// A secret from its variable or from the file its `_FILE` variable names.
/// Giving both is refused: which one wins would be a guess.
fn secret_value(
    direct: Option<String>,
    file: Option<&Path>,
) -> Result<Option<SecretString>, ConfigError> {
    let direct = direct.filter(|v| !v.is_empty());
    match (direct, file) {
        (Some(_), Some(path)) => Err(invalid(format!(
            "both a value and a _FILE ({}) are set for the same secret; set one",
            path.display()
        ))),
        (Some(value), None) => Ok(Some(SecretString::from(value))),
        (None, Some(path)) => read_secret_file(path).map(Some),
        (None, None) => Ok(None),
    }
}

/// Reads a secret file, dropping the trailing newline editors and `echo` add.
pub fn read_secret_file(path: &Path) -> Result<SecretString, ConfigError> {
    let raw = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value = raw.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(invalid(format!("{} is empty", path.display())));
    }
    Ok(SecretString::from(value))
}

/// Reads the development key from the data directory, creating it if needed.
fn development_secret_key(path: &Path) -> Result<SecretString, ConfigError> {
    if path.exists() {
        return read_secret_file(path);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    let key = crate::crypto::random_hex(32)
        .map_err(|e| invalid(format!("cannot make a development key: {e}")))?;
    write_private_file(path, &key).map_err(|source| ConfigError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(SecretString::from(key))
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let scheme_ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| url.starts_with(p));
    if !scheme_ok {
        return Err(invalid(format!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got {})",
            redact_url(url)
        )));
    }
    if !url.starts_with("sqlite:") {
        let parsed =
            Url::parse(url).map_err(|e| invalid(format!("DATABASE_URL is malformed: {e}")))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("DATABASE_URL has no host"));
        }
    }
    Ok(())
}

fn with_password(url: &str, password: &str) -> Result<String, ConfigError> {
    let mut parsed =
        Url::parse(url).map_err(|e| invalid(format!("DATABASE_URL is malformed: {e}")))?;
    parsed
        .set_password(Some(password))
        .map_err(|()| invalid("DATABASE_URL cannot carry a password"))?;
    Ok(parsed.to_string())
}

/// The URL with any password replaced, safe to print.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "[unparseable]".to_owned(),
    }
}

fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| invalid(format!("AUTH_TRUSTED_PROXIES: {part:?} is not a CIDR")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<(Config, Vec<String>), ConfigError> {
        let mut all = vec!["pattmayne-auth"];
        all.extend_from_slice(args);
        let cli = Cli::try_parse_from(all).map_err(|e| invalid(e.to_string()))?;
        Config::from_settings(cli.settings)
    }

    /// A directory of the test's own, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn to_str(&self) -> Option<&str> {
            self.0.to_str()
        }
        fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp_dir(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "pattmayne-config-{name}-{}",
            crate::crypto::random_hex(6).unwrap()
        ));
        std::fs::create_dir_all(&dir).ok();
        TempDir(dir)
    }

    #[test]
    fn https_without_secret_key_is_refused() {
        let dir = temp_dir("https");
        let err = parse(&[
            "--public-url",
            "https://auth.example.com",
            "--data-dir",
            dir.to_str().unwrap_or_default(),
        ])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("AUTH_SECRET_KEY"), "{err}");
    }

    #[test]
    fn development_key_is_generated_once_and_kept() {
        let dir = temp_dir("dev");
        let d = dir.to_str().unwrap_or_default();
        let (first, warnings) = parse(&["--data-dir", d]).unwrap();
        assert_eq!(warnings.len(), 1);
        let (second, _) = parse(&["--data-dir", d]).unwrap();
        assert_eq!(
            first.secret_key.expose_secret(),
            second.secret_key.expose_secret()
        );
        assert!(first.database_url.expose_secret().starts_with("sqlite://"));
        assert_eq!(first.issuer, "http://127.0.0.1:8080");
    }

    #[test]
    fn secret_key_is_read_from_file_without_trailing_newline() {
        let dir = temp_dir("file");
        let file = dir.join("key");
        std::fs::write(&file, format!("{}\n", "k".repeat(40))).ok();
        let (config, warnings) = parse(&[
            "--secret-key-file",
            file.to_str().unwrap_or_default(),
            "--public-url",
            "https://auth.example.com/",
            "--data-dir",
            dir.to_str().unwrap_or_default(),
        ])
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(config.secret_key.expose_secret(), &"k".repeat(40));
        assert_eq!(config.issuer, "https://auth.example.com");
        assert!(config.is_https());
    }

    #[test]
    fn short_secret_key_and_both_forms_are_refused() {
        let dir = temp_dir("short");
        let d = dir.to_str().unwrap_or_default();
        assert!(parse(&["--secret-key", "short", "--data-dir", d]).is_err());
        let file = dir.join("key");
        std::fs::write(&file, "k".repeat(40)).ok();
        let both = parse(&[
            "--secret-key",
            &"x".repeat(40),
            "--secret-key-file",
            file.to_str().unwrap_or_default(),
            "--data-dir",
            d,
        ]);
        assert!(both.is_err());
    }

    #[test]
    fn database_password_file_is_spliced_into_the_url() {
        let dir = temp_dir("dbpw");
        let file = dir.join("pw");
        std::fs::write(&file, "s3cr@t\n").ok();
        let (config, _) = parse(&[
            "--database-url",
            "postgres://auth@db:5432/auth",
            "--database-password-file",
            file.to_str().unwrap_or_default(),
            "--secret-key",
            &"x".repeat(40),
            "--data-dir",
            dir.to_str().unwrap_or_default(),
        ])
        .unwrap();
        assert_eq!(
            config.database_url.expose_secret(),
            "postgres://auth:s3cr%40t@db:5432/auth"
        );
        assert!(
            config
                .describe()
                .contains("postgres://auth:redacted@db:5432/auth")
        );
        assert!(!config.describe().contains("s3cr"));
    }

    #[test]
    fn malformed_values_are_refused() {
        let dir = temp_dir("bad");
        let d = dir.to_str().unwrap_or_default();
        let key = "x".repeat(40);
        for args in [
            vec!["--database-url", "mysql://x"],
            vec!["--database-url", "postgres://"],
            vec!["--public-url", "ftp://x"],
            vec!["--access-token-ttl-secs", "7200"],
            vec!["--trusted-proxies", "10.0.0.0/8,nonsense"],
        ] {
            let mut all = args.clone();
            all.extend(["--secret-key", key.as_str(), "--data-dir", d]);
            assert!(parse(&all).is_err(), "{args:?} was accepted");
        }
        let mut ok = vec!["--trusted-proxies", "10.0.0.0/8, 127.0.0.1"];
        ok.extend(["--secret-key", key.as_str(), "--data-dir", d]);
        let (config, _) = parse(&ok).unwrap();
        assert!(config.is_trusted_proxy("127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(
            !config.is_trusted_proxy("192.168.1.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))
        );
    }
}
