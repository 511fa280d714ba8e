//! `GET /verify-email?token=…`: the link mailed to confirm an address. For
//! a registration it starts the account, signs the person in and goes on
//! with the authorization request they registered from (a player who
//! registered from a game lands back in the game); for an address change
//! it makes the new address the account's.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::accounts::{self, AddressChange, Confirmed};
use crate::domain::sso;
use crate::error::{AppError, AppResult};
use crate::http::{ClientIp, Visitor, safe_next};
use crate::i18n::Msg;
use crate::resources::routes;
use crate::state::AppState;
use crate::web::login::complete_sign_in;
use crate::web::{Way, message_page};

#[derive(Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    token: String,
}

/// `GET /verify-email`.
pub async fn verify(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    headers: HeaderMap,
    Query(q): Query<VerifyQuery>,
) -> AppResult<Response> {
    match accounts::confirm_registration(&state, &q.token).await? {
        Confirmed::Started { user, return_to } => {
            let next = return_to.as_deref().and_then(safe_next);
            let ip = client.key();
            // Someone else signed in in this browser gives way.
            if let Some(previous) = &visitor.signed_in {
                let ending = sso::Ending {
                    reason: "another account signed in in this browser",
                    ip: Some(&ip),
                };
                sso::end(&state.db, &previous.sso.id, ending, state.clock.now()).await?;
            }
            return complete_sign_in(
                &state,
                &visitor.session,
                &user,
                &ip,
                &headers,
                sso::Proof::Password,
                next.as_deref(),
            )
            .await;
        }
        Confirmed::Taken => return Err(AppError::Conflict(Msg::new("verify-taken"))),
        Confirmed::Invalid => {}
    }
    match accounts::confirm_email_change(&state, &q.token, visitor.lang).await? {
        AddressChange::Changed { person } => {
            let mine = visitor
                .signed_in
                .as_ref()
                .is_some_and(|s| s.user.id == person.id);
            let done = Msg::new("verify-address-changed").with("email", person.email.clone());
            if mine {
                visitor
                    .session
                    .put(crate::resources::session_keys::NOTICE, &visitor.tr(&done))
                    .await?;
                return Ok(Redirect::to(routes::ACCOUNT).into_response());
            }
            let ways = [Way::new("verify-go-to-account", routes::ACCOUNT)];
            message_page(
                &state,
                &visitor,
                StatusCode::OK,
                "verify-address-changed-title",
                &[done],
                &ways,
                None,
            )
            .await
        }
        AddressChange::Taken => Err(AppError::Conflict(Msg::new("email-change-taken"))),
        AddressChange::Invalid => Err(AppError::bad_request("verify-link-invalid")),
    }
}
