//! `GET /oauth2/userinfo` (OpenID Connect) and `POST /oauth2/introspect` (RFC 7662).
//!
//! Both answer from the server's own record of the grant (the live token
//! family of the token's session and client site, its scope and expiry),
//! not from the access token's claims: an HS256 client site holds the key
//! its tokens are signed with and could sign any scope or expiry it liked.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::domain::signing::{AccessClaims, verify_access_token};
use crate::domain::{sso, tokens};
use crate::entities::{refresh_token, user};
use crate::http::OAuthError;
use crate::oauth::answer;
use crate::oauth::client_auth::AuthenticatedClient;
use crate::state::AppState;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// What an access token may still do: its claims, bounded by the grant.
struct Effective {
    claims: AccessClaims,
    person: user::Model,
    /// The scopes both the token names and the grant holds.
    scope: String,
    /// The token's expiry, or the grant's if that comes first.
    exp: i64,
}

/// Verifies an access token and finds the live grant behind it.
async fn effective(
    state: &AppState,
    token: &str,
    now: i64,
) -> Result<Option<Effective>, OAuthError> {
    let verified =
        verify_access_token(&state.db, &state.keys, &state.config.issuer, token, now).await?;
    let Some((claims, client)) = verified else {
        return Ok(None);
    };
    let grant = tokens::live_grant(&state.db, &claims.sid, &client.client_id, now).await?;
    let Some((family, person)) = grant.filter(|(f, _)| f.user_id == claims.sub) else {
        return Ok(None);
    };
    Ok(Some(Effective {
        scope: narrowed(&claims.scope, &family),
        exp: claims.exp.min(family.expires_at),
        claims,
        person,
    }))
}

/// The scopes of `asked` that the family was granted, in the grant's order.
fn narrowed(asked: &str, family: &refresh_token::Model) -> String {
    let asked: Vec<&str> = asked.split(' ').collect();
    family
        .scope
        .split(' ')
        .filter(|s| asked.contains(s))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /oauth2/userinfo`: claims about the person an access token names,
/// while the grant it came from lasts.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(userinfo_body(&state, &headers).await)
}

async fn userinfo_body(state: &AppState, headers: &HeaderMap) -> Result<Value, OAuthError> {
    let token = bearer(headers)
        .ok_or_else(|| OAuthError::invalid_token("a Bearer access token is required"))?;
    let Some(found) = effective(state, token, state.clock.now()).await? else {
        return Err(OAuthError::invalid_token(
            "the access token is invalid or expired, or its grant has ended",
        ));
    };
    let person = &found.person;
    let mut body = json!({ "sub": person.id, "preferred_username": person.username });
    if found.scope.split(' ').any(|s| s == "email") {
        body["email"] = json!(person.email);
        body["email_verified"] = json!(person.email_verified);
    }
    Ok(body)
}

/// `POST /oauth2/introspect`: whether a token is active, for the client it
/// was issued to. Other clients' tokens are reported inactive.
pub async fn introspect(State(state): State<AppState>, caller: AuthenticatedClient) -> Response {
    answer(introspection(&state, &caller).await)
}

async fn introspection(
    state: &AppState,
    caller: &AuthenticatedClient,
) -> Result<Value, OAuthError> {
    let (client, params) = (&caller.client, &caller.params);
    if client.public {
        // Introspection is for a site's backend (RFC 7662 §2.1 wants it
        // authenticated); a game has nothing to prove who it is with.
        return Err(OAuthError::unauthorized_client(
            "a public client cannot introspect tokens",
        ));
    }
    let token = params.require("token")?;
    let now = state.clock.now();
    let inactive = json!({ "active": false });
    if let Some((row, behind)) = tokens::find_refresh(&state.db, &state.keys, token).await? {
        let live = row.client_id == client.client_id
            && behind == 0
            && row.revoked_at.is_none()
            && row.expires_at > now;
        let person = match live {
            true => sso::find_active(&state.db, &row.sso_session_id, now).await?,
            false => None,
        };
        let Some((_, person)) = person else {
            return Ok(inactive);
        };
        return Ok(json!({
            "active": true, "token_type": "refresh_token", "client_id": row.client_id,
            "sub": row.user_id, "username": person.username, "scope": row.scope,
            "exp": row.expires_at, "iat": row.rotated_at.unwrap_or(row.created_at),
            "sid": row.sso_session_id, "iss": state.config.issuer,
        }));
    }
    let Some(found) = effective(state, token, now).await? else {
        return Ok(inactive);
    };
    let claims = &found.claims;
    if claims.aud != client.client_id {
        return Ok(inactive);
    }
    Ok(json!({
        "active": true, "token_type": "Bearer", "client_id": claims.aud, "sub": claims.sub,
        "username": found.person.username, "scope": found.scope, "exp": found.exp,
        "iat": claims.iat, "jti": claims.jti, "sid": claims.sid, "iss": claims.iss,
        "aud": claims.aud,
    }))
}
