//! `POST /oauth2/revoke` (RFC 7009) and `POST /oauth2/logout`, the
//! back-channel logout a client site calls when a person signs out there.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::domain::{sso, tokens};
use crate::http::OAuthError;
use crate::oauth::answer;
use crate::oauth::client_auth::AuthenticatedClient;
use crate::state::AppState;

/// `POST /oauth2/revoke`: revokes a refresh token and its whole family.
/// Access tokens are self-contained JWTs and simply expire; revoking one is
/// accepted and does nothing (RFC 7009 §2.2 lets servers do that).
pub async fn revoke(State(state): State<AppState>, caller: AuthenticatedClient) -> Response {
    answer(revocation(&state, &caller).await)
}

async fn revocation(state: &AppState, caller: &AuthenticatedClient) -> Result<Value, OAuthError> {
    let (client, params) = (&caller.client, &caller.params);
    let token = params.require("token")?;
    match params.get("token_type_hint") {
        None | Some("refresh_token" | "access_token") => {}
        Some(other) => {
            return Err(OAuthError::unsupported_token_type(format!(
                "cannot revoke {other}"
            )));
        }
    }
    if let Some((row, _)) = tokens::find_refresh(&state.db, &state.keys, token).await? {
        if row.client_id != client.client_id {
            // RFC 7009 §2.1: a client may only revoke its own tokens.
            return Err(OAuthError::invalid_grant(
                "the token was not issued to this client",
            ));
        }
        tokens::revoke_family(&state.db, &row.family_id, state.clock.now()).await?;
        tracing::info!(client_id = %client.client_id, user_id = %row.user_id, "refresh token revoked");
    }
    // Unknown tokens get 200 too: the client cannot do anything better (RFC 7009 §2.2).
    Ok(json!({}))
}

/// `POST /oauth2/logout`: the client presents the person's refresh token and
/// the whole SSO session ends: every client site's refresh tokens under it
/// are revoked ("when one expires, they all expire").
pub async fn backchannel_logout(
    State(state): State<AppState>,
    caller: AuthenticatedClient,
) -> Response {
    answer(logout(&state, &caller).await)
}

async fn logout(state: &AppState, caller: &AuthenticatedClient) -> Result<Value, OAuthError> {
    let client = &caller.client;
    let token = caller.params.require("refresh_token")?;
    let found = tokens::find_refresh(&state.db, &state.keys, token).await?;
    let Some((row, _)) = found.filter(|(r, _)| r.client_id == client.client_id) else {
        return Err(OAuthError::invalid_grant("unknown refresh token"));
    };
    let ending = sso::Ending {
        reason: "back-channel logout by a client site",
        ip: Some(&caller.ip),
    };
    sso::end(&state.db, &row.sso_session_id, ending, state.clock.now()).await?;
    tracing::info!(client_id = %client.client_id, user_id = %row.user_id, "signed out everywhere by a client site");
    Ok(json!({ "session_ended": true }))
}
