//! A typed wrapper over the tower-sessions HTTP session, with named keys:
//! the CSRF token and the id of the SSO session this browser is signed in with.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use time::OffsetDateTime;
use tower_sessions::{Expiry, Session};

use crate::crypto::{constant_time_eq, random_token};
use crate::entities::sso_session;
use crate::error::{AppError, AppResult};
use crate::resources::session_keys;

/// The browser's HTTP session.
#[derive(Clone)]
pub struct WebSession(Session);

impl<S: Send + Sync> FromRequestParts<S> for WebSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Session::from_request_parts(parts, state)
            .await
            .map(WebSession)
            .map_err(|_| AppError::internal("session layer missing"))
    }
}

fn store_err(err: tower_sessions::session::Error) -> AppError {
    AppError::internal(format!("session store: {err}"))
}

impl WebSession {
    /// The CSRF token for this browser's forms, created on first use.
    pub async fn csrf_token(&self) -> AppResult<String> {
        if let Some(token) = self
            .0
            .get::<String>(session_keys::CSRF_TOKEN)
            .await
            .map_err(store_err)?
        {
            return Ok(token);
        }
        let token = random_token();
        self.0
            .insert(session_keys::CSRF_TOKEN, &token)
            .await
            .map_err(store_err)?;
        Ok(token)
    }

    /// Refuses a state-changing form whose token is missing or not this session's.
    pub async fn verify_csrf(&self, submitted: &str) -> AppResult<()> {
        let expected = self
            .0
            .get::<String>(session_keys::CSRF_TOKEN)
            .await
            .map_err(store_err)?;
        match expected {
            Some(expected)
                if !submitted.is_empty()
                    && constant_time_eq(expected.as_bytes(), submitted.as_bytes()) =>
            {
                Ok(())
            }
            _ => Err(AppError::forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            )),
        }
    }

    /// The SSO session this browser claims to be signed in with (not yet checked).
    pub async fn sso_session_id(&self) -> AppResult<Option<String>> {
        self.0
            .get::<String>(session_keys::SSO_SESSION_ID)
            .await
            .map_err(store_err)
    }

    /// Binds the browser to a new SSO session: a new session id (no fixation),
    /// a new CSRF token, and an HTTP session that lasts exactly as long as
    /// the SSO session.
    pub async fn sign_in(&self, sso: &sso_session::Model) -> AppResult<()> {
        self.0.cycle_id().await.map_err(store_err)?;
        self.0
            .insert(session_keys::SSO_SESSION_ID, &sso.id)
            .await
            .map_err(store_err)?;
        self.0
            .insert(session_keys::CSRF_TOKEN, random_token())
            .await
            .map_err(store_err)?;
        let expiry = OffsetDateTime::from_unix_timestamp(sso.expires_at)
            .map_err(|e| AppError::internal(format!("session expiry: {e}")))?;
        self.0.set_expiry(Some(Expiry::AtDateTime(expiry)));
        Ok(())
    }

    /// Forgets everything in this browser's session and deletes it from the store.
    pub async fn sign_out(&self) -> AppResult<()> {
        self.0.flush().await.map_err(store_err)
    }

    /// Stores a value for one later read (e.g. a secret shown once).
    pub async fn put<T: serde::Serialize>(&self, key: &str, value: &T) -> AppResult<()> {
        self.0.insert(key, value).await.map_err(store_err)
    }

    /// Reads and removes a value stored with [`WebSession::put`].
    pub async fn take<T: serde::de::DeserializeOwned>(&self, key: &str) -> AppResult<Option<T>> {
        self.0.remove(key).await.map_err(store_err)
    }
}
