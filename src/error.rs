//! One domain error, two presenters.
//!
//! [`AppError`] is what handlers and domain code return. Browser routes
//! present it as the HTML error page: `IntoResponse` marks the response with
//! an [`ErrorPage`] extension and the `error_pages` middleware (which has the
//! templates) renders it. API routes convert it into an [`OAuthError`], the
//! RFC 6749 §5.2 JSON body. Server errors are logged with their cause and
//! shown without it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// The client is suspended or throttled until this Unix time.
    #[error("too many requests")]
    TooManyRequests { until: i64, message: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

/// Shorthand for results in handlers and domain code.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(anyhow::anyhow!(message.into()))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a person may see. Never the cause of a server error.
    pub fn public_message(&self) -> Option<String> {
        match self {
            AppError::BadRequest(m) | AppError::Forbidden(m) | AppError::Conflict(m) => {
                Some(m.clone())
            }
            AppError::TooManyRequests { message, .. } => Some(message.clone()),
            AppError::NotFound => Some("There is nothing at this address.".to_owned()),
            AppError::PayloadTooLarge => Some("The request was too large.".to_owned()),
            AppError::Database(_) | AppError::Internal(_) => None,
        }
    }

    fn log_if_server_error(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }
}

/// Marks a response to be rendered as the HTML error page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: Option<String>,
    /// For 429: when the suspension lifts (Unix seconds).
    pub until: Option<i64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_server_error();
        let status = self.status();
        let until = match &self {
            AppError::TooManyRequests { until, .. } => Some(*until),
            _ => None,
        };
        let page = ErrorPage {
            status,
            message: self.public_message(),
            until,
        };
        let mut response = (status, status.canonical_reason().unwrap_or("Error")).into_response();
        if let Some(until) = until {
            response.extensions_mut().insert(RetryAt(until));
        }
        response.extensions_mut().insert(page);
        response
    }
}

/// Marks a response whose client should come back at this Unix time; the
/// `error_pages` middleware, which has the clock, turns it into `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct RetryAt(pub i64);

/// Turns unique-constraint violations into a 4xx; everything else stays a
/// server error. (realworld-axum-sqlx's `on_constraint`, for SeaORM.)
pub trait OnConflict<T> {
    fn on_conflict(self, message: &str) -> AppResult<T>;
}

impl<T> OnConflict<T> for Result<T, DbErr> {
    fn on_conflict(self, message: &str) -> AppResult<T> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(message.to_owned()),
            _ => AppError::Database(err),
        })
    }
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// An RFC 6749 §5.2 error for the API routes (token, revoke, introspect...).
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: Option<String>,
    pub retry_until: Option<i64>,
    /// `WWW-Authenticate` value for 401 responses.
    pub challenge: Option<&'static str>,
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            code,
            description: Some(description.into()),
            retry_until: None,
            challenge: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// Client authentication failed (RFC 6749 §5.2): 401 with a challenge.
    pub fn invalid_client() -> Self {
        OAuthError {
            challenge: Some(r#"Basic realm="pattmayne-auth", charset="UTF-8""#),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        }
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        )
    }

    pub fn unsupported_token_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            description,
        )
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// A missing or bad bearer token (RFC 6750 §3.1).
    pub fn invalid_token(description: impl Into<String>) -> Self {
        OAuthError {
            challenge: Some(r#"Bearer error="invalid_token""#),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
        }
    }

    pub fn too_many_requests(until: i64) -> Self {
        OAuthError {
            retry_until: Some(until),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                "too many failed attempts from this address",
            )
        }
    }

    pub fn server_error() -> Self {
        OAuthError {
            description: None,
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "")
        }
    }
}

impl From<AppError> for OAuthError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::TooManyRequests { until, .. } => OAuthError::too_many_requests(until),
            AppError::PayloadTooLarge => OAuthError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                ..OAuthError::invalid_request("request too large")
            },
            AppError::BadRequest(m) | AppError::Conflict(m) => OAuthError::invalid_request(m),
            AppError::NotFound => OAuthError {
                status: StatusCode::NOT_FOUND,
                ..OAuthError::invalid_request("not found")
            },
            AppError::Forbidden(m) => OAuthError {
                status: StatusCode::FORBIDDEN,
                ..OAuthError::invalid_request(m)
            },
            err @ (AppError::Database(_) | AppError::Internal(_)) => {
                err.log_if_server_error();
                OAuthError::server_error()
            }
        }
    }
}

impl From<DbErr> for OAuthError {
    fn from(err: DbErr) -> Self {
        AppError::from(err).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.code,
            error_description: self.description.as_deref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(until) = self.retry_until {
            response.extensions_mut().insert(RetryAt(until));
        }
        response
    }
}
