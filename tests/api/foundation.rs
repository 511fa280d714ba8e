//! Foundation: health, the error page for each status, migrations, configuration,
//! start-up failures, request ids, graceful shutdown.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use pattmayne_auth::error::AppError;
use pattmayne_auth::http::errors::error_pages;
use sea_orm::{EntityTrait, PaginatorTrait};
use tower::ServiceExt;

use crate::helpers::{fresh_database_url, spawn_app};

const BIN: &str = env!("CARGO_BIN_EXE_pattmayne-auth");

#[tokio::test]
async fn healthz_answers_200_when_the_database_answers() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.close_by_ref().await.unwrap();
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test]
async fn unknown_route_gets_the_html_error_page_with_404() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("Error 404"));
    assert!(body.contains("Page not found"));
    assert!(body.contains("There is nothing at this address."));
}

#[tokio::test]
async fn unknown_api_route_gets_oauth_json() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/oauth2/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

/// A router whose handlers fail on purpose, behind the real error presenter.
fn failing_router(state: pattmayne_auth::state::AppState) -> Router {
    let until = state.clock.now() + 600;
    Router::new()
        .route(
            "/400",
            get(|| async { AppError::bad_request("error-bad-request") }),
        )
        .route(
            "/403",
            get(|| async { AppError::forbidden("error-admins-only") }),
        )
        .route(
            "/429",
            get(move || async move {
                AppError::TooManyRequests {
                    until,
                    message: "login-suspended".into(),
                }
            }),
        )
        .route(
            "/500",
            get(|| async { AppError::internal("db password is hunter2") }),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_pages,
        ))
        .with_state(state)
}

async fn page(router: &Router, path: &str) -> (u16, axum::http::HeaderMap, String) {
    let req = axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn error_page_shows_status_reason_and_message_for_each_status() {
    let app = spawn_app().await;
    let router = failing_router(app.state.clone());

    let (status, headers, body) = page(&router, "/400").await;
    assert_eq!(status, 400);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Plain words, the status for the curious, and ways back.
    assert!(
        body.contains("Error 400")
            && body.contains("This link or form did not work")
            && body.contains("The request could not be understood."),
        "{body}"
    );
    assert!(body.contains("Go to the start page") && body.contains(">Sign in<"));

    let (status, _, body) = page(&router, "/403").await;
    assert_eq!(status, 403);
    assert!(body.contains("Not allowed") && body.contains("This page is for administrators."));

    let (status, headers, body) = page(&router, "/429").await;
    assert_eq!(status, 429);
    let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((595..=600).contains(&retry), "Retry-After {retry}");
    assert!(body.contains("Please wait a little"));
    // How long, never a clock time in a zone the reader is not in.
    assert!(body.contains("You can try again in 10 minutes."), "{body}");
    assert!(!body.contains("UTC"), "{body}");
}

#[tokio::test]
async fn server_error_page_hides_internals_and_logs_them() {
    let app = spawn_app().await;
    let router = failing_router(app.state.clone());
    let (status, _, body) = page(&router, "/500").await;
    assert_eq!(status, 500);
    assert!(body.contains("Something went wrong on our side"));
    assert!(!body.contains("hunter2"), "internal detail leaked: {body}");
    assert!(crate::helpers::captured_logs().contains("db password is hunter2"));
}

#[tokio::test]
async fn responses_carry_request_id_and_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    let h = res.headers();
    let id = h["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36);
    assert!(
        crate::helpers::captured_logs()
            .lines()
            .any(|l| l.contains(r#"request method=GET path="/""#)
                && l.ends_with(&format!(r#"request_id="{id}""#))),
        "no request line carries {id}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    // The caller's id is kept, and the documents served from memory (outside
    // the pages' layers) carry the same headers.
    let res = app
        .client
        .get(app.url("/oauth2/jwks"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-request-id"], "trace-me-42");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        crate::helpers::captured_logs()
            .lines()
            .any(|l| l.contains(r#"path="/oauth2/jwks" status=200"#)
                && l.ends_with(r#"request_id="trace-me-42""#)),
        "the JWKS line carries the caller's id"
    );
}

#[tokio::test]
async fn static_assets_are_served_and_js_keeps_its_strings_in_constants() {
    let app = spawn_app().await;
    let css = app.get("/static/css/app.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let constants = app
        .get("/static/js/constants.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(constants.contains("copyButton"));
    let script = app.get("/static/js/app.js").await.text().await.unwrap();
    // The script reads its selectors from constants.js instead of spelling them.
    assert!(!script.contains("[data-copy-target]") && script.contains("C.selectors.copyButton"));
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
}

#[tokio::test]
async fn migrations_create_every_table_on_a_fresh_database() {
    use pattmayne_auth::entities::*;
    let app = spawn_app().await;
    let db = &app.state.db;
    assert_eq!(user::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(client::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(
        client_redirect_uri::Entity::find().count(db).await.unwrap(),
        0
    );
    assert_eq!(sso_session::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(
        authorization_code::Entity::find().count(db).await.unwrap(),
        0
    );
    assert_eq!(refresh_token::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(ip_throttle::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(account_throttle::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(signing_key::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(audit_log::Entity::find().count(db).await.unwrap(), 0);
    // Running them again is a no-op.
    pattmayne_auth::db::migrate(db).await.unwrap();
}

fn bin() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    cmd
}

fn temp_dir() -> crate::helpers::TempDir {
    crate::helpers::TempDir::new("pattmayne-bin")
}

#[tokio::test]
async fn migrate_command_migrates_a_fresh_database() {
    let (url, _pg) = fresh_database_url().await;
    let dir = temp_dir();
    let out = bin()
        .args(["migrate"])
        .env("DATABASE_URL", &url)
        .env("AUTH_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
}

#[test]
fn config_command_reads_secrets_from_files_and_redacts_them() {
    let dir = temp_dir();
    let key_file = dir.join("key");
    std::fs::write(&key_file, format!("{}\n", "s".repeat(48))).unwrap();
    let pw_file = dir.join("dbpw");
    std::fs::write(&pw_file, "pg-password-123\n").unwrap();
    let out = bin()
        .arg("config")
        .env("AUTH_SECRET_KEY_FILE", &key_file)
        .env("AUTH_PUBLIC_URL", "https://auth.example.com")
        .env("DATABASE_URL", "postgres://auth@db.internal/auth")
        .env("DATABASE_PASSWORD_FILE", &pw_file)
        .env("AUTH_TRUSTED_PROXIES", "10.0.0.0/8")
        .env("AUTH_LOGIN_MAX_FAILURES", "7")
        .env("AUTH_DATA_DIR", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("AUTH_PUBLIC_URL=https://auth.example.com"));
    assert!(stdout.contains("DATABASE_URL=postgres://auth:redacted@db.internal/auth"));
    assert!(stdout.contains("AUTH_TRUSTED_PROXIES=10.0.0.0/8"));
    assert!(stdout.contains("AUTH_LOGIN_MAX_FAILURES=7"));
    assert!(!stdout.contains("pg-password-123") && !stdout.contains(&"s".repeat(48)));
}

#[test]
fn help_lists_every_setting_with_its_default() {
    let out = bin().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "DATABASE_URL",
        "AUTH_BIND",
        "AUTH_PUBLIC_URL",
        "AUTH_SECRET_KEY",
        "AUTH_SECRET_KEY_FILE",
        "AUTH_ACCESS_TOKEN_TTL_SECS",
        "AUTH_SESSION_TTL_SECS",
        "AUTH_REFRESH_GRACE_SECS",
        "AUTH_LOGIN_MAX_FAILURES",
        "AUTH_LOGIN_FAILURE_WINDOW_SECS",
        "AUTH_IP_SUSPENSION_SECS",
        "AUTH_TRUSTED_PROXIES",
    ] {
        assert!(
            help.contains(&format!("[env: {var}")),
            "--help does not list {var}"
        );
    }
    assert!(help.contains("[default: 127.0.0.1:8080]"));
}

fn assert_one_line_failure(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains(" WARN ")).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn malformed_database_url_exits_with_one_line() {
    let data_dir = temp_dir();
    let out = bin()
        .env("DATABASE_URL", "mysql://nope")
        .env("AUTH_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert_one_line_failure(&out, "DATABASE_URL");
}

#[test]
fn unreachable_database_exits_with_one_line_after_bounded_retries() {
    let data_dir = temp_dir();
    let started = Instant::now();
    let out = bin()
        .env("DATABASE_URL", "postgres://root@127.0.0.1:1/nothing")
        .env("DATABASE_CONNECT_TIMEOUT_SECS", "2")
        .env("AUTH_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert_one_line_failure(&out, "not answering");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn https_public_url_without_secret_key_refuses_to_start() {
    let data_dir = temp_dir();
    let out = bin()
        .env("AUTH_PUBLIC_URL", "https://auth.example.com")
        .env("AUTH_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert_one_line_failure(&out, "AUTH_SECRET_KEY");
}

#[tokio::test]
async fn serve_shuts_down_gracefully_on_sigterm() {
    let dir = temp_dir();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = bin()
        .arg("serve")
        .env("AUTH_BIND", format!("127.0.0.1:{port}"))
        .env("AUTH_DATA_DIR", &dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server did not come up");
    // The development key was generated and kept in the data directory.
    assert!(dir.join("secret_key").exists());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_sweep_deletes_every_expired_row_in_bounded_batches_and_nothing_live() {
    use pattmayne_auth::domain::cleanup::{SWEEP_BATCH, delete_in_batches, sweep};
    use pattmayne_auth::entities::{audit_log, http_session};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
    let app = crate::helpers::spawn_app().await;
    let now = app.state.clock.now();
    let expired = 2 * SWEEP_BATCH + 500;
    let rows = (0..expired + 10).map(|i| http_session::ActiveModel {
        id_hash: Set(format!("sweep-{i}")),
        data: Set("{}".into()),
        // The last ten are live.
        expires_at: Set(if i < expired { now - 1 } else { now + 3600 }),
        sso_session_id: Set(None),
    });
    for chunk in rows.collect::<Vec<_>>().chunks(500) {
        http_session::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    sweep(&app.state.db, now, 86_400).await.unwrap();
    let left = http_session::Entity::find()
        .filter(http_session::Column::IdHash.starts_with("sweep-"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        left, 10,
        "every expired row went, over several batches; the live stayed"
    );
    // Batches report what they deleted in all.
    for i in 0..3 {
        let entry = audit_log::ActiveModel {
            at: Set(now - 100 - i),
            actor_username: Set("test".into()),
            action: Set("test".into()),
            target: Set(String::new()),
            details: Set(String::new()),
            ..Default::default()
        };
        sea_orm::ActiveModelTrait::insert(entry, &app.state.db)
            .await
            .unwrap();
    }
    let deleted = delete_in_batches(&app.state.db, "audit_log", "id", "at", now - 50)
        .await
        .unwrap();
    assert_eq!(deleted, 3);
}
