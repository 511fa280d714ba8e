//! `spawn_app()`: a real server on port 0 with a fresh database (SQLite file,
//! or a fresh PostgreSQL database when `TEST_DATABASE_URL=postgres://…`), and
//! a cookie-keeping HTTP client.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use clap::Parser;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use pattmayne_auth::cli::Cli;
use pattmayne_auth::config::Config;
use pattmayne_auth::domain::signing::AccessClaims;
use pattmayne_auth::entities::refresh_token;
use pattmayne_auth::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tokio::net::TcpListener;

/// The password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// Where every log line of every server in this test process goes, so tests
/// can assert on what was (not) logged.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let sink = Arc::new(Mutex::new(Vec::new()));
        let writer = LogSink(sink.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,h2=info,sqlx=debug,sea_orm=debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .event_format(pattmayne_auth::telemetry::Line::Text)
            .try_init();
        sink
    })
    .clone()
}

/// Everything logged so far by servers in this process.
pub fn captured_logs() -> String {
    let sink = init_logs();
    let logs = sink.lock().map(|l| l.clone()).unwrap_or_default();
    String::from_utf8_lossy(&logs).into_owned()
}

/// A directory of the test's own under the system's temp dir, removed with
/// everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}",
            pattmayne_auth::crypto::random_hex(8).unwrap()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database URL: a new SQLite file, or a new PostgreSQL database;
/// the guard removes it when the test ends.
pub async fn fresh_database_url() -> (String, Option<TestDatabase>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            let name = format!(
                "pattmayne_test_{}",
                pattmayne_auth::crypto::random_hex(8).unwrap()
            );
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            (
                url.to_string(),
                Some(TestDatabase::Postgres { admin_url, name }),
            )
        }
        _ => {
            let dir = TempDir::new("pattmayne-auth-test-db");
            let file = dir.path().join("test.db");
            let url = format!("sqlite://{}?mode=rwc", file.display());
            (url, Some(TestDatabase::Sqlite(dir)))
        }
    }
}

/// A per-test database, removed when the test ends: a PostgreSQL database
/// (dropped), or the directory of an SQLite file and its WAL.
pub enum TestDatabase {
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Held for its drop, which removes the file.
    Sqlite(#[allow(dead_code)] TempDir),
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabase::Postgres { admin_url, name } = self else {
            return; // the TempDir removes itself
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime; use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// Settings for a test server, as flags (the same parser the binary uses).
pub fn test_config(database_url: &str, extra: &[&str]) -> Config {
    let data_dir = std::env::temp_dir().join("pattmayne-auth-tests");
    let mut args: Vec<String> = vec![
        "pattmayne-auth".into(),
        "--database-url".into(),
        database_url.into(),
        "--secret-key".into(),
        "test-secret-key-that-is-long-enough-0123456789".into(),
        "--data-dir".into(),
        data_dir.display().to_string(),
        "--database-max-connections".into(),
        "8".into(),
        // Cheap hashing keeps the suite fast; tests that care set OWASP values.
        "--argon2-memory-kib".into(),
        "1024".into(),
        "--argon2-iterations".into(),
        "1".into(),
    ];
    // A flag given in `extra` replaces the default above.
    for flag in extra.iter().filter(|a| a.starts_with("--")) {
        if let Some(i) = args.iter().position(|a| a == flag) {
            args.drain(i..i + 2);
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let cli = Cli::try_parse_from(args).expect("test settings parse");
    Config::from_settings(cli.settings)
        .expect("test settings are valid")
        .0
}

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Cookie-keeping client that does not follow redirects.
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _pg: Option<TestDatabase>,
    /// `AUTH_DATA_DIR` of this server alone (its mail outbox is here).
    pub data_dir: TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Another cookie-keeping client, optionally bound to a source address
    /// (127.0.0.2 is a different client IP on Linux loopback).
    pub fn new_client(&self, source: Option<IpAddr>) -> reqwest::Client {
        client_builder(source).build().expect("client")
    }

    /// A cookie-keeping client that sends `user_agent`, as a browser would.
    pub fn new_browser(&self, user_agent: &str) -> reqwest::Client {
        client_builder(None)
            .user_agent(user_agent)
            .build()
            .expect("client")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn client_builder(source: Option<IpAddr>) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60));
    if let Some(ip) = source {
        builder = builder.local_address(ip);
    }
    builder
}

/// Starts a server with default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a server with extra settings (flags, e.g. `["--login-max-failures", "3"]`).
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let (database_url, pg) = fresh_database_url().await;
    spawn_app_on(&database_url, pg, extra).await
}

/// Starts a server on an existing database (which it migrates), keeping
/// `pg` (the per-test PostgreSQL database) alive as long as the server.
pub async fn spawn_app_on(database_url: &str, pg: Option<TestDatabase>, extra: &[&str]) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    serve_app(listener, database_url, pg, extra).await
}

/// A server whose public URL is `http://localhost:<its port>`: a domain
/// name, as WebAuthn needs (passkeys); browsers treat it as secure.
pub async fn spawn_app_on_localhost(extra: &[&str]) -> TestApp {
    spawn_app_named(extra, "localhost").await
}

/// A server whose public URL (and so issuer) is `http://<host>:<its port>`,
/// as client sites that reach it by that URL need.
pub async fn spawn_app_named(extra: &[&str], host: &str) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let public = format!("http://{host}:{}", listener.local_addr().unwrap().port());
    let mut settings = vec!["--public-url", public.as_str()];
    settings.extend_from_slice(extra);
    let (database_url, pg) = fresh_database_url().await;
    serve_app(listener, &database_url, pg, &settings).await
}

async fn serve_app(
    listener: TcpListener,
    database_url: &str,
    pg: Option<TestDatabase>,
    extra: &[&str],
) -> TestApp {
    init_logs();
    let data_dir = TempDir::new("pattmayne-data");
    let data_dir_arg = data_dir.path().display().to_string();
    let mut settings: Vec<&str> = vec!["--data-dir", &data_dir_arg];
    settings.extend_from_slice(extra);
    let config = test_config(database_url, &settings);
    // A clock that stands still until a test moves it: no test sleeps to
    // make time pass.
    let clock = pattmayne_auth::clock::Clock::manual(pattmayne_auth::clock::system_now());
    let state = pattmayne_auth::prepare_with_clock(config, clock)
        .await
        .expect("server prepares");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server_state = state.clone();
    tokio::spawn(async move {
        let _ = pattmayne_auth::serve_on(listener, server_state, async {
            let _ = rx.await;
        })
        .await;
    });
    TestApp {
        addr,
        state,
        client: client_builder(None).build().expect("client"),
        shutdown: Some(tx),
        _pg: pg,
        data_dir,
    }
}

/// The `csrf_token` hidden field of a page.
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a csrf_token field");
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// The value of the session cookie a response set, if any.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pattmayne_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

impl TestApp {
    /// Creates an account directly (as `pattmayne-auth user create` would).
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        admin: bool,
    ) -> pattmayne_auth::entities::user::Model {
        let account = pattmayne_auth::domain::users::validate_new_account(
            username,
            &format!("{username}@example.com"),
            password,
            password,
        )
        .unwrap_or_else(|_| panic!("valid test account {username}"));
        pattmayne_auth::domain::users::create(
            &self.state.db,
            &self.state.passwords,
            account,
            admin,
            false,
            self.state.clock.now(),
        )
        .await
        .expect("create user")
    }

    /// GETs a page with `client` and returns its CSRF token.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        csrf_from(&html)
    }

    /// Signs in through the hosted login with `client`; returns the response to the POST.
    pub async fn login_with(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf(client, "/login").await;
        client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .expect("post /login")
    }

    /// Signs in with the app's own client and checks it worked.
    pub async fn login(&self, username: &str, password: &str) {
        let res = self.login_with(&self.client, username, password).await;
        assert_eq!(res.status(), 303, "sign-in of {username} failed");
    }

    /// Every row of every table, as text, for "is this secret stored anywhere" checks.
    pub async fn dump_database(&self) -> String {
        use pattmayne_auth::entities::*;
        use sea_orm::EntityTrait;
        let db = &self.state.db;
        let mut out = String::new();
        macro_rules! dump {
            ($($entity:path),*) => {$(
                for row in <$entity>::find().into_json().all(db).await.expect("dump table") {
                    out.push_str(&row.to_string());
                    out.push('\n');
                }
            )*};
        }
        dump!(
            user::Entity,
            client::Entity,
            client_redirect_uri::Entity,
            sso_session::Entity,
            authorization_code::Entity,
            refresh_token::Entity,
            ip_throttle::Entity,
            account_throttle::Entity,
            signing_key::Entity,
            http_session::Entity,
            audit_log::Entity
        );
        out
    }
}

/// A registered client site as a test sees it.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub client_id: String,
    pub client_secret: String,
    pub jwt_secret: Option<String>,
    pub redirect_uri: String,
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = pattmayne_auth::crypto::random_token_of(48).unwrap();
    let challenge = pattmayne_auth::crypto::sha256_b64url(verifier.as_bytes());
    (verifier, challenge)
}

/// The query parameters of a redirect's Location.
pub fn location_params(res: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    url::Url::parse(location)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

impl TestApp {
    /// Registers a client site (as the CLI and admin UI do).
    pub async fn register_client(
        &self,
        name: &str,
        alg: pattmayne_auth::domain::clients::TokenAlg,
    ) -> TestClient {
        let redirect_uri = format!(
            "https://{}.example/callback",
            name.to_lowercase().replace(' ', "-")
        );
        self.register_client_at(name, alg, &redirect_uri).await
    }

    /// Registers a client site with one redirect URI of the test's choosing.
    pub async fn register_client_at(
        &self,
        name: &str,
        alg: pattmayne_auth::domain::clients::TokenAlg,
        redirect_uri: &str,
    ) -> TestClient {
        self.register_client_of(name, alg, redirect_uri, Default::default())
            .await
    }

    /// Registers a client of `kind` (public, device grant) with one
    /// redirect URI (none if empty). A public client's `client_secret` is "".
    pub async fn register_client_of(
        &self,
        name: &str,
        alg: pattmayne_auth::domain::clients::TokenAlg,
        redirect_uri: &str,
        kind: pattmayne_auth::domain::clients::ClientKind,
    ) -> TestClient {
        let redirect_uri = redirect_uri.to_owned();
        let uris: Vec<String> = Some(redirect_uri.clone())
            .filter(|u| !u.is_empty())
            .into_iter()
            .collect();
        let (_, creds) = pattmayne_auth::domain::clients::create(
            &self.state.db,
            &self.state.keys,
            name,
            &uris,
            alg,
            kind,
            false,
            self.state.clock.now(),
        )
        .await
        .expect("create client");
        TestClient {
            client_id: creds.client_id,
            client_secret: creds.client_secret.unwrap_or_default(),
            jwt_secret: creds.jwt_secret,
            redirect_uri,
        }
    }

    /// The authorization request URL (path and query) for `client`.
    pub fn authorize_path(
        &self,
        client: &TestClient,
        challenge: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", &client.redirect_uri)
            .append_pair("state", "xyz-state")
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            query.append_pair(k, v);
        }
        format!("/oauth2/authorize?{}", query.finish())
    }

    /// With a signed-in `browser`, gets a code for `client`: (code, verifier).
    pub async fn obtain_code(
        &self,
        browser: &reqwest::Client,
        client: &TestClient,
    ) -> (String, String) {
        let (verifier, challenge) = pkce_pair();
        let res = browser
            .get(self.url(&self.authorize_path(client, &challenge, &[])))
            .send()
            .await
            .expect("authorize");
        assert_eq!(res.status(), 302, "authorize did not redirect with a code");
        let params = location_params(&res);
        let code = params.get("code").cloned().expect("code in the redirect");
        (code, verifier)
    }

    /// POSTs a form to the token endpoint with HTTP Basic client authentication.
    pub async fn token_request(
        &self,
        client: &TestClient,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url("/oauth2/token"))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(form)
            .send()
            .await
            .expect("token request")
    }

    /// Exchanges a code; returns the JSON response (asserting success).
    pub async fn exchange(
        &self,
        client: &TestClient,
        code: &str,
        verifier: &str,
    ) -> serde_json::Value {
        let res = self
            .token_request(
                client,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &client.redirect_uri),
                    ("code_verifier", verifier),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "code exchange failed");
        res.json().await.expect("token json")
    }

    /// Refreshes; returns the raw response.
    pub async fn refresh(&self, client: &TestClient, refresh_token: &str) -> reqwest::Response {
        self.token_request(
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Signs a new browser in as `username` and runs the whole flow for
    /// `client`: returns (browser, token response).
    pub async fn sign_in_and_get_tokens(
        &self,
        username: &str,
        password: &str,
        client: &TestClient,
    ) -> (reqwest::Client, serde_json::Value) {
        let browser = self.new_client(None);
        let res = self.login_with(&browser, username, password).await;
        assert_eq!(res.status(), 303);
        let (code, verifier) = self.obtain_code(&browser, client).await;
        let tokens = self.exchange(client, &code, &verifier).await;
        (browser, tokens)
    }
}

// Token helpers shared by the OAuth tests.

pub fn hs256(app: &TestApp, client: &TestClient, token: &str) -> AccessClaims {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[&client.client_id]);
    validation.set_issuer(&[&app.state.config.issuer]);
    let key =
        DecodingKey::from_secret(client.jwt_secret.as_ref().expect("HS256 client").as_bytes())
            .unwrap();
    jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
        .expect("valid HS256 access token")
        .claims
}

pub async fn with_jwks<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    token: &str,
    alg: Algorithm,
    audience: &str,
) -> T {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, alg);
    let jwks: JwkSet = app.get("/oauth2/jwks").await.json().await.unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("key published");
    let mut validation = Validation::new(alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.state.config.issuer]);
    jsonwebtoken::decode::<T>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("valid signature")
        .claims
}

pub async fn live_tokens(
    app: &TestApp,
    user_id: &str,
    client: &TestClient,
) -> Vec<refresh_token::Model> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::ClientId.eq(client.client_id.as_str()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .all(&app.state.db)
        .await
        .unwrap()
}

/// A refresh grant sent on its own connection, in the background:
/// (status, JSON body).
pub fn spawn_refresh(
    app: &TestApp,
    client: &TestClient,
    token: &str,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let http = app.new_client(None);
    let url = app.url("/oauth2/token");
    let (id, secret, token) = (
        client.client_id.clone(),
        client.client_secret.clone(),
        token.to_owned(),
    );
    tokio::spawn(async move {
        let res = http
            .post(url)
            .basic_auth(id, Some(secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    })
}

/// Refreshes `token`, which must succeed, and returns its successor.
pub async fn refreshed(app: &TestApp, client: &TestClient, token: &str) -> String {
    let res = app.refresh(client, token).await;
    assert_eq!(res.status(), 200);
    s(&res.json().await.unwrap(), "refresh_token")
}

pub fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_owned()
}

/// Serves `router` on `listener` in the background until the returned
/// sender is dropped (a client site, a receiver of the server's calls).
pub fn serve_in_background(
    listener: TcpListener,
    router: axum::Router,
) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    stop
}
