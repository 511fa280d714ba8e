//! The pending sign-in between the password (or a step-up asked for by a
//! client site) and the second factor: what the browser's HTTP session
//! holds while `/login/factor` waits for a code or a passkey.

use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::entities::user;
use crate::error::AppResult;
use crate::http::Visitor;
use crate::resources::{routes, session_keys};
use crate::state::AppState;

/// How long a pending sign-in waits for its second step.
pub const PENDING_SECS: i64 = 600;

/// A sign-in whose password was right, waiting for its second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub user_id: String,
    pub next: Option<String>,
    pub since: i64,
}

/// `/login/factor`, keeping `next`.
fn factor_url(next: Option<&str>) -> String {
    match next {
        Some(next) => format!(
            "{}?next={}",
            routes::LOGIN_FACTOR,
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        None => routes::LOGIN_FACTOR.to_owned(),
    }
}

/// After the right password (or for a step-up): remembers the pending sign-in and asks for
/// the second factor.
pub async fn begin(
    state: &AppState,
    visitor: &Visitor,
    user: &user::Model,
    next: Option<&str>,
) -> AppResult<Response> {
    let pending = Pending {
        user_id: user.id.clone(),
        next: next.map(str::to_owned),
        since: state.clock.now(),
    };
    visitor
        .session
        .put(session_keys::PENDING_SIGN_IN, &pending)
        .await?;
    Ok(Redirect::to(&factor_url(next)).into_response())
}
