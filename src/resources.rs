//! Constants: route paths, cookie and session key names, limits and template
//! names. One place for every string the handlers share (the seed's
//! "resources file"), so nothing is spelled twice.

/// Route paths.
pub mod routes {
    pub const HEALTHZ: &str = "/healthz";
    pub const METRICS: &str = "/metrics";
    pub const STATIC: &str = "/static/{*path}";

    pub const HOME: &str = "/";
    pub const LOGIN: &str = "/login";
    pub const REGISTER: &str = "/register";
    pub const LOGOUT: &str = "/logout";
    pub const ACCOUNT: &str = "/account";
    pub const ACCOUNT_SIGN_OUT_EVERYWHERE: &str = "/account/sign-out-everywhere";
    /// One session's sign-out, from the account page.
    pub const ACCOUNT_SESSION_SIGN_OUT: &str = "/account/sessions/{id}/sign-out";
    pub const ACCOUNT_PASSWORD: &str = "/account/password";
    pub const ACCOUNT_EMAIL: &str = "/account/email";
    pub const PASSWORD_FORGOT: &str = "/password/forgot";
    /// The second step of signing in.
    pub const LOGIN_FACTOR: &str = "/login/factor";
    pub const ACCOUNT_SECURITY: &str = "/account/security";
    pub const ACCOUNT_TOTP: &str = "/account/security/totp";
    pub const ACCOUNT_RECOVERY_CODES: &str = "/account/security/recovery-codes";
    pub const ACCOUNT_FACTOR_REMOVE: &str = "/account/security/factors/{id}/remove";
    /// The recovery codes made with a first passkey, shown once.
    pub const ACCOUNT_NEW_RECOVERY_CODES: &str = "/account/security/recovery-codes/new";
    pub const ACCOUNT_PASSKEYS: &str = "/account/security/passkeys";
    pub const ACCOUNT_PASSKEY_OPTIONS: &str = "/account/security/passkeys/options";
    pub const LOGIN_PASSKEY: &str = "/login/passkey";
    pub const LOGIN_PASSKEY_OPTIONS: &str = "/login/passkey/options";
    pub const LOGIN_FACTOR_PASSKEY: &str = "/login/factor/passkey";
    pub const LOGIN_FACTOR_PASSKEY_OPTIONS: &str = "/login/factor/passkey/options";
    pub const PASSWORD_RESET: &str = "/password/reset";
    pub const VERIFY_EMAIL: &str = "/verify-email";

    pub const AUTHORIZE: &str = "/oauth2/authorize";
    pub const TOKEN: &str = "/oauth2/token";
    pub const DEVICE_AUTHORIZATION: &str = "/oauth2/device_authorization";
    /// Where a person confirms a device's user code (RFC 8628 §3.3).
    pub const DEVICE: &str = "/device";
    pub const REVOKE: &str = "/oauth2/revoke";
    pub const INTROSPECT: &str = "/oauth2/introspect";
    pub const USERINFO: &str = "/oauth2/userinfo";
    pub const JWKS: &str = "/oauth2/jwks";
    pub const BACKCHANNEL_LOGOUT: &str = "/oauth2/logout";
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";

    pub const ADMIN: &str = "/admin";
    pub const ADMIN_CLIENTS: &str = "/admin/clients";
    pub const ADMIN_USERS: &str = "/admin/users";
    pub const ADMIN_SUSPENSIONS: &str = "/admin/suspensions";
    pub const ADMIN_AUDIT: &str = "/admin/audit";
    pub const ADMIN_MAIL: &str = "/admin/mail";
    /// Putting a given-up mail back in the queue.
    pub const ADMIN_MAIL_RETRY: &str = "/admin/mail/{id}/retry";

    /// Choosing a language: `/language/{tag}?next=…`.
    pub const LANGUAGE: &str = "/language/{tag}";
    /// The server's logo (`AUTH_SITE_LOGO_FILE`).
    pub const SITE_LOGO: &str = "/branding/logo";
    /// A client site's logo.
    pub const CLIENT_LOGO: &str = "/branding/clients/{id}/logo";
    /// A client site's colours, as a stylesheet (inline styles are not
    /// allowed by the pages' Content-Security-Policy).
    pub const CLIENT_STYLE: &str = "/branding/clients/{id}/style.css";
    pub const FAVICON: &str = "/favicon.ico";

    pub fn client_logo(id: &str) -> String {
        CLIENT_LOGO.replace("{id}", id)
    }

    pub fn client_style(id: &str) -> String {
        CLIENT_STYLE.replace("{id}", id)
    }
}

/// Paths under `/admin` that name a client site or an account.
pub mod admin_paths {
    /// A client site's page (a route pattern).
    pub const CLIENT: &str = "/admin/clients/{id}";
    /// The form for a new client site.
    pub const CLIENT_NEW: &str = "/admin/clients/new";
    /// The one-time credentials page (a route pattern).
    pub const CLIENT_CREATED: &str = "/admin/clients/{id}/created";
    /// Rotating a client site's secret (a route pattern).
    pub const CLIENT_ROTATE: &str = "/admin/clients/{id}/rotate-secret";
    /// An account (a route pattern; its actions hang under it).
    pub const USER: &str = "/admin/users/{id}";
    /// Lifting an IP suspension.
    pub const SUSPENSION_LIFT: &str = "/admin/suspensions/lift";

    fn with_id(pattern: &str, id: &str) -> String {
        pattern.replace("{id}", id)
    }

    pub fn client(id: &str) -> String {
        with_id(CLIENT, id)
    }

    pub fn client_created(id: &str) -> String {
        with_id(CLIENT_CREATED, id)
    }

    pub fn client_rotate(id: &str) -> String {
        with_id(CLIENT_ROTATE, id)
    }

    pub fn user(id: &str) -> String {
        with_id(USER, id)
    }
}

/// Cookie names. With an https public URL every cookie carries the
/// `__Host-` prefix: the browser then takes it only from this exact host
/// over https, with `Path=/` and no `Domain`, so a sibling site on the same
/// parent domain cannot plant one.
pub mod cookies {
    /// The HTTP session (tower-sessions) cookie.
    pub const SESSION: &str = "pattmayne_session";
    /// The device cookie that lets a person past the per-account throttle.
    pub const DEVICE: &str = "pattmayne_device";
    /// The cookie an anonymous visitor's CSRF tokens are bound to.
    pub const CSRF: &str = "pattmayne_csrf";
    /// The language a visitor chose.
    pub const LANG: &str = "pattmayne_lang";

    const HOST_SESSION: &str = "__Host-pattmayne_session";
    const HOST_DEVICE: &str = "__Host-pattmayne_device";
    const HOST_CSRF: &str = "__Host-pattmayne_csrf";

    /// A cookie's name as sent: `__Host-`-prefixed over https.
    pub fn named(base: &'static str, https: bool) -> &'static str {
        match (base, https) {
            (SESSION, true) => HOST_SESSION,
            (DEVICE, true) => HOST_DEVICE,
            (CSRF, true) => HOST_CSRF,
            _ => base,
        }
    }
}

/// Keys inside the HTTP session.
pub mod session_keys {
    pub const CSRF_TOKEN: &str = "csrf_token";
    pub const SSO_SESSION_ID: &str = "sso_session_id";
    /// A secret shown once (a new client's credentials), keyed by client_id.
    pub const ONE_TIME_SECRET: &str = "one_time_secret";
    /// What the admin's last action did, for the next page to say.
    pub const NOTICE: &str = "notice";
    /// A sign-in whose password was right, waiting for its second factor.
    pub const PENDING_SIGN_IN: &str = "pending_sign_in";
    /// An authenticator app being added: its secret, sealed, until the
    /// first code confirms it.
    pub const PENDING_TOTP: &str = "pending_totp";
    /// A WebAuthn ceremony under way (registration or sign-in).
    pub const WEBAUTHN_STATE: &str = "webauthn_state";
    /// Recovery codes just made, for the one page that shows them.
    pub const NEW_RECOVERY_CODES: &str = "new_recovery_codes";
}

/// Template names.
pub mod templates {
    pub const ERROR: &str = "error.html";
    pub const HOME: &str = "home.html";
    pub const LOGIN: &str = "login.html";
    pub const REGISTER: &str = "register.html";
    pub const ACCOUNT: &str = "account.html";
    pub const LOGOUT: &str = "logout.html";
    pub const ADMIN_CLIENTS: &str = "admin/clients.html";
    pub const ADMIN_CLIENT_NEW: &str = "admin/client_new.html";
    pub const ADMIN_CLIENT: &str = "admin/client.html";
    pub const ADMIN_CLIENT_CREATED: &str = "admin/client_created.html";
    pub const ADMIN_USERS: &str = "admin/users.html";
    pub const ADMIN_SUSPENSIONS: &str = "admin/suspensions.html";
    pub const ADMIN_AUDIT: &str = "admin/audit.html";
    pub const ADMIN_CONFIRM: &str = "admin/confirm.html";
    pub const ADMIN_USER: &str = "admin/user.html";
    pub const ADMIN_MAIL: &str = "admin/mail.html";
    /// A page that says one thing and offers ways on ("check your mail", …).
    pub const MESSAGE: &str = "message.html";
    pub const DEVICE: &str = "device.html";
    pub const PASSWORD_FORGOT: &str = "password_forgot.html";
    pub const PASSWORD_RESET: &str = "password_reset.html";
    pub const ACCOUNT_PASSWORD: &str = "account_password.html";
    pub const ACCOUNT_EMAIL: &str = "account_email.html";
    pub const LOGIN_FACTOR: &str = "login_factor.html";
    pub const ACCOUNT_SECURITY: &str = "account_security.html";
    pub const ACCOUNT_TOTP: &str = "account_totp.html";
    pub const RECOVERY_CODES: &str = "recovery_codes.html";
}

/// How long a mailed password-reset link works.
pub const RESET_LINK_SECS: i64 = 30 * 60;
/// How long a mailed confirmation link (a registration, a new address) works.
pub const VERIFY_LINK_SECS: i64 = 24 * 3600;

/// `Strict-Transport-Security` with an https public URL: a year.
pub const HSTS: &str = "max-age=31536000";

/// Request body limit for every route (forms and token requests are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request that takes longer than this is answered 408.
pub const REQUEST_TIMEOUT_SECS: u64 = 30;
/// How long shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE_SECS: u64 = 20;
/// `/healthz` gives up on the database after this long.
pub const HEALTH_DB_TIMEOUT_MS: u64 = 2_000;

/// The default SQLite file inside the data directory.
pub const DEFAULT_SQLITE_FILE: &str = "pattmayne-auth.db";
/// The development secret key file inside the data directory.
pub const SECRET_KEY_FILE_NAME: &str = "secret_key";
/// Minimum length of `AUTH_SECRET_KEY`.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// An HTTP session without a signed-in person expires after this much inactivity.
pub const HTTP_SESSION_INACTIVITY_SECS: i64 = 2 * 3600;
/// How often expired rows (HTTP sessions, codes, old tokens) are swept.
pub const CLEANUP_INTERVAL_SECS: u64 = 300;

/// Field limits for accounts.
pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 8;
/// Argon2 input is capped so a megabyte "password" cannot be used to burn CPU.
pub const PASSWORD_MAX: usize = 128;

/// Authorization codes live this long (RFC 6749 recommends at most 10 minutes; we use 60 s).
pub const AUTHORIZATION_CODE_TTL_SECS: i64 = 60;
/// Random bytes in an opaque token (refresh tokens, codes, client secrets): 256 bits.
pub const TOKEN_BYTES: usize = 32;
/// Escalation cap for repeat IP suspensions: at most 2^5 = 32 times the base.
pub const MAX_SUSPENSION_DOUBLINGS: i64 = 5;
/// Repeat offences are forgotten after a day without a suspension.
pub const OFFENCE_MEMORY_SECS: i64 = 24 * 3600;
/// Longest delay the per-account throttle imposes between attempts.
pub const ACCOUNT_THROTTLE_MAX_DELAY_SECS: i64 = 300;
/// Lifetime of the device cookie that exempts a browser from the account throttle.
pub const DEVICE_COOKIE_TTL_SECS: i64 = 180 * 24 * 3600;
/// Longest redirect URI accepted at registration.
pub const REDIRECT_URI_MAX: usize = 2000;
/// Longest client site name.
pub const CLIENT_NAME_MAX: usize = 100;
/// Longest `state`, `nonce` or other free-form OAuth parameter we store or echo.
pub const OAUTH_PARAM_MAX: usize = 1024;
/// Users shown on one page of the admin list.
pub const ADMIN_PAGE_SIZE: u64 = 25;

/// Scopes this server understands.
pub const SUPPORTED_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];
/// Scope granted when a client asks for none.
pub const DEFAULT_SCOPE: &str = "openid profile";

/// The header a request's id travels in (made if absent, echoed back).
pub const REQUEST_ID_HEADER: &str = "x-request-id";
