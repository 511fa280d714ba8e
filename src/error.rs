//! The one domain error.
//!
//! [`AppError`] is what handlers and domain code return; it knows nothing of
//! HTTP. Its two presenters, the HTML error page and the RFC 6749 JSON error,
//! are in `http::errors`.

use sea_orm::{DbErr, SqlErr};

use crate::i18n::Msg;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {}", .0.key)]
    BadRequest(Msg),
    #[error("forbidden: {}", .0.key)]
    Forbidden(Msg),
    #[error("conflict: {}", .0.key)]
    Conflict(Msg),
    /// The client is suspended or throttled until this Unix time.
    #[error("too many requests")]
    TooManyRequests { until: i64, message: Msg },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(err: crate::crypto::CryptoError) -> Self {
        AppError::internal(err.to_string())
    }
}

/// Shorthand for results in handlers and domain code.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(message: impl Into<Msg>) -> Self {
        AppError::BadRequest(message.into())
    }

    pub fn forbidden(message: impl Into<Msg>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(anyhow::anyhow!(message.into()))
    }

    /// Whether the fault is the server's (and so logged, and never shown).
    pub fn is_server_error(&self) -> bool {
        matches!(self, AppError::Database(_) | AppError::Internal(_))
    }

    /// The message a person may see. Never the cause of a server error.
    pub fn public_message(&self) -> Option<Msg> {
        match self {
            AppError::BadRequest(m) | AppError::Forbidden(m) | AppError::Conflict(m) => {
                Some(m.clone())
            }
            AppError::TooManyRequests { message, .. } => Some(message.clone()),
            AppError::NotFound => Some(Msg::new("error-not-found")),
            AppError::Database(_) | AppError::Internal(_) => None,
        }
    }

    /// Logs a server error with its cause (the page shows none).
    pub fn log_if_server_error(&self) {
        if self.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }
}

/// Turns unique-constraint violations into a 4xx; everything else stays a
/// server error. (realworld-axum-sqlx's `on_constraint`, for SeaORM.)
pub trait OnConflict<T> {
    fn on_conflict(self, message: Msg) -> AppResult<T>;
}

impl<T> OnConflict<T> for Result<T, DbErr> {
    fn on_conflict(self, message: Msg) -> AppResult<T> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(message),
            _ => AppError::Database(err),
        })
    }
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
