//! Load test against a release build over real HTTP.
//!
//! ```sh
//! cargo build --release --bin pattmayne-auth --example loadtest
//! target/release/examples/loadtest                      # every scenario, SQLite and PostgreSQL
//! target/release/examples/loadtest refresh postgres 64  # one scenario, one database, one concurrency
//! ```
//!
//! Starts `target/release/pattmayne-auth` as a separate process on a fresh
//! database (a temporary SQLite file, or a new PostgreSQL database on
//! `BENCH_PG_URL`, default `postgres://root@127.0.0.1:5432/postgres?sslmode=disable`, dropped
//! afterwards), prepares accounts and a client site, then drives it and
//! prints throughput and latency percentiles (each run goes
//! `BENCH_WARMUP_SECS`, default 2, before it is measured for `BENCH_SECS`,
//! default 10). Scenarios:
//!
//! - `login`: sign-ins per second at OWASP's argon2 floor, and the p99 of
//!   `/healthz` during the flood;
//! - `refresh`: refresh grants with rotation, each worker its own person's token chain;
//! - `code`: authorization-code round trips (authorize redirect + code exchange),
//!   each worker its own person signed in in its own browser;
//! - `session`: the same round trips, all workers in *one* signed-in browser
//!   session at one client site (tabs coming back at once): every exchange
//!   races the others for the session's one token family, and any answer
//!   but 200 counts as an error.
//!
//! `BENCH_PEOPLE=1000000` first writes a million more people, each with a
//! live sign-in session and token family, to measure the cost as the work
//! grows (see `Server::seed`).
//!
//! The load generator shares the machine with the server, so the figures are
//! lower bounds for the server alone.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tokio::sync::Mutex;

const SECRET_KEY: &str = "loadtest-secret-key-0123456789abcdef0123456789";
const PASSWORD: &str = "load test password 1";
const REDIRECT_URI: &str = "https://game.example/callback";

struct Server {
    child: Child,
    base: String,
    env: Vec<(String, String)>,
    pg_admin: Option<(String, String)>,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> String {
    std::env::var("PATTMAYNE_BIN").unwrap_or_else(|_| "target/release/pattmayne-auth".into())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18_500)
}

async fn start(db: &str, argon2_owasp: bool) -> Server {
    let port = free_port();
    let mut sqlite_file = None;
    let (url, pg_admin) = if db == "postgres" {
        let admin = std::env::var("BENCH_PG_URL")
            // Plain TCP, as to a database on the same host or a private
            // network (the PostgreSQL of docker-compose.yml offers no TLS);
            // over loopback, TLS cost a quarter of the throughput.
            .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres?sslmode=disable".into());
        let name = format!("pattmayne_bench_{}", std::process::id());
        let conn = Database::connect(&admin)
            .await
            .expect("connect to BENCH_PG_URL");
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create bench database");
        let mut url = url::Url::parse(&admin).expect("BENCH_PG_URL");
        url.set_path(&name);
        // e.g. BENCH_PG_OPTIONS="-c synchronous_commit=off" to see what durability costs.
        if let Ok(options) = std::env::var("BENCH_PG_OPTIONS") {
            url.query_pairs_mut().append_pair("options", &options);
        }
        (url.to_string(), Some((admin, name)))
    } else {
        let file =
            std::env::temp_dir().join(format!("pattmayne-bench-{}-{port}.db", std::process::id()));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        sqlite_file = Some(file);
        (url, None)
    };
    let mut env: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), url),
        ("AUTH_BIND".into(), format!("127.0.0.1:{port}")),
        ("AUTH_SECRET_KEY".into(), SECRET_KEY.into()),
        (
            "AUTH_DATA_DIR".into(),
            std::env::temp_dir().display().to_string(),
        ),
        // One address, one account, sixteen sign-ins at a time: no throttle
        // may take them for guesses.
        ("AUTH_LOGIN_MAX_FAILURES".into(), "100000".into()),
        ("AUTH_ACCOUNT_MAX_FAILURES".into(), "100000".into()),
        ("AUTH_REGISTRATIONS_PER_HOUR".into(), "100000".into()),
        (
            "DATABASE_MAX_CONNECTIONS".into(),
            std::env::var("BENCH_DB_MAX_CONNECTIONS").unwrap_or_else(|_| "32".into()),
        ),
        ("RUST_LOG".into(), "warn".into()),
    ];
    if !argon2_owasp {
        env.push(("AUTH_ARGON2_MEMORY_KIB".into(), "1024".into()));
        env.push(("AUTH_ARGON2_ITERATIONS".into(), "1".into()));
    }
    let child = Command::new(binary())
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the release binary (cargo build --release first)");
    // Owned by `Server` at once, so any early exit kills and reaps it.
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        env,
        pg_admin,
        sqlite_file,
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let url = format!("{}/healthz", server.base);
        if http.get(url).send().await.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not come up");
}

impl Server {
    async fn drop_database(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((admin, name)) = self.pg_admin.take()
            && let Ok(conn) = Database::connect(&admin).await
        {
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
        }
        if let Some(path) = self.sqlite_file.take() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }

    /// After the set-up, PostgreSQL's statistics as autovacuum would have
    /// them by then: the tables of a fresh database were never analyzed,
    /// and on such tables the planner's guess (from column widths alone)
    /// can flip between an index and a sequential scan for no reason a
    /// production database would share.
    async fn analyze(&self) {
        self.seed().await;
        if self.pg_admin.is_none() {
            return;
        }
        if let Ok(conn) = Database::connect(&self.database_url()).await {
            conn.execute_unprepared("ANALYZE").await.ok();
            conn.close().await.ok();
        }
    }

    /// `BENCH_SWEEP=1`: `pattmayne-auth sweep` runs as the measured part
    /// of the load starts (after `warmup`), deleting the BENCH_EXPIRED
    /// people while the load goes on; says how long it took.
    fn sweep_during_load(&self, warmup: Duration) -> Option<std::thread::JoinHandle<()>> {
        if std::env::var("BENCH_SWEEP").as_deref() != Ok("1") {
            return None;
        }
        let env = self.env.clone();
        Some(std::thread::spawn(move || {
            std::thread::sleep(warmup);
            let started = Instant::now();
            let out = Command::new(binary())
                .arg("sweep")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .output();
            let ok = out.as_ref().is_ok_and(|o| o.status.success());
            println!(
                "  (a sweep ran during this run: {:.1} s, {})",
                started.elapsed().as_secs_f64(),
                if ok { "ok" } else { "failed" }
            );
        }))
    }

    fn database_url(&self) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == "DATABASE_URL")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// `BENCH_PEOPLE=N`: before the load, N more people, each signed in
    /// once (a live sign-in session) with a live refresh token family at a
    /// client site, written straight into the tables in batches of 100,000
    /// (a million in about a minute). Nobody signs in as them; they are
    /// there so that every index the load walks is a million entries deep.
    /// Prints the database size per person.
    async fn seed(&self) {
        let count = |name: &str| -> i64 {
            std::env::var(name)
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let (live, expired) = (count("BENCH_PEOPLE"), count("BENCH_EXPIRED"));
        let people = live + expired;
        if people <= 0 {
            return;
        }
        let out = self.cli(&[
            "client",
            "create",
            "--name",
            "Seeded",
            "--redirect-uri",
            REDIRECT_URI,
            "--json",
        ]);
        let client: Value = serde_json::from_str(&out).expect("client json");
        let client_id = client["client_id"].as_str().unwrap_or_default().to_owned();
        let conn = Database::connect(&self.database_url())
            .await
            .expect("seed: connect");
        let postgres = self.pg_admin.is_some();
        let size_before = self.database_bytes(&conn).await;
        let started = Instant::now();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let batch = 100_000;
        let mut lo = 1;
        while lo <= people {
            let hi = (lo + batch - 1)
                .min(people)
                .min(if lo <= live { live } else { people });
            // The first `live` people are signed in for two weeks; the rest
            // (BENCH_EXPIRED) expired two days ago, for a sweep to delete.
            let expires = if lo <= live {
                now + 14 * 86_400
            } else {
                now - 2 * 86_400
            };
            let numbers = if postgres {
                format!("SELECT g FROM generate_series({lo}, {hi}) g")
            } else {
                format!(
                    "WITH RECURSIVE n(g) AS (SELECT {lo} UNION ALL SELECT g + 1 FROM n WHERE g < {hi}) \
                     SELECT g FROM n"
                )
            };
            let cat = |a: &str| format!("'{a}' || CAST(g AS TEXT)");
            let statements = [
                format!(
                    "INSERT INTO users (id, username, email, password_hash, is_admin, disabled, \
                       created_at, updated_at, email_verified) \
                     SELECT {}, {}, {} || '@seed.example', '$argon2id$v=19$m=19456,t=2,p=1$c2VlZA$c2VlZA', \
                       FALSE, FALSE, {now}, {now}, TRUE FROM ({numbers}) s",
                    cat("seed-user-"),
                    cat("seed"),
                    cat("seed"),
                ),
                format!(
                    "INSERT INTO sso_sessions (id, user_id, created_at, expires_at, ended_at, ip, \
                       user_agent, authenticated_at, amr) \
                     SELECT {}, {}, {now}, {expires}, NULL, '10.0.0.1', NULL, {now}, 'pwd' \
                     FROM ({numbers}) s",
                    cat("seed-session-"),
                    cat("seed-user-"),
                ),
                format!(
                    "INSERT INTO refresh_tokens (family_id, token_hash, user_id, client_id, \
                       sso_session_id, scope, created_at, expires_at, generation) \
                     SELECT {}, {}, {}, '{client_id}', {}, 'openid profile', {now}, {expires}, 0 \
                     FROM ({numbers}) s",
                    cat("seed-family-"),
                    cat("seed-hash-"),
                    cat("seed-user-"),
                    cat("seed-session-"),
                ),
            ];
            for sql in statements {
                conn.execute_unprepared(&sql).await.expect("seed");
            }
            lo = hi + 1;
        }
        let size_after = self.database_bytes(&conn).await;
        conn.close().await.ok();
        println!(
            "seeded {live} people and {expired} expired (user, sign-in session, token family) in {:.0} s; \
             the database grew {:.1} MiB, {} bytes a person",
            started.elapsed().as_secs_f64(),
            (size_after - size_before) as f64 / 1_048_576.0,
            (size_after - size_before) / people,
        );
    }

    /// The database's size on disk (PostgreSQL's own count; SQLite's file
    /// after a checkpoint).
    async fn database_bytes(&self, conn: &sea_orm::DatabaseConnection) -> i64 {
        if self.pg_admin.is_some() {
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT pg_database_size(current_database()) AS size",
                ))
                .await
                .ok()
                .flatten();
            return row
                .and_then(|r| r.try_get::<i64>("", "size").ok())
                .unwrap_or(0);
        }
        conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .ok();
        self.sqlite_file
            .as_ref()
            .and_then(|f| std::fs::metadata(f).ok())
            .map(|m| m.len() as i64)
            .unwrap_or(0)
    }

    fn cli_with_stdin(&self, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let mut child = Command::new(binary())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cli");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("cli stdin");
        }
        let out = child.wait_with_output().expect("cli");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(binary())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("cli");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The client site under load; its access tokens are signed with
    /// `BENCH_TOKEN_ALG` (HS256 by default; RS256 and EdDSA use the server's keys).
    fn create_client(&self) -> (String, String) {
        let alg = std::env::var("BENCH_TOKEN_ALG").unwrap_or_else(|_| "HS256".into());
        let out = self.cli(&[
            "client",
            "create",
            "--name",
            "Bench",
            "--redirect-uri",
            REDIRECT_URI,
            "--token-alg",
            &alg,
            "--json",
        ]);
        let v: Value = serde_json::from_str(&out).expect("client json");
        (
            v["client_id"].as_str().unwrap_or_default().into(),
            v["client_secret"].as_str().unwrap_or_default().into(),
        )
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn csrf(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    html.find(marker)
        .map(|i| i + marker.len())
        .and_then(|start| {
            html[start..]
                .find('"')
                .map(|end| html[start..start + end].to_owned())
        })
        .unwrap_or_default()
}

/// An account made by the command line (registration waits for a mailed
/// link, which is not what is measured here), and `b` signed in to it.
async fn register(server: &Server, b: &reqwest::Client, username: &str) {
    let email = format!("{username}@example.com");
    server.cli_with_stdin(
        &[
            "user",
            "create",
            "--username",
            username,
            "--email",
            &email,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let base = &server.base;
    let page = b
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .unwrap_or_default();
    let token = csrf(&page);
    let res = b
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 303, "sign-in failed");
}

fn pkce() -> (String, String) {
    let verifier = pattmayne_auth::crypto::random_token_of(48).expect("random");
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
    );
    (verifier, challenge)
}

async fn code_round_trip(
    base: &str,
    b: &reqwest::Client,
    api: &reqwest::Client,
    client: &(String, String),
) -> Value {
    try_code_round_trip(base, b, api, client)
        .await
        .unwrap_or_else(|e| panic!("code round trip failed: {e}"))
}

/// An authorize redirect and its code exchange; `Err` says what went wrong.
async fn try_code_round_trip(
    base: &str,
    b: &reqwest::Client,
    api: &reqwest::Client,
    client: &(String, String),
) -> Result<Value, String> {
    let (verifier, challenge) = pkce();
    let url = format!(
        "{base}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state=s&code_challenge={challenge}&code_challenge_method=S256",
        client.0,
        url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
    );
    let res = b.get(url).send().await.map_err(|e| e.to_string())?;
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let code = url::Url::parse(&location)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| format!("authorize answered {} without a code", res.status()))?;
    let res = api
        .post(format!("{base}/oauth2/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("exchange answered {status}: {body}"));
    }
    Ok(body)
}

struct Stats {
    ops: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

fn stats(mut latencies: Vec<Duration>, secs: f64, errors: usize) -> Stats {
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Stats {
        ops: latencies.len(),
        secs,
        p50: at(0.50),
        p99: at(0.99),
        errors,
    }
}

fn print_row(scenario: &str, db: &str, concurrency: usize, s: &Stats) {
    println!(
        "{scenario:<8} {db:<9} c={concurrency:<3} {:>8.0} ops/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} ops in {:.1}s, {} errors)",
        s.ops as f64 / s.secs,
        s.p50.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3,
        s.ops,
        s.secs,
        s.errors
    );
}

/// How long the measured part of a run lasts (`BENCH_SECS`, default 10).
fn run_time() -> Duration {
    Duration::from_secs(
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    )
}

/// One keep-alive HTTP/1.1 connection speaking just enough HTTP for the
/// refresh loop (a request written in one go, a `Content-Length` response),
/// so that the load generator's own work stays small beside the server's on
/// the two shared cores: a general-purpose client (reqwest) cost it three
/// times as much CPU per request.
struct RawConn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
    host: String,
}

impl RawConn {
    async fn open(addr: &str) -> RawConn {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConn {
            stream,
            buf: Vec::with_capacity(4096),
            host: addr.to_owned(),
        }
    }

    /// POSTs a form; the status and body, or `None` if the exchange broke.
    async fn post(&mut self, path: &str, authorization: &str, body: &str) -> Option<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {authorization}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await.ok()?;
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).ok()?.to_owned();
        let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
        let length: usize = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })?;
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8(self.buf[head_end..head_end + length].to_vec()).ok()?;
        Some((status, body))
    }
}

/// The string value of `key` in a flat JSON object (tokens need no escapes).
fn json_string(body: &str, key: &str) -> Option<String> {
    let start = body.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let len = body[start..].find('"')?;
    Some(body[start..start + len].to_owned())
}

/// How long a run goes before it is measured (`BENCH_WARMUP_SECS`, default
/// 2): the server prepares its statements and fills its pool, PostgreSQL
/// warms its caches; the first requests of a run are not its steady state.
fn warm_up() -> Duration {
    Duration::from_secs(
        std::env::var("BENCH_WARMUP_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2),
    )
}

async fn bench_refresh(db: &str, concurrency: usize) {
    let mut server = start(db, false).await;
    let base = server.base.clone();
    let client = server.create_client();
    // One person per worker: one live refresh token per person per client site.
    let mut tokens = Vec::new();
    for i in 0..concurrency {
        let b = browser();
        register(&server, &b, &format!("bench{i}")).await;
        let t = code_round_trip(&base, &b, &reqwest::Client::new(), &client).await;
        tokens.push(t["refresh_token"].as_str().unwrap_or_default().to_owned());
    }
    server.analyze().await;
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", client.0, client.1))
    );
    let addr = base.trim_start_matches("http://").to_owned();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (warmup, duration) = (warm_up(), run_time());
    let sweep = server.sweep_during_load(warmup);
    let started = Instant::now();
    let workers: Vec<_> = tokens
        .into_iter()
        .map(|mut token| {
            let (addr, authorization, latencies, errors) = (
                addr.clone(),
                authorization.clone(),
                latencies.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                let mut conn = RawConn::open(&addr).await;
                let mut mine = Vec::new();
                while started.elapsed() < warmup + duration {
                    let t = Instant::now();
                    let body = format!("grant_type=refresh_token&refresh_token={token}");
                    match conn.post("/oauth2/token", &authorization, &body).await {
                        Some((200, body)) => match json_string(&body, "refresh_token") {
                            Some(next) => {
                                token = next;
                                if t >= started + warmup {
                                    mine.push(t.elapsed());
                                }
                            }
                            None => {
                                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        },
                        _ => {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            conn = RawConn::open(&addr).await;
                        }
                    }
                }
                latencies.lock().await.extend(mine);
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let secs = (started.elapsed() - warmup).as_secs_f64();
    let latencies = std::mem::take(&mut *latencies.lock().await);
    print_row(
        "refresh",
        db,
        concurrency,
        &stats(
            latencies,
            secs,
            errors.load(std::sync::atomic::Ordering::Relaxed),
        ),
    );
    if let Some(sweep) = sweep {
        let _ = sweep.join();
    }
    server.drop_database().await;
}

async fn bench_code(db: &str, concurrency: usize) {
    bench_code_flows(db, concurrency, false).await;
}

/// Code round trips: each worker in its own browser (`one_session: false`),
/// or all of them in one signed-in browser session (`true`).
async fn bench_code_flows(db: &str, concurrency: usize, one_session: bool) {
    let mut server = start(db, false).await;
    let base = server.base.clone();
    let client = server.create_client();
    let mut browsers = Vec::new();
    if one_session {
        let b = browser();
        register(&server, &b, "bench").await;
        // Clones share the cookie jar: one browser, many tabs.
        browsers.extend(std::iter::repeat_n(b, concurrency));
    } else {
        for i in 0..concurrency {
            let b = browser();
            register(&server, &b, &format!("bench{i}")).await;
            browsers.push(b);
        }
    }
    server.analyze().await;
    let api = reqwest::Client::new();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (warmup, duration) = (warm_up(), run_time());
    let sweep = server.sweep_during_load(warmup);
    let started = Instant::now();
    let workers: Vec<_> = browsers
        .into_iter()
        .map(|b| {
            let (api, base, client, latencies, errors) = (
                api.clone(),
                base.clone(),
                client.clone(),
                latencies.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while started.elapsed() < warmup + duration {
                    let t = Instant::now();
                    let result = try_code_round_trip(&base, &b, &api, &client).await;
                    if t >= started + warmup {
                        match result {
                            Ok(_) => mine.push(t.elapsed()),
                            Err(err) => {
                                if errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3 {
                                    eprintln!("  error: {err}");
                                }
                            }
                        }
                    }
                }
                latencies.lock().await.extend(mine);
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let secs = (started.elapsed() - warmup).as_secs_f64();
    let latencies = std::mem::take(&mut *latencies.lock().await);
    let errors = errors.load(std::sync::atomic::Ordering::Relaxed);
    let name = if one_session { "session" } else { "code" };
    print_row(name, db, concurrency, &stats(latencies, secs, errors));
    if let Some(sweep) = sweep {
        let _ = sweep.join();
    }
    server.drop_database().await;
}

async fn bench_login(db: &str, concurrency: usize) {
    let mut server = start(db, true).await;
    let base = server.base.clone();
    register(&server, &browser(), "bencher").await;
    server.analyze().await;
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let duration = run_time();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (base, latencies) = (base.clone(), latencies.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while started.elapsed() < duration {
                    let b = browser();
                    let page = b
                        .get(format!("{base}/login"))
                        .send()
                        .await
                        .expect("login page")
                        .text()
                        .await
                        .unwrap_or_default();
                    let token = csrf(&page);
                    let t = Instant::now();
                    let res = b
                        .post(format!("{base}/login"))
                        .form(&[
                            ("username", "bencher"),
                            ("password", PASSWORD),
                            ("csrf_token", token.as_str()),
                        ])
                        .send()
                        .await
                        .expect("login");
                    assert_eq!(res.status(), 303, "sign-in failed");
                    mine.push(t.elapsed());
                }
                latencies.lock().await.extend(mine);
            })
        })
        .collect();
    // Probe /healthz every 10 ms during the flood.
    let probe = {
        let base = base.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut seen = Vec::new();
            while started.elapsed() < duration {
                let t = Instant::now();
                if http
                    .get(format!("{base}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
                {
                    seen.push(t.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            seen
        })
    };
    for w in workers {
        let _ = w.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let health = probe.await.unwrap_or_default();
    let latencies = std::mem::take(&mut *latencies.lock().await);
    print_row("login", db, concurrency, &stats(latencies, secs, 0));
    let h = stats(health, secs, 0);
    println!(
        "         /healthz during the flood: p50 {:.2} ms, p99 {:.2} ms over {} probes",
        h.p50.as_secs_f64() * 1e3,
        h.p99.as_secs_f64() * 1e3,
        h.ops
    );
    // The argon2 working memory is kept while sign-ins go on and freed
    // once they pause (src/domain/passwords.rs): peak, and 3 s after.
    let pid = server.child.id();
    let peak = kib_of(pid, "VmHWM");
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "         server memory: peak {} MiB, 3 s after the flood {} MiB",
        peak / 1024,
        kib_of(pid, "VmRSS") / 1024
    );
    server.drop_database().await;
}

/// A `/proc/<pid>/status` figure in KiB (Linux; 0 elsewhere).
fn kib_of(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with(field))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenarios: Vec<&str> = match args.first().map(String::as_str) {
        Some(s) => vec![s],
        None => vec!["login", "refresh", "code", "session"],
    };
    let dbs: Vec<&str> = match args.get(1).map(String::as_str) {
        Some(d) => vec![d],
        None => vec!["sqlite", "postgres"],
    };
    let levels: Vec<usize> = match args.get(2) {
        Some(c) => c.split(',').filter_map(|n| n.parse().ok()).collect(),
        None => vec![1, 16, 64],
    };
    println!(
        "pattmayne-auth load test: {} cores, {}s per run",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        run_time().as_secs()
    );
    for scenario in &scenarios {
        for db in &dbs {
            match *scenario {
                "login" => bench_login(db, 16).await,
                "refresh" => {
                    for &c in &levels {
                        bench_refresh(db, c).await;
                    }
                }
                "code" => {
                    for &c in &levels {
                        bench_code(db, c).await;
                    }
                }
                // The issue's scenario: 16 exchanges at once in one session.
                "session" => {
                    let c = match args.get(2) {
                        Some(_) => levels.first().copied().unwrap_or(16),
                        None => 16,
                    };
                    bench_code_flows(db, c, true).await
                }
                other => {
                    eprintln!("unknown scenario {other}: use login, refresh, code or session")
                }
            }
        }
    }
}
