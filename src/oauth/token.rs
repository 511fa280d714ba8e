//! `POST /oauth2/token`: the authorization-code and refresh-token grants.
//!
//! Our own code rather than oxide-auth's access-token flow: the seed's token
//! model (one live refresh token per session per client site, expiring with
//! the SSO session, rotation with a grace window, family revocation on
//! reuse) and RFC 6749's error codes (`invalid_grant` where oxide-auth says
//! `invalid_request`) do not fit its issuer. oxide-auth's PKCE verifier is
//! reused as is.

use axum::extract::State;
use axum::response::Response;
use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::Value as GrantValue;
use sea_orm::DbBackend;
use serde::Serialize;

use crate::domain::clients::TokenAlg;
use crate::domain::device_grant::{self, Poll};
use crate::domain::signing::{AccessClaims, Typ};
use crate::domain::sso;
use crate::domain::tokens::{self, GrantError, IssuedRefresh, Rotated};
use crate::entities::{client, sso_session, user};
use crate::error::AppError;
use crate::http::OAuthError;
use crate::metrics::inc;
use crate::oauth::answer;
use crate::oauth::client_auth::{ApiCall, Credentials, authenticate, credentials, judge};
use crate::oauth::params::Params;
use crate::state::AppState;

/// The successful token response (RFC 6749 §5.1, plus
/// `refresh_token_expires_in` and OpenID Connect's `id_token`).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub refresh_token_expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Claims of an OpenID Connect id_token.
#[derive(Debug, Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    /// How the person proved who they are (RFC 8176).
    amr: Vec<&'a str>,
    /// `mfa` when that took more than one factor, else `pwd` (see the
    /// README: a client site asks for `acr_values=mfa`).
    acr: &'a str,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    preferred_username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// Whether the person proved they read mail at `email` (with it only).
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
}

/// The device authorization grant's `grant_type` (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The `acr` of a sign-in with more than one factor: what a client site
/// asks for with `acr_values=mfa`.
pub const ACR_MFA: &str = "mfa";
/// The `acr` of a sign-in with one factor.
pub const ACR_PASSWORD: &str = "pwd";

/// `POST /oauth2/token`.
pub async fn token(State(state): State<AppState>, call: ApiCall) -> Response {
    answer(grant(&state, &call).await)
}

async fn grant(state: &AppState, call: &ApiCall) -> Result<TokenResponse, OAuthError> {
    let params = &call.params;
    if let Some(answer) = refresh_in_one_statement(state, call).await {
        return answer;
    }
    let client = authenticate(state, &call.ip, &call.headers, params).await?;
    match params.require("grant_type")? {
        "authorization_code" => exchange_code(state, &client, params).await,
        "refresh_token" => refresh(state, &client, params).await,
        DEVICE_CODE_GRANT => redeem_device_code(state, &client, params).await,
        other => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type {other} is not supported"
        ))),
    }
}

/// The refresh grant's fast path on PostgreSQL: client authentication and
/// rotation in one statement, shared with other refresh grants arriving at
/// the same time (see `domain::rotations`); the same decisions as the
/// general path. `None` where it does not apply (another grant or database,
/// credentials or token not well formed), and the general path answers.
async fn refresh_in_one_statement(
    state: &AppState,
    call: &ApiCall,
) -> Option<Result<TokenResponse, OAuthError>> {
    let (ip, params) = (call.ip.as_str(), &call.params);
    if params.get("grant_type") != Some("refresh_token")
        || state.db.get_database_backend() != DbBackend::Postgres
    {
        return None;
    }
    // A public client has no secret for the statement to check: the general path.
    let credentials = credentials(&call.headers, params)
        .ok()
        .filter(|c| c.secret.is_some())?;
    let presented = tokens::Presented::parse(&state.keys, params.get("refresh_token")?)?;
    Some(batched_refresh(state, ip, params, credentials, presented).await)
}

/// [`refresh_in_one_statement`] once it applies.
async fn batched_refresh(
    state: &AppState,
    ip: &str,
    params: &Params,
    credentials: Credentials,
    presented: tokens::Presented<'_>,
) -> Result<TokenResponse, OAuthError> {
    let now = state.clock.now();
    let secret = credentials.secret.as_deref().unwrap_or_default();
    let ask = tokens::Ask::new(&credentials.client_id, secret, &presented, now);
    let found = state.rotations.claim(&state.db, ask).await?;
    let client = judge(state, ip, Ok(credentials), found.client)?;
    let grace = state.config.refresh_grace_secs;
    let rotated = tokens::settle(
        &state.db,
        &state.keys,
        &client.client_id,
        presented,
        found.claimed,
        grace,
        now,
    )
    .await?;
    finish_refresh(state, &client, params, rotated, now).await
}

fn verifier_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

async fn exchange_code(
    state: &AppState,
    client: &client::Model,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let verifier = params.require("code_verifier")?;
    let now = state.clock.now();

    // The code is burnt by its client's first attempt, whatever comes next,
    // so a wrong verifier cannot be retried against it.
    let family_id = crate::crypto::random_id();
    let consumed = tokens::consume_code(&state.db, &client.client_id, code, &family_id, now)
        .await?
        .map_err(invalid_grant)?;
    let row = &consumed.code;
    if row.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let challenge = GrantValue::private(Some(row.code_challenge.clone()));
    if !verifier_well_formed(verifier)
        || Pkce::required()
            .verify(Some(challenge), Some(verifier.into()))
            .is_err()
    {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let Some(sign_in) = &consumed.sign_in else {
        return Err(invalid_grant(GrantError::SessionEnded));
    };
    let issued = tokens::start_family(
        &state.db,
        &state.keys,
        tokens::FamilyFor::code(row, &family_id, family_cap(state, client, now)),
        state.config.refresh_grace_secs,
        now,
    )
    .await?
    .map_err(invalid_grant)?;
    inc(&state.metrics.tokens_from_code);
    let subject = Subject {
        id: &row.user_id,
        username: &sign_in.username,
        email: Some(&sign_in.email),
        email_verified: sign_in.email_verified,
    };
    let id_token = IdTokenContext {
        nonce: row.nonce.as_deref(),
        auth_time: sign_in.authenticated_at,
        amr: &sign_in.amr,
    };
    respond(state, client, subject, issued, None, Some(id_token), now).await
}

/// The answer of a grant that starts a family from a session read on its
/// own (a device code): the access token, the refresh token and an
/// id_token about the session.
async fn first_tokens(
    state: &AppState,
    client: &client::Model,
    session: &sso_session::Model,
    person: &user::Model,
    issued: IssuedRefresh,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let id_token = IdTokenContext {
        nonce: None,
        auth_time: session.authenticated_at,
        amr: &session.amr,
    };
    let subject = Subject {
        id: &person.id,
        username: &person.username,
        email: Some(&person.email),
        email_verified: person.email_verified,
    };
    respond(state, client, subject, issued, None, Some(id_token), now).await
}

/// A device's poll (RFC 8628 §3.4): tokens once the person approved, else
/// why not yet (`authorization_pending`, `slow_down`) or not at all.
async fn redeem_device_code(
    state: &AppState,
    client: &client::Model,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !client.device_grant {
        return Err(OAuthError::unauthorized_client(
            "this client is not allowed the device authorization grant",
        ));
    }
    let device_code = params.require("device_code")?;
    let now = state.clock.now();
    let (user_id, sso_session_id, scope) =
        match device_grant::poll(&state.db, &client.client_id, device_code, now).await? {
            Poll::Approved {
                user_id,
                sso_session_id,
                scope,
            } => (user_id, sso_session_id, scope),
            Poll::Pending => {
                return Err(OAuthError::device(
                    "authorization_pending",
                    "the person has not confirmed the code yet",
                ));
            }
            Poll::SlowDown => {
                return Err(OAuthError::device(
                    "slow_down",
                    "polled sooner than the interval; it is now 5 seconds longer",
                ));
            }
            Poll::Denied => {
                return Err(OAuthError::device(
                    "access_denied",
                    "the person declined the device",
                ));
            }
            Poll::Expired => {
                return Err(OAuthError::device(
                    "expired_token",
                    "the device code has expired; start again",
                ));
            }
            Poll::Invalid => {
                return Err(OAuthError::invalid_grant(
                    "the device code is invalid, another client's, or already used",
                ));
            }
        };
    let Some((session, person)) = sso::find_active(&state.db, &sso_session_id, now).await? else {
        return Err(invalid_grant(GrantError::SessionEnded));
    };
    let family_id = crate::crypto::random_id();
    let family = tokens::FamilyFor {
        family_id: &family_id,
        client_id: &client.client_id,
        user_id: &user_id,
        sso_session_id: &session.id,
        scope: &scope,
        code_hash: None,
        expires_by: family_cap(state, client, now),
    };
    let issued = tokens::start_family(
        &state.db,
        &state.keys,
        family,
        state.config.refresh_grace_secs,
        now,
    )
    .await?
    .map_err(invalid_grant)?;
    inc(&state.metrics.tokens_from_device_code);
    first_tokens(state, client, &session, &person, issued, now).await
}

async fn refresh(
    state: &AppState,
    client: &client::Model,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.require("refresh_token")?;
    let now = state.clock.now();
    let grace = state.config.refresh_grace_secs;
    let rotated = tokens::rotate(
        &state.db,
        &state.keys,
        &client.client_id,
        presented,
        grace,
        now,
    )
    .await?;
    finish_refresh(state, client, params, rotated, now).await
}

/// A refresh grant once the rotation is decided: the scope check, the
/// account check and the new access token.
async fn finish_refresh(
    state: &AppState,
    client: &client::Model,
    params: &Params,
    rotated: Result<Rotated, GrantError>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let rotated = rotated.map_err(|err| {
        if err == GrantError::Reused {
            inc(&state.metrics.refresh_reuse_detected);
        }
        invalid_grant(err)
    })?;
    // A narrower scope may be asked for the access token (RFC 6749 §6); the
    // refresh token keeps the original.
    let narrowed = match params.get("scope") {
        None => None,
        Some(asked) => {
            let granted: Vec<&str> = rotated.issued.scope.split(' ').collect();
            if asked.split(' ').any(|s| !granted.contains(&s)) {
                return Err(OAuthError::invalid_scope(
                    "the scope exceeds what was granted",
                ));
            }
            Some(asked.to_owned())
        }
    };
    if rotated.disabled {
        return Err(OAuthError::invalid_grant("the account is disabled"));
    }
    inc(&state.metrics.tokens_from_refresh);
    let user_id = rotated.issued.user_id.clone();
    let subject = Subject {
        id: &user_id,
        username: &rotated.username,
        email: None,
        email_verified: false,
    };
    // OpenID Connect §12.2: a refresh response need not carry an id_token.
    respond(state, client, subject, rotated.issued, narrowed, None, now).await
}

/// Who the tokens are about.
struct Subject<'a> {
    id: &'a str,
    username: &'a str,
    email: Option<&'a str>,
    email_verified: bool,
}

/// What an id_token needs beyond the person: only a code exchange has it.
struct IdTokenContext<'a> {
    nonce: Option<&'a str>,
    auth_time: i64,
    amr: &'a str,
}

async fn respond(
    state: &AppState,
    client: &client::Model,
    person: Subject<'_>,
    issued: IssuedRefresh,
    narrowed_scope: Option<String>,
    id_context: Option<IdTokenContext<'_>>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let config = &state.config;
    let scope = narrowed_scope.unwrap_or_else(|| issued.scope.clone());
    // No token outlives the session it was issued under.
    let exp = (now + config.access_token_ttl_secs).min(issued.expires_at);
    let claims = AccessClaims::new(
        &state.keys,
        &config.issuer,
        person.id,
        &client.client_id,
        &issued.sso_session_id,
        &scope,
        person.username,
        now,
        exp,
    )
    .map_err(AppError::from)?;
    let access_token = state
        .signer
        .sign_for_client(&state.db, &state.keys, client, &claims, now)
        .await?;
    let scopes: Vec<&str> = scope.split(' ').collect();
    let id_token = match id_context.filter(|_| scopes.contains(&"openid")) {
        Some(context) => {
            let id = IdClaims {
                iss: &config.issuer,
                sub: person.id,
                aud: &client.client_id,
                exp,
                iat: now,
                auth_time: context.auth_time,
                amr: context.amr.split(' ').filter(|m| !m.is_empty()).collect(),
                acr: if sso::is_multi_factor(context.amr) {
                    ACR_MFA
                } else {
                    ACR_PASSWORD
                },
                sid: &issued.sso_session_id,
                nonce: context.nonce,
                preferred_username: person.username,
                email: person.email.filter(|_| scopes.contains(&"email")),
                email_verified: person
                    .email
                    .filter(|_| scopes.contains(&"email"))
                    .map(|_| person.email_verified),
            };
            // OpenID Connect's default id_token algorithm, whatever the access tokens use.
            Some(
                state
                    .signer
                    .sign_with_server_key(
                        &state.db,
                        &state.keys,
                        TokenAlg::RS256,
                        Typ::Id,
                        &id,
                        now,
                    )
                    .await?,
            )
        }
        None => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: exp - now,
        refresh_token_expires_in: (issued.expires_at - now).max(0),
        refresh_token: issued.token,
        scope,
        id_token,
    })
}

/// The latest a new token family of `client` may expire: a public
/// client's cap, or nothing beyond its session.
pub(crate) fn family_cap(state: &AppState, client: &client::Model, now: i64) -> i64 {
    if client.public {
        now.saturating_add(state.config.public_client_refresh_ttl_secs)
    } else {
        i64::MAX
    }
}

pub(crate) fn invalid_grant(err: GrantError) -> OAuthError {
    OAuthError::invalid_grant(err.description())
}
