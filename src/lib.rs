//! Pattmayne Auth: a small single sign-on server for a family of web apps
//! and games ("client sites").
//!
//! Module map:
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

/// The admin pages (client sites, users, suspensions, audit log).
pub mod admin;
/// Command-line interface: `serve`, `migrate`, `user`, `client`, `suspension`.
pub mod cli;
/// Time as Unix seconds (a clock tests can move), and formatting it for people.
pub mod clock;
/// Every setting, its environment variable and default; secrets with `*_FILE`.
pub mod config;
/// Random tokens, hashing, derived subkeys, encryption of stored secrets.
pub mod crypto;
/// Database connection (SQLite or PostgreSQL) and migrations.
pub mod db;
/// Domain logic, free of HTTP: users, clients, sessions, tokens, throttling.
pub mod domain;
/// SeaORM entities, one per table.
pub mod entities;
/// The domain error (its presenters are in `http`).
pub mod error;
/// Shared HTTP plumbing: client address, sessions, identity, forms, CSRF,
/// return targets, the error presenters.
pub mod http;
/// Every word a person reads, in English and German (Fluent).
pub mod i18n;
/// Mail: composing, the queue, SMTP or the outbox directory.
pub mod mail;
/// Prometheus counters.
pub mod metrics;
/// The client-facing OAuth endpoints: authorize, token, revoke, logout, discovery, JWKS.
pub mod oauth;
/// Constants: routes, cookie names, limits, template names.
pub mod resources;
/// The HTTP-session store in our own database.
pub mod session_store;
/// `AppState`, shared by every handler.
pub mod state;
/// Logging setup.
pub mod telemetry;
/// Template loading and rendering.
pub mod templates;
/// Hosted pages: sign-in, registration, sign-out, account, assets, health.
pub mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::resources::{MAX_BODY_BYTES, REQUEST_TIMEOUT_SECS, SHUTDOWN_GRACE_SECS, cookies};
use crate::session_store::DbSessionStore;
use crate::state::AppState;
use secrecy::ExposeSecret;

/// The whole application: every feature's router merged, with the shared layers.
pub fn app(state: AppState) -> Router {
    let sessions =
        SessionManagerLayer::new(DbSessionStore::new(state.db.clone(), state.clock.clone()))
            .with_name(cookies::named(cookies::SESSION, state.config.is_https()))
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(state.config.is_https())
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
                resources::HTTP_SESSION_INACTIVITY_SECS,
            )));

    Router::new()
        .merge(web::router())
        .merge(oauth::router())
        .merge(admin::router())
        .fallback(web::not_found)
        .layer(axum::middleware::from_fn(http::forms::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::csrf::cookie,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::errors::error_pages,
        ))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(REQUEST_TIMEOUT_SECS),
        ))
        // Discovery and the JWKS, answered from memory, need none of the
        // layers above.
        .merge(oauth::documents())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::request_log::every_request,
        ))
        .with_state(state)
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Database(#[from] db::DbStartError),
    #[error("templates: {0}")]
    Templates(#[from] minijinja::Error),
    #[error("{0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Connects to the database, applies migrations and builds the state, on
/// the system clock.
pub async fn prepare(config: Config) -> Result<AppState, ServeError> {
    prepare_with_clock(config, clock::Clock::system()).await
}

/// [`prepare`] with a given clock (tests move theirs by hand).
pub async fn prepare_with_clock(
    config: Config,
    clock: clock::Clock,
) -> Result<AppState, ServeError> {
    let db = db::connect(&config).await?;
    db::migrate(&db).await?;
    AppState::new(config, db, clock)
}

/// Serves `state` on `listener` until `shutdown` resolves, then drains.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let cleanup = tokio::spawn(domain::cleanup::run(
        state.db.clone(),
        state.clock.clone(),
        state.config.audit_retention_days * 86_400,
    ));
    let mail = tokio::spawn(mail::queue::run(state.clone()));
    let logouts = tokio::spawn(domain::backchannel::run(state.clone()));
    let url = state.config.database_url.expose_secret().to_owned();
    let wal = tokio::spawn(async move { db::keep_sqlite_wal_short(&url).await });
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    // Small responses go out at once rather than waiting on Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    cleanup.abort();
    mail.abort();
    logouts.abort();
    wal.abort();
    result.map_err(ServeError::from)
}

/// `pattmayne-auth serve`: prepare, bind, serve until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let addr = config.bind;
    let state = prepare(config).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    tracing::info!(%addr, issuer = %state.config.issuer, "listening");
    serve_on(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then get a grace period.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(grace_secs = SHUTDOWN_GRACE_SECS, "shutting down");
    // Bound the drain: a stuck client must not hold shutdown forever.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(SHUTDOWN_GRACE_SECS)).await;
        tracing::warn!("grace period over, exiting");
        std::process::exit(0);
    });
}
