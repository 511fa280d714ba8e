//! A typed wrapper over the tower-sessions HTTP session, with named keys:
//! the CSRF token and the id of the SSO session this browser is signed in with.
//!
//! An anonymous visitor's HTTP session stays empty, and so is never stored:
//! their forms' CSRF tokens come from the CSRF cookie (`http::csrf`) instead.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use time::OffsetDateTime;
use tower_sessions::{Expiry, Session};

use crate::crypto::{Keys, constant_time_eq, hash_token, random_token};
use crate::entities::sso_session;
use crate::error::{AppError, AppResult};
use crate::http::csrf::CsrfCookie;
use crate::resources::session_keys;
use crate::state::AppState;

/// The browser's HTTP session, and the CSRF cookie of its request.
#[derive(Clone)]
pub struct WebSession {
    session: Session,
    csrf: CsrfCookie,
    keys: Arc<Keys>,
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::internal("session layer missing"))?;
        let csrf = parts
            .extensions
            .get::<CsrfCookie>()
            .cloned()
            .ok_or_else(|| AppError::internal("CSRF cookie layer missing"))?;
        Ok(WebSession {
            session,
            csrf,
            keys: state.keys.clone(),
        })
    }
}

fn store_err(err: tower_sessions::session::Error) -> AppError {
    AppError::internal(format!("session store: {err}"))
}

impl WebSession {
    /// The CSRF token for this browser's forms: the session's, once it has
    /// one (from sign-in on), else the one bound to the CSRF cookie, which
    /// writes nothing.
    pub async fn csrf_token(&self) -> AppResult<String> {
        match self
            .session
            .get::<String>(session_keys::CSRF_TOKEN)
            .await
            .map_err(store_err)?
        {
            Some(token) => Ok(token),
            None => Ok(self.csrf.token(&self.keys)),
        }
    }

    /// Refuses a state-changing form whose token is neither this session's
    /// nor bound to this request's CSRF cookie.
    pub async fn verify_csrf(&self, submitted: &str) -> AppResult<()> {
        let expected = self
            .session
            .get::<String>(session_keys::CSRF_TOKEN)
            .await
            .map_err(store_err)?;
        let by_session = expected.is_some_and(|expected| {
            !submitted.is_empty() && constant_time_eq(expected.as_bytes(), submitted.as_bytes())
        });
        if by_session || self.csrf.verify(&self.keys, submitted) {
            return Ok(());
        }
        Err(AppError::forbidden("error-form-expired"))
    }

    /// The stored id of this browser's HTTP session (the SHA-256 the store
    /// keys it by), without reading the session; `None` without a cookie.
    pub fn stored_id(&self) -> Option<String> {
        self.session.id().map(|id| hash_token(&id.to_string()))
    }

    /// Binds the browser to a new SSO session: a new session id (no fixation),
    /// a new CSRF token, and an HTTP session that lasts exactly as long as
    /// the SSO session.
    pub async fn sign_in(&self, sso: &sso_session::Model) -> AppResult<()> {
        self.session.cycle_id().await.map_err(store_err)?;
        self.session
            .insert(session_keys::SSO_SESSION_ID, &sso.id)
            .await
            .map_err(store_err)?;
        self.session
            .insert(session_keys::CSRF_TOKEN, random_token()?)
            .await
            .map_err(store_err)?;
        let expiry = OffsetDateTime::from_unix_timestamp(sso.expires_at)
            .map_err(|e| AppError::internal(format!("session expiry: {e}")))?;
        self.session.set_expiry(Some(Expiry::AtDateTime(expiry)));
        Ok(())
    }

    /// A new id for the same session (after the person proved who they are
    /// again), so an id seen before that moment is worth nothing.
    pub async fn renew_id(&self) -> AppResult<()> {
        self.session.cycle_id().await.map_err(store_err)
    }

    /// Forgets everything in this browser's session and deletes it from the store.
    pub async fn sign_out(&self) -> AppResult<()> {
        self.session.flush().await.map_err(store_err)
    }

    /// Stores a value for one later read (e.g. a secret shown once).
    pub async fn put<T: serde::Serialize>(&self, key: &str, value: &T) -> AppResult<()> {
        self.session.insert(key, value).await.map_err(store_err)
    }

    /// Reads a value stored with [`WebSession::put`], leaving it there.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> AppResult<Option<T>> {
        self.session.get(key).await.map_err(store_err)
    }

    /// Forgets a value stored with [`WebSession::put`].
    pub async fn remove(&self, key: &str) -> AppResult<()> {
        self.session
            .remove::<serde_json::Value>(key)
            .await
            .map(|_| ())
            .map_err(store_err)
    }

    /// Reads and removes a value stored with [`WebSession::put`].
    pub async fn take<T: serde::de::DeserializeOwned>(&self, key: &str) -> AppResult<Option<T>> {
        self.session.remove(key).await.map_err(store_err)
    }
}
