//! `GET /oauth2/userinfo` (OpenID Connect) and `POST /oauth2/introspect` (RFC 7662).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::domain::signing::verify_access_token;
use crate::domain::{sso, tokens, users};
use crate::error::OAuthError;
use crate::oauth::answer;
use crate::oauth::client_auth::authenticate;
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::web::client_ip::ClientIp;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /oauth2/userinfo`: claims about the person an access token names,
/// while their sign-in session lasts.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result: Result<Value, OAuthError> = async {
        let token = bearer(&headers)
            .ok_or_else(|| OAuthError::invalid_token("a Bearer access token is required"))?;
        let now = state.clock.now();
        let Some((claims, _)) =
            verify_access_token(&state.db, &state.keys, &state.config.issuer, token, now).await?
        else {
            return Err(OAuthError::invalid_token(
                "the access token is invalid or expired",
            ));
        };
        let Some((_, person)) = sso::find_active(&state.db, &claims.sid, now).await? else {
            return Err(OAuthError::invalid_token("the sign-in session has ended"));
        };
        let mut body = json!({ "sub": person.id, "preferred_username": person.username });
        if claims.scope.split(' ').any(|s| s == "email") {
            body["email"] = json!(person.email);
            body["email_verified"] = json!(false);
        }
        Ok(body)
    }
    .await;
    answer(result)
}

/// `POST /oauth2/introspect`: whether a token is active, for the client it
/// was issued to. Other clients' tokens are reported inactive.
pub async fn introspect(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = ip.to_canonical().to_string();
    let result: Result<Value, OAuthError> = async {
        let params = Params::from_form(&headers, &body)?;
        let client = authenticate(&state, &ip, &headers, &params).await?;
        let token = params.require("token")?;
        let now = state.clock.now();
        let inactive = json!({ "active": false });
        if let Some((row, behind)) = tokens::find_refresh(&state.db, &state.keys, token).await? {
            let live = row.client_id == client.client_id && behind == 0 && row.revoked_at.is_none() && row.expires_at > now;
            if !live {
                return Ok(inactive);
            }
            let username = users::find(&state.db, &row.user_id).await?.map(|u| u.username);
            return Ok(json!({
                "active": true, "token_type": "refresh_token", "client_id": row.client_id, "sub": row.user_id,
                "username": username, "scope": row.scope, "exp": row.expires_at, "iat": row.rotated_at.unwrap_or(row.created_at),
                "sid": row.sso_session_id, "iss": state.config.issuer,
            }));
        }
        let Some((claims, issued_to)) = verify_access_token(&state.db, &state.keys, &state.config.issuer, token, now).await? else {
            return Ok(inactive);
        };
        if issued_to.client_id != client.client_id || sso::find_active(&state.db, &claims.sid, now).await?.is_none() {
            return Ok(inactive);
        }
        Ok(json!({
            "active": true, "token_type": "Bearer", "client_id": claims.aud, "sub": claims.sub,
            "username": claims.preferred_username, "scope": claims.scope, "exp": claims.exp, "iat": claims.iat,
            "jti": claims.jti, "sid": claims.sid, "iss": claims.iss, "aud": claims.aud,
        }))
    }
    .await;
    answer(result)
}
