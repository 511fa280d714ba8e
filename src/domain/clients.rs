//! Client sites: the registered OAuth clients (the seed's "table in the DB to
//! store accepted sites"). A client has a random `client_id`, a secret shown
//! once and stored as a hash, one or more exact redirect URIs, an enabled
//! flag, and a choice of how its access tokens are signed. HS256 clients
//! have their own JWT secret, stored encrypted because the server signs with it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionSession, TransactionTrait,
};
use serde::Serialize;

use crate::crypto::{Keys, constant_time_eq, hash_token, random_token, random_token_of};
use crate::entities::{client, client_redirect_uri, refresh_token};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::resources::{CLIENT_NAME_MAX, REDIRECT_URI_MAX};

/// How a client site's access tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenAlg {
    /// HMAC with the client's own JWT secret (the seed's design).
    HS256,
    /// RSA with the server's key, published in the JWKS.
    RS256,
    /// Ed25519 with the server's key, published in the JWKS.
    EdDSA,
}

impl TokenAlg {
    pub const ALL: [TokenAlg; 3] = [TokenAlg::HS256, TokenAlg::RS256, TokenAlg::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenAlg::HS256 => "HS256",
            TokenAlg::RS256 => "RS256",
            TokenAlg::EdDSA => "EdDSA",
        }
    }
}

impl fmt::Display for TokenAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown token algorithm {s:?}: use HS256, RS256 or EdDSA"))
    }
}

/// What kind of client is registered, beyond a confidential web site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientKind {
    /// A public client (RFC 6749 §2.1): a desktop or mobile game that
    /// cannot keep a secret. It authenticates with its `client_id` alone,
    /// its tokens are signed with the server's keys (never HS256), it may
    /// register private-use scheme redirect URIs, and its refresh tokens
    /// live at most `AUTH_PUBLIC_CLIENT_REFRESH_TTL_SECS`.
    pub public: bool,
    /// Allowed the device authorization grant (RFC 8628): consoles, TVs,
    /// headless game servers. Such a client needs no redirect URI.
    pub device: bool,
}

impl ClientKind {
    pub fn of(client: &client::Model) -> ClientKind {
        ClientKind {
            public: client.public,
            device: client.device_grant,
        }
    }
}

/// The secrets of a client, shown once: at creation or rotation. A public
/// client has none but its id.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
}

/// A client site with its redirect URIs.
#[derive(Debug, Clone, Serialize)]
pub struct ClientSite {
    pub client_id: String,
    pub name: String,
    pub token_alg: String,
    pub enabled: bool,
    pub created_at: i64,
    pub redirect_uris: Vec<String>,
    pub public: bool,
    pub device_grant: bool,
}

/// Checks a redirect URI for registration: an absolute https URL (http only
/// on loopback, unless allowed), no fragment, no credentials, nothing that
/// could make exact matching ambiguous.
pub fn validate_redirect_uri(raw: &str, allow_http: bool) -> Result<String, Msg> {
    validate_redirect_uri_for(raw, allow_http, ClientKind::default())
}

/// Whether `host` is a loopback IP literal, the only loopback a native
/// app's redirect URI may name (RFC 8252 §8.3: `localhost` can be made to
/// resolve elsewhere, and a listener on it may not be the app).
fn loopback_literal(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]")
}

/// Whether `scheme` is a private-use URI scheme as RFC 8252 §7.1 has
/// them: a reverse domain name the app owns (`com.example.game`).
fn private_use_scheme(scheme: &str) -> bool {
    scheme.contains('.')
        && scheme.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// [`validate_redirect_uri`] for a client of `kind`: a public client may
/// also register a private-use scheme (`com.example.game:/callback`), and
/// its loopback URIs must name an IP literal, not `localhost`.
pub fn validate_redirect_uri_for(
    raw: &str,
    allow_http: bool,
    kind: ClientKind,
) -> Result<String, Msg> {
    let uri = raw.trim();
    if uri.is_empty() || uri.len() > REDIRECT_URI_MAX {
        return Err(Msg::new("admin-client-uri-length"));
    }
    let refuse = |key: &'static str| Msg::new(key).with("uri", uri);
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("admin-client-uri-spaces"));
    }
    let parsed = url::Url::parse(uri).map_err(|_| refuse("admin-client-uri-not-absolute"))?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(refuse("admin-client-uri-fragment"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("admin-client-uri-credentials"));
    }
    if !matches!(parsed.scheme(), "https" | "http") {
        if kind.public && private_use_scheme(parsed.scheme()) {
            return Ok(uri.to_owned());
        }
        return Err(refuse(if private_use_scheme(parsed.scheme()) {
            "admin-client-uri-private-scheme"
        } else {
            "admin-client-uri-scheme"
        }));
    }
    let Some(host) = parsed.host_str() else {
        return Err(refuse("admin-client-uri-no-host"));
    };
    if kind.public && parsed.scheme() == "http" && host == "localhost" {
        return Err(refuse("admin-client-uri-localhost"));
    }
    let loopback = host == "localhost" || loopback_literal(host);
    match parsed.scheme() {
        "https" => Ok(uri.to_owned()),
        "http" if loopback || allow_http => Ok(uri.to_owned()),
        "http" => Err(refuse("admin-client-uri-plain-http")),
        _ => Err(refuse("admin-client-uri-scheme")),
    }
}

/// Whether a redirect URI in an authorization request matches one that was
/// registered: exactly, or (RFC 8252 §7.3) a loopback IP literal registered
/// without a port matches that URI on any port, since a native app listens
/// on whatever port the system gives it. Nothing else is loosened: not
/// `localhost`, not the path or query, not a registered port.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (url::Url::parse(registered), url::Url::parse(requested)) else {
        return false;
    };
    let portless_loopback = reg.scheme() == "http"
        && reg.host_str().is_some_and(loopback_literal)
        && !has_explicit_port(registered);
    portless_loopback
        && req.scheme() == "http"
        && req.host_str() == reg.host_str()
        && req.port().is_some()
        && req.path() == reg.path()
        && req.query() == reg.query()
        && req.fragment().is_none()
        && req.username().is_empty()
        && req.password().is_none()
}

/// Whether a URI as written names a port (`url` drops a default `:80`, so
/// the parsed URL cannot tell `http://127.0.0.1:80/` from `http://127.0.0.1/`).
fn has_explicit_port(uri: &str) -> bool {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let host_end = authority.rfind(']').unwrap_or(0);
    authority[host_end..].contains(':')
}

/// Checks a client site's name.
pub fn validate_name(raw: &str) -> Result<String, Msg> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > CLIENT_NAME_MAX
        || name.chars().any(char::is_control)
    {
        return Err(Msg::new("admin-client-name-invalid"));
    }
    Ok(name.to_owned())
}

/// What is wrong with a client site's form, field by field (every bad
/// redirect URI, not only the first).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SiteErrors {
    pub name: Option<Msg>,
    pub redirect_uris: Vec<Msg>,
}

impl SiteErrors {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.redirect_uris.is_empty()
    }

    /// The first message, for callers that show one.
    pub fn first(&self) -> Option<Msg> {
        self.name
            .clone()
            .or_else(|| self.redirect_uris.first().cloned())
    }
}

/// Checks a client site's name and redirect URIs together: the name and
/// the distinct URIs, or everything that is wrong with them.
pub fn validate_site(
    name: &str,
    redirect_uris: &[String],
    allow_http: bool,
    kind: ClientKind,
) -> Result<(String, Vec<String>), SiteErrors> {
    let mut errors = SiteErrors::default();
    let name = validate_name(name).map_err(|m| errors.name = Some(m)).ok();
    let mut uris: Vec<String> = Vec::new();
    for raw in redirect_uris.iter().filter(|u| !u.trim().is_empty()) {
        match validate_redirect_uri_for(raw, allow_http, kind) {
            Ok(uri) if !uris.contains(&uri) => uris.push(uri),
            Ok(_) => {}
            Err(msg) => errors.redirect_uris.push(msg),
        }
    }
    // A device-grant client (a console) may have no browser to come back to.
    if uris.is_empty() && errors.redirect_uris.is_empty() && !kind.device {
        errors
            .redirect_uris
            .push(Msg::new("admin-client-uris-missing"));
    }
    match name {
        Some(name) if errors.is_empty() => Ok((name, uris)),
        _ => Err(errors),
    }
}

fn site_error(errors: SiteErrors) -> AppError {
    AppError::BadRequest(
        errors
            .first()
            .unwrap_or(Msg::new("admin-client-uris-missing")),
    )
}

fn sealing_context(client_id: &str) -> String {
    format!("client-jwt-secret:{client_id}")
}

/// A random client id (128 bits, base64url) that does not begin with `-`,
/// so that it can be given to the command line as it is (`client show ID`).
fn new_client_id() -> Result<String, crate::crypto::CryptoError> {
    loop {
        let id = random_token_of(16)?;
        if !id.starts_with('-') {
            return Ok(id);
        }
    }
}

/// How long a client site read through [`ClientCache`] is used before it is
/// read again: how long a change made by another instance or the CLI (a
/// rotated secret, a disabled site, new redirect URIs) may take to reach
/// this one. A change made through this process is seen at once.
pub const CLIENT_CACHE_SECS: i64 = 5;

/// Counts the changes to client sites made by this process; a cached site
/// read before the latest one is read again.
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// Records that a client site changes (called by every function here that
/// writes one, before it writes, so a read racing the write is not kept
/// past [`CLIENT_CACHE_SECS`]).
fn changing() {
    CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// A client site as the hot paths need it: the row and, if it is enabled,
/// its redirect URIs.
#[derive(Debug)]
pub struct CachedClient {
    pub client: client::Model,
    /// Empty for a disabled client (its authorization requests are refused).
    pub redirect_uris: Vec<String>,
}

struct Entry {
    site: Arc<CachedClient>,
    read_at: i64,
    changes: u64,
}

/// Client sites kept in memory for the authorization request and the token
/// endpoint, which otherwise read the client row on every call. Only sites
/// that exist are kept (an id nobody registered is read every time, as
/// before, so the cache holds at most the registered sites, and a site just
/// created by the CLI is known at once); past [`CLIENT_CACHE_MAX`] sites it
/// starts again from empty.
#[derive(Default)]
pub struct ClientCache {
    entries: std::sync::RwLock<HashMap<String, Entry>>,
}

/// The most client sites a [`ClientCache`] holds.
pub const CLIENT_CACHE_MAX: usize = 10_000;

impl ClientCache {
    /// The client site `client_id` names, from memory if read within
    /// [`CLIENT_CACHE_SECS`] and unchanged since; else from the database.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Arc<CachedClient>>, DbErr> {
        let changes = CHANGES.load(Ordering::Acquire);
        if let Some(site) = self.fresh(client_id, now, changes) {
            return Ok(Some(site));
        }
        let Some(client) = find(db, client_id).await? else {
            return Ok(None);
        };
        let redirect_uris = match client.enabled {
            true => redirect_uris(db, client_id).await?,
            false => Vec::new(),
        };
        let site = Arc::new(CachedClient {
            client,
            redirect_uris,
        });
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CLIENT_CACHE_MAX && !entries.contains_key(client_id) {
            entries.clear();
        }
        let entry = Entry {
            site: Arc::clone(&site),
            read_at: now,
            changes,
        };
        entries.insert(client_id.to_owned(), entry);
        Ok(Some(site))
    }

    /// What is cached for `client_id`, if still good.
    fn fresh(&self, client_id: &str, now: i64, changes: u64) -> Option<Arc<CachedClient>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(client_id)?;
        let fresh = entry.changes == changes
            && (entry.read_at..entry.read_at + CLIENT_CACHE_SECS).contains(&now);
        fresh.then(|| Arc::clone(&entry.site))
    }
}

/// Registers a client site. Returns its credentials, which are not kept.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &impl TransactionTrait,
    keys: &Keys,
    name: &str,
    redirect_uris: &[String],
    alg: TokenAlg,
    kind: ClientKind,
    allow_http: bool,
    now: i64,
) -> AppResult<(ClientSite, ClientCredentials)> {
    changing();
    if kind.public && alg == TokenAlg::HS256 {
        // HS256 needs a secret shared with the client, which a public client cannot keep.
        return Err(AppError::BadRequest(Msg::new("admin-client-public-hs256")));
    }
    let (name, uris) = validate_site(name, redirect_uris, allow_http, kind).map_err(site_error)?;
    let client_id = new_client_id()?;
    // A public client's stored hash is of a secret nobody is given: no
    // presented secret can match it (and `judge` refuses any anyway).
    let client_secret = random_token()?;
    let jwt_secret = match alg {
        TokenAlg::HS256 => Some(random_token_of(48)?),
        _ => None,
    };
    let jwt_secret_enc = match &jwt_secret {
        Some(s) => Some(keys.seal(&sealing_context(&client_id), s.as_bytes())?),
        None => None,
    };
    let txn = crate::db::begin_write(db).await?;
    client::ActiveModel {
        client_id: Set(client_id.clone()),
        name: Set(name.clone()),
        secret_hash: Set(hash_token(&client_secret)),
        token_alg: Set(alg.as_str().to_owned()),
        jwt_secret_enc: Set(jwt_secret_enc),
        enabled: Set(true),
        accent_color: Set(None),
        backchannel_logout_uri: Set(None),
        public: Set(kind.public),
        device_grant: Set(kind.device),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_uris(&txn, &client_id, &uris).await?;
    txn.commit().await?;
    let site = ClientSite {
        client_id: client_id.clone(),
        name,
        token_alg: alg.as_str().to_owned(),
        enabled: true,
        created_at: now,
        redirect_uris: uris,
        public: kind.public,
        device_grant: kind.device,
    };
    Ok((
        site,
        ClientCredentials {
            client_id,
            client_secret: (!kind.public).then_some(client_secret),
            jwt_secret,
        },
    ))
}

async fn insert_uris(
    db: &impl ConnectionTrait,
    client_id: &str,
    uris: &[String],
) -> Result<(), DbErr> {
    client_redirect_uri::Entity::insert_many(uris.iter().map(|uri| {
        client_redirect_uri::ActiveModel {
            client_id: Set(client_id.to_owned()),
            uri: Set(uri.clone()),
            ..Default::default()
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// A client's columns as a `LEFT JOIN` returns them: all `NULL` when no
/// client has the id. The refresh grant's batched statement on PostgreSQL
/// selects these alongside its rotation.
#[derive(Debug, FromQueryResult)]
pub(crate) struct JoinedClient {
    client_id: Option<String>,
    name: Option<String>,
    secret_hash: Option<String>,
    token_alg: Option<String>,
    jwt_secret_enc: Option<String>,
    enabled: Option<bool>,
    accent_color: Option<String>,
    public: Option<bool>,
    device_grant: Option<bool>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

/// The columns of [`JoinedClient`], from `clients c`.
pub(crate) const JOINED_CLIENT_COLUMNS: &str = "c.client_id, c.name, c.secret_hash, c.token_alg, \
    c.jwt_secret_enc, c.enabled, c.accent_color, c.public, c.device_grant, c.created_at, c.updated_at";

impl JoinedClient {
    /// The client, if the join found one.
    pub(crate) fn into_client(self) -> Option<client::Model> {
        Some(client::Model {
            client_id: self.client_id?,
            name: self.name?,
            secret_hash: self.secret_hash?,
            token_alg: self.token_alg?,
            jwt_secret_enc: self.jwt_secret_enc,
            enabled: self.enabled?,
            accent_color: self.accent_color,
            // Not read on the token path that joins clients.
            backchannel_logout_uri: None,
            public: self.public?,
            device_grant: self.device_grant?,
            created_at: self.created_at?,
            updated_at: self.updated_at?,
        })
    }
}

/// A client by id (enabled or not).
pub async fn find(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<client::Model>, DbErr> {
    crate::db::first(client::Entity::find_by_id(client_id.to_owned()), db).await
}

/// A client's registered redirect URIs, in registration order.
pub async fn redirect_uris(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Vec<String>, DbErr> {
    Ok(client_redirect_uri::Entity::find()
        .filter(client_redirect_uri::Column::ClientId.eq(client_id))
        .order_by_asc(client_redirect_uri::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.uri)
        .collect())
}

/// A client site with its redirect URIs.
pub async fn site(db: &impl ConnectionTrait, client_id: &str) -> Result<Option<ClientSite>, DbErr> {
    let Some(c) = find(db, client_id).await? else {
        return Ok(None);
    };
    let redirect_uris = redirect_uris(db, client_id).await?;
    Ok(Some(ClientSite {
        client_id: c.client_id,
        name: c.name,
        token_alg: c.token_alg,
        enabled: c.enabled,
        created_at: c.created_at,
        redirect_uris,
        public: c.public,
        device_grant: c.device_grant,
    }))
}

/// Every client site, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<ClientSite>, DbErr> {
    let clients = client::Entity::find()
        .order_by_asc(client::Column::CreatedAt)
        .all(db)
        .await?;
    let mut uris: HashMap<String, Vec<String>> = HashMap::new();
    for row in client_redirect_uri::Entity::find()
        .order_by_asc(client_redirect_uri::Column::Id)
        .all(db)
        .await?
    {
        uris.entry(row.client_id).or_default().push(row.uri);
    }
    Ok(clients
        .into_iter()
        .map(|c| ClientSite {
            redirect_uris: uris.remove(&c.client_id).unwrap_or_default(),
            client_id: c.client_id,
            name: c.name,
            token_alg: c.token_alg,
            enabled: c.enabled,
            created_at: c.created_at,
            public: c.public,
            device_grant: c.device_grant,
        })
        .collect())
}

/// Live (unrevoked, unexpired) refresh token families per client.
pub async fn live_token_counts(
    db: &impl ConnectionTrait,
    now: i64,
) -> Result<HashMap<String, u64>, DbErr> {
    let rows = refresh_token::Entity::find()
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .all(db)
        .await?;
    let mut counts = HashMap::new();
    for row in rows {
        *counts.entry(row.client_id).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Live refresh tokens of one client.
pub async fn live_token_count(
    db: &impl ConnectionTrait,
    client_id: &str,
    now: i64,
) -> Result<u64, DbErr> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::ClientId.eq(client_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .count(db)
        .await
}

/// Renames a client and replaces its redirect URIs.
pub async fn update(
    db: &impl TransactionTrait,
    client_id: &str,
    name: &str,
    redirect_uris: &[String],
    allow_http: bool,
    now: i64,
) -> AppResult<()> {
    changing();
    let txn = crate::db::begin_write(db).await?;
    let Some(existing) = find(&txn, client_id).await? else {
        return Err(AppError::NotFound);
    };
    let kind = ClientKind::of(&existing);
    let (name, uris) = validate_site(name, redirect_uris, allow_http, kind).map_err(site_error)?;
    let found = client::Entity::update_many()
        .col_expr(client::Column::Name, Expr::value(name))
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if found == 0 {
        return Err(AppError::NotFound);
    }
    client_redirect_uri::Entity::delete_many()
        .filter(client_redirect_uri::Column::ClientId.eq(client_id))
        .exec(&txn)
        .await?;
    insert_uris(&txn, client_id, &uris).await?;
    txn.commit().await?;
    Ok(())
}

/// A back-channel logout URI as typed: empty is none; otherwise the rules
/// of redirect URIs (absolute https, http only on loopback unless allowed,
/// no fragment, no credentials).
pub fn validate_backchannel_uri(raw: &str, allow_http: bool) -> Result<Option<String>, Msg> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    validate_redirect_uri(raw, allow_http).map(Some)
}

/// Sets (or, with `None`, clears) where a client site hears of ended sessions.
pub async fn set_backchannel_uri(
    db: &impl ConnectionTrait,
    client_id: &str,
    uri: Option<&str>,
    now: i64,
) -> Result<(), DbErr> {
    changing();
    client::Entity::update_many()
        .col_expr(
            client::Column::BackchannelLogoutUri,
            Expr::value(uri.map(str::to_owned)),
        )
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets a client site's accent colour (already checked).
pub async fn set_accent(
    db: &impl ConnectionTrait,
    client_id: &str,
    accent: Option<&str>,
    now: i64,
) -> Result<(), DbErr> {
    changing();
    client::Entity::update_many()
        .col_expr(
            client::Column::AccentColor,
            Expr::value(accent.map(str::to_owned)),
        )
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the client secret; the old one stops working at once. A
/// public client has no secret to replace.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    client_id: &str,
    now: i64,
) -> AppResult<String> {
    changing();
    let secret = random_token()?;
    let found = client::Entity::update_many()
        .col_expr(client::Column::SecretHash, Expr::value(hash_token(&secret)))
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::ClientId.eq(client_id))
        .filter(client::Column::Public.eq(false))
        .exec(db)
        .await?
        .rows_affected;
    if found == 0 {
        return Err(match find(db, client_id).await? {
            Some(_) => AppError::BadRequest(Msg::new("admin-client-public-no-secret")),
            None => AppError::NotFound,
        });
    }
    Ok(secret)
}

/// Enables or disables a client. A disabled client cannot authenticate, so
/// its codes cannot be exchanged and its tokens stop refreshing.
pub async fn set_enabled(
    db: &impl ConnectionTrait,
    client_id: &str,
    enabled: bool,
    now: i64,
) -> AppResult<()> {
    changing();
    let found = client::Entity::update_many()
        .col_expr(client::Column::Enabled, Expr::value(enabled))
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?
        .rows_affected;
    if found == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// Deletes a client; its redirect URIs, codes and refresh tokens go with it.
pub async fn delete(db: &impl ConnectionTrait, client_id: &str) -> AppResult<()> {
    changing();
    let deleted = client::Entity::delete_by_id(client_id.to_owned())
        .exec(db)
        .await?
        .rows_affected;
    if deleted == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// Whether `presented` is this client's secret (constant time).
pub fn secret_matches(client: &client::Model, presented: &str) -> bool {
    constant_time_eq(
        hash_token(presented).as_bytes(),
        client.secret_hash.as_bytes(),
    )
}

/// The client's HS256 secret, decrypted.
pub fn jwt_secret(keys: &Keys, client: &client::Model) -> AppResult<Option<String>> {
    let Some(sealed) = &client.jwt_secret_enc else {
        return Ok(None);
    };
    let plain = keys
        .open(&sealing_context(&client.client_id), sealed)
        .map_err(|e| AppError::internal(format!("client {}: {e}", client.client_id)))?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| AppError::internal("client JWT secret is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        assert!(validate_redirect_uri("https://app.example/cb", false).is_ok());
        assert!(validate_redirect_uri("http://localhost:3000/cb", false).is_ok());
        assert!(validate_redirect_uri("http://127.0.0.1:3000/cb", false).is_ok());
        assert!(validate_redirect_uri("http://app.example/cb", false).is_err());
        assert!(validate_redirect_uri("http://app.example/cb", true).is_ok());
        for bad in [
            "/relative",
            "app.example/cb",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
            "https://user:pw@app.example/cb",
            "data:text/html,hi",
            "ftp://app.example/",
            "https://app.example/a b",
        ] {
            assert!(validate_redirect_uri(bad, true).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn native_redirect_uris() {
        let public = ClientKind {
            public: true,
            device: false,
        };
        let web = ClientKind::default();
        assert!(validate_redirect_uri_for("com.example.game:/callback", false, public).is_ok());
        assert!(validate_redirect_uri_for("com.example.game:/callback", false, web).is_err());
        assert!(validate_redirect_uri_for("http://127.0.0.1/callback", false, public).is_ok());
        assert!(validate_redirect_uri_for("http://[::1]/callback", false, public).is_ok());
        assert!(validate_redirect_uri_for("http://localhost/callback", false, public).is_err());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "game:/cb",
            ".bad:/cb",
        ] {
            assert!(
                validate_redirect_uri_for(bad, true, public).is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn loopback_matches_any_port_and_nothing_else() {
        let reg = "http://127.0.0.1/callback";
        assert!(redirect_matches(reg, "http://127.0.0.1:49152/callback"));
        assert!(redirect_matches(reg, reg));
        assert!(redirect_matches("http://[::1]/cb", "http://[::1]:5000/cb"));
        assert!(!redirect_matches(reg, "http://127.0.0.2:49152/callback"));
        assert!(!redirect_matches(reg, "http://localhost:49152/callback"));
        assert!(!redirect_matches(reg, "http://127.0.0.1:49152/callback/x"));
        assert!(!redirect_matches(
            reg,
            "http://127.0.0.1:49152/callback?x=1"
        ));
        assert!(!redirect_matches(reg, "https://127.0.0.1:49152/callback"));
        assert!(!redirect_matches(reg, "http://u@127.0.0.1:49152/callback"));
        // A registered port is matched exactly, even the default one.
        assert!(!redirect_matches(
            "http://127.0.0.1:8000/cb",
            "http://127.0.0.1:8001/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1:80/cb",
            "http://127.0.0.1:81/cb"
        ));
        // localhost is never loosened.
        assert!(!redirect_matches(
            "http://localhost/cb",
            "http://localhost:5000/cb"
        ));
        assert!(!redirect_matches(
            "https://app.example/cb",
            "https://app.example:444/cb"
        ));
    }

    #[test]
    fn algorithms_parse() {
        assert_eq!("hs256".parse::<TokenAlg>().unwrap(), TokenAlg::HS256);
        assert_eq!("EdDSA".parse::<TokenAlg>().unwrap(), TokenAlg::EdDSA);
        assert!("none".parse::<TokenAlg>().is_err());
    }
}
