//! The pages' passkey ceremonies, as small JSON calls the page's script
//! makes (each with the page's CSRF token in `X-CSRF-Token`):
//!
//! - `POST /account/security/passkeys/options`, then
//!   `POST /account/security/passkeys` (`name`, `credential`): register one
//!   (a recent sign-in needed, as for every change of the factors);
//! - `POST /login/passkey/options`, then `POST /login/passkey`
//!   (`credential`, `next`): sign in with a passkey alone;
//! - `POST /login/factor/passkey/options`, then `POST /login/factor/passkey`
//!   (`credential`): the second step after a password.
//!
//! Each answer is `{"redirect": "…"}` or `{"error": "…"}` (in the page's
//! language). The pages work without script; only passkeys need it.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};

use crate::domain::passkeys::{self, Passkeys};
use crate::domain::{audit, mfa, sso, throttle};
use crate::error::{AppError, AppResult};
use crate::http::{ClientIp, CurrentUser, Visitor, safe_next};
use crate::i18n::Msg;
use crate::mail::Kind;
use crate::resources::{routes, session_keys};
use crate::state::AppState;
use crate::web::login::{Arrival, signed_in};
use crate::web::security::{recent_enough, record_change};

/// The state of a ceremony under way, in the HTTP session.
#[derive(Serialize, Deserialize)]
enum Ceremony {
    Register(PasskeyRegistration),
    SignIn(DiscoverableAuthentication),
    SecondStep(PasskeyAuthentication),
}

/// A JSON answer for the page's script.
fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

fn go(to: &str) -> Response {
    answer(StatusCode::OK, json!({ "redirect": to }))
}

fn failed(visitor_lang: crate::i18n::Lang, status: StatusCode, key: &'static str) -> Response {
    answer(
        status,
        json!({ "error": Msg::new(key).in_lang(visitor_lang) }),
    )
}

fn relying_party(state: &AppState) -> AppResult<&Passkeys> {
    state.passkeys.as_deref().ok_or(AppError::NotFound)
}

async fn check_csrf(visitor: &Visitor, headers: &HeaderMap) -> AppResult<()> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    visitor.session.verify_csrf(token).await
}

async fn put(visitor: &Visitor, ceremony: &Ceremony) -> AppResult<()> {
    visitor
        .session
        .put(session_keys::WEBAUTHN_STATE, ceremony)
        .await
}

async fn take(visitor: &Visitor) -> AppResult<Option<Ceremony>> {
    visitor.session.take(session_keys::WEBAUTHN_STATE).await
}

/// `POST /account/security/passkeys/options`.
pub async fn register_options(
    State(state): State<AppState>,
    me: CurrentUser,
    visitor: Visitor,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rp = relying_party(&state)?;
    check_csrf(&visitor, &headers).await?;
    if recent_enough(&state, &me, routes::ACCOUNT_SECURITY).is_some() {
        let again = crate::http::reauth_url(routes::ACCOUNT_SECURITY);
        return Ok(answer(StatusCode::FORBIDDEN, json!({ "redirect": again })));
    }
    let user = &me.signed_in.user;
    let existing: Vec<_> = passkeys::of_user(&state.db, &user.id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let (options, ceremony) = match rp.start_registration(user, &existing) {
        Ok(started) => started,
        Err(err) => {
            tracing::warn!(error = %err, "passkey registration could not start");
            return Ok(failed(me.lang, StatusCode::BAD_REQUEST, "passkey-failed"));
        }
    };
    put(&visitor, &Ceremony::Register(ceremony)).await?;
    Ok(answer(StatusCode::OK, json!(options)))
}

#[derive(Deserialize)]
pub struct Registered {
    #[serde(default)]
    name: String,
    credential: RegisterPublicKeyCredential,
}

/// `POST /account/security/passkeys`.
pub async fn register(
    State(state): State<AppState>,
    me: CurrentUser,
    visitor: Visitor,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<Registered>,
) -> AppResult<Response> {
    let rp = relying_party(&state)?;
    check_csrf(&visitor, &headers).await?;
    if recent_enough(&state, &me, routes::ACCOUNT_SECURITY).is_some() {
        return Ok(failed(me.lang, StatusCode::FORBIDDEN, "passkey-failed"));
    }
    let Some(Ceremony::Register(ceremony)) = take(&visitor).await? else {
        return Ok(failed(me.lang, StatusCode::BAD_REQUEST, "passkey-failed"));
    };
    let passkey = match rp.finish_registration(&body.credential, &ceremony) {
        Ok(passkey) => passkey,
        Err(err) => {
            tracing::info!(error = %err, "passkey registration refused");
            return Ok(failed(me.lang, StatusCode::BAD_REQUEST, "passkey-failed"));
        }
    };
    let name = body.name.trim();
    let name = if name.is_empty() {
        me.tr(&Msg::new("security-passkey-default-name"))
    } else {
        name.chars().filter(|c| !c.is_control()).take(60).collect()
    };
    let user = &me.signed_in.user;
    let first = !mfa::has_factor(&state.db, &user.id).await?;
    let now = state.clock.now();
    match passkeys::add(&state.db, &user.id, &name, &passkey, now).await {
        Ok(_) => {}
        // The same credential registered twice.
        Err(AppError::Database(err)) if crate::error::is_unique_violation(&err) => {
            return Ok(failed(me.lang, StatusCode::CONFLICT, "passkey-failed"));
        }
        Err(err) => return Err(err),
    }
    let what = format!("{} ({})", name, me.tr(&Msg::new("security-kind-passkey")));
    record_change(
        &state,
        &me,
        &ip.key(),
        audit::Event::FactorAdded,
        Some(Kind::FactorAdded),
        &what,
    )
    .await?;
    if first {
        // The recovery codes that come with the first factor, shown once.
        let codes = mfa::new_recovery_codes(&state.db, &state.keys, &user.id, now).await?;
        record_change(
            &state,
            &me,
            &ip.key(),
            audit::Event::RecoveryCodesRenewed,
            None,
            "",
        )
        .await?;
        me.session
            .put(session_keys::NEW_RECOVERY_CODES, &codes)
            .await?;
        return Ok(go(routes::ACCOUNT_NEW_RECOVERY_CODES));
    }
    me.notify(Msg::new("notice-factor-added").with("name", name))
        .await?;
    Ok(go(routes::ACCOUNT_SECURITY))
}

/// `POST /login/passkey/options`: sign in with a passkey alone.
pub async fn sign_in_options(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rp = relying_party(&state)?;
    check_csrf(&visitor, &headers).await?;
    let (options, ceremony) = match rp.start_sign_in() {
        Ok(started) => started,
        Err(err) => {
            tracing::warn!(error = %err, "passkey sign-in could not start");
            return Ok(failed(
                visitor.lang,
                StatusCode::BAD_REQUEST,
                "passkey-failed",
            ));
        }
    };
    put(&visitor, &Ceremony::SignIn(ceremony)).await?;
    Ok(answer(StatusCode::OK, json!(options)))
}

#[derive(Deserialize)]
pub struct Asserted {
    credential: PublicKeyCredential,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login/passkey`.
pub async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    headers: HeaderMap,
    Json(body): Json<Asserted>,
) -> AppResult<Response> {
    let rp = relying_party(&state)?;
    check_csrf(&visitor, &headers).await?;
    let now = state.clock.now();
    let throttle_key = client.throttle_key(state.config.ipv6_prefix_len);
    if throttle::suspended_until(&state.db, &throttle_key, now)
        .await?
        .is_some()
    {
        return Ok(failed(
            visitor.lang,
            StatusCode::TOO_MANY_REQUESTS,
            "login-suspended",
        ));
    }
    let Some(Ceremony::SignIn(ceremony)) = take(&visitor).await? else {
        return Ok(failed(
            visitor.lang,
            StatusCode::BAD_REQUEST,
            "passkey-failed",
        ));
    };
    let refused = || failed(visitor.lang, StatusCode::UNAUTHORIZED, "passkey-failed");
    let Ok((handle, credential_id)) = rp.identify(&body.credential) else {
        return Ok(refused());
    };
    let Some((factor, mut passkey)) = passkeys::by_credential(&state.db, credential_id).await?
    else {
        return Ok(refused());
    };
    let Some(user) = crate::domain::users::find(&state.db, &factor.user_id)
        .await?
        .filter(|u| !u.disabled && Some(handle) == uuid::Uuid::parse_str(&u.id).ok())
    else {
        return Ok(refused());
    };
    if let Err(err) = rp.finish_sign_in(&body.credential, ceremony, &mut passkey) {
        tracing::info!(error = %err, user_id = %user.id, "passkey sign-in refused");
        return Ok(refused());
    }
    passkeys::used(&state.db, &factor.id, &passkey, now).await?;
    let next = body.next.as_deref().and_then(safe_next);
    let ip = client.key();
    let arrival = Arrival {
        user: &user,
        ip: &ip,
        headers: &headers,
        proof: sso::Proof::Passkey,
        next: next.as_deref(),
    };
    let response = signed_in(&state, &visitor, arrival).await?;
    Ok(redirect_as_json(response))
}

/// A sign-in's redirect, as the script's JSON answer (with its cookies).
fn redirect_as_json(response: Response) -> Response {
    let to = response
        .headers()
        .get(axum::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(routes::ACCOUNT)
        .to_owned();
    let mut json = go(&to);
    for cookie in response.headers().get_all(axum::http::header::SET_COOKIE) {
        json.headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie.clone());
    }
    json
}

/// `POST /login/factor/passkey/options`: the second step with a passkey.
pub async fn second_step_options(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rp = relying_party(&state)?;
    check_csrf(&visitor, &headers).await?;
    let Some((_, user)) = crate::web::factor::pending(&state, &visitor).await? else {
        return Ok(go(routes::LOGIN));
    };
    let keys: Vec<_> = passkeys::of_user(&state.db, &user.id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    if keys.is_empty() {
        return Ok(failed(
            visitor.lang,
            StatusCode::BAD_REQUEST,
            "passkey-failed",
        ));
    }
    let (options, ceremony) = match rp.start_second_step(&keys) {
        Ok(started) => started,
        Err(err) => {
            tracing::warn!(error = %err, "passkey second step could not start");
            return Ok(failed(
                visitor.lang,
                StatusCode::BAD_REQUEST,
                "passkey-failed",
            ));
        }
    };
    put(&visitor, &Ceremony::SecondStep(ceremony)).await?;
    Ok(answer(StatusCode::OK, json!(options)))
}

#[derive(Deserialize)]
pub struct SecondStep {
    credential: PublicKeyCredential,
}

/// `POST /login/factor/passkey`.
pub async fn second_step(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    headers: HeaderMap,
    Json(body): Json<SecondStep>,
) -> AppResult<Response> {
    let rp = relying_party(&state)?;
    check_csrf(&visitor, &headers).await?;
    let Some((pending, user)) = crate::web::factor::pending(&state, &visitor).await? else {
        return Ok(go(routes::LOGIN));
    };
    let Some(Ceremony::SecondStep(ceremony)) = take(&visitor).await? else {
        return Ok(failed(
            visitor.lang,
            StatusCode::BAD_REQUEST,
            "passkey-failed",
        ));
    };
    let result = match rp.finish_second_step(&body.credential, &ceremony) {
        Ok(result) => result,
        Err(err) => {
            tracing::info!(error = %err, user_id = %user.id, "passkey second step refused");
            return Ok(failed(
                visitor.lang,
                StatusCode::UNAUTHORIZED,
                "passkey-failed",
            ));
        }
    };
    let now = state.clock.now();
    for (factor, mut passkey) in passkeys::of_user(&state.db, &user.id).await? {
        if passkey.cred_id() == result.cred_id() {
            passkey.update_credential(&result);
            passkeys::used(&state.db, &factor.id, &passkey, now).await?;
        }
    }
    let account_key = throttle::account_key(Some(&user.id), &user.username);
    throttle::account_succeeded(&state.db, &account_key).await?;
    visitor
        .session
        .remove(session_keys::PENDING_SIGN_IN)
        .await?;
    let next = pending.next.as_deref().and_then(safe_next);
    let ip = client.key();
    let arrival = Arrival {
        user: &user,
        ip: &ip,
        headers: &headers,
        proof: sso::Proof::PasswordAndPasskey,
        next: next.as_deref(),
    };
    let response = signed_in(&state, &visitor, arrival).await?;
    Ok(redirect_as_json(response))
}
