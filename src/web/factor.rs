//! The second step of signing in, for an account with a second factor:
//! `GET/POST /login/factor`. After the right password the browser holds a
//! pending sign-in (in its HTTP session, for ten minutes) and is asked for
//! a `code` — from the authenticator app, or a recovery code — or a
//! passkey. The pending authorization request rides along as it does
//! through the password step. Wrong codes count like wrong passwords,
//! against the address and the account.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use crate::domain::{audit, mfa, sso, throttle, users};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::http::errors::on_the_way;
use crate::http::page::client_site_of;
use crate::http::second_step::{PENDING_SECS, Pending};
use crate::http::{ClientIp, Visitor, safe_next};
use crate::i18n::Msg;
use crate::mail::{Kind, Letter, queue};
use crate::resources::{routes, session_keys, templates};
use crate::state::AppState;
use crate::web::login::{Arrival, Door, Wrong, count_failure, signed_in, suspended};

const WRONG_CODE: Wrong = Wrong {
    plain: "factor-wrong",
    last_chance: "factor-wrong-last-chance",
    now_paused: "factor-wrong-now-paused",
};

/// The pending sign-in of this browser and its account, if still good.
pub async fn pending(
    state: &AppState,
    visitor: &Visitor,
) -> AppResult<Option<(Pending, user::Model)>> {
    let Some(pending): Option<Pending> = visitor.session.get(session_keys::PENDING_SIGN_IN).await?
    else {
        return Ok(None);
    };
    if pending.since + PENDING_SECS <= state.clock.now() {
        visitor
            .session
            .remove(session_keys::PENDING_SIGN_IN)
            .await?;
        return Ok(None);
    }
    let user = users::find(&state.db, &pending.user_id)
        .await?
        .filter(|u| !u.disabled);
    Ok(user.map(|u| (pending, u)))
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    pending: &Pending,
    user: &user::Model,
    error: Option<Msg>,
) -> AppResult<Response> {
    let next = pending.next.as_deref();
    let factors = mfa::factors(&state.db, &user.id).await?;
    let page = context! {
        username => user.username.clone(),
        next,
        has_totp => factors.iter().any(|f| f.kind == mfa::TOTP),
        has_passkey => state.passkeys.is_some() && factors.iter().any(|f| f.kind == mfa::PASSKEY),
        error => error.map(|m| visitor.tr(&m)),
        client_site => client_site_of(state, next).await,
    };
    let ctx = visitor.page(true, page).await?;
    Ok((
        status,
        state.templates.render(templates::LOGIN_FACTOR, ctx)?,
    )
        .into_response())
}

/// `GET /login/factor`.
pub async fn show(State(state): State<AppState>, visitor: Visitor) -> AppResult<Response> {
    let Some((pending, user)) = pending(&state, &visitor).await? else {
        return Ok(Redirect::to(routes::LOGIN).into_response());
    };
    render(&state, &visitor, StatusCode::OK, &pending, &user, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /login/factor`: a code from the app, or a recovery code.
pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let Some((pending, user)) = pending(&state, &visitor).await? else {
        return Ok(Redirect::to(routes::LOGIN).into_response());
    };
    let again = |status, error: Msg| render(&state, &visitor, status, &pending, &user, Some(error));
    if visitor.session.verify_csrf(&form.csrf_token).await.is_err() {
        return again(StatusCode::FORBIDDEN, Msg::new("login-form-expired")).await;
    }
    let code = form.code.trim();
    if code.is_empty() || code.len() > 40 {
        return again(StatusCode::UNPROCESSABLE_ENTITY, Msg::new("factor-blank")).await;
    }
    let now = state.clock.now();
    let policy = throttle::Policy::from(state.config.as_ref());
    let ip_key = client.key();
    let throttle_key = client.throttle_key(state.config.ipv6_prefix_len);
    let next = pending.next.as_deref().and_then(safe_next);
    let attempt = match throttle::reserve(&state.db, &throttle_key, policy, now).await? {
        throttle::Gate::Open(attempt) => attempt,
        throttle::Gate::Suspended { until } => {
            return Ok(on_the_way(
                suspended(until),
                client_site_of(&state, next.as_deref()).await,
            ));
        }
        throttle::Gate::Busy => {
            let busy = AppError::TooManyRequests {
                until: now + 2,
                message: Msg::new("login-busy"),
            };
            return Ok(on_the_way(
                busy,
                client_site_of(&state, next.as_deref()).await,
            ));
        }
    };
    let account_key = throttle::account_key(Some(&user.id), &user.username);
    if let throttle::AccountGate::Wait { until } =
        throttle::reserve_account(&state.db, &account_key, policy, now).await?
    {
        throttle::succeeded(&state.db, &attempt).await?;
        let wait = Msg::new("login-account-wait").duration("wait", until - now);
        return again(StatusCode::TOO_MANY_REQUESTS, wait).await;
    }
    let by_app = mfa::use_totp_code(&state.db, &state.keys, &user.id, code, now).await?;
    let by_recovery =
        !by_app && mfa::use_recovery_code(&state.db, &state.keys, &user.id, code).await?;
    if !(by_app || by_recovery) {
        let person = audit::Person {
            user_id: &user.id,
            username: &user.username,
        };
        audit::record(
            &state.db,
            audit::Event::SignInFailed,
            Some(person),
            Some(&ip_key),
            "wrong second-factor code",
            now,
        )
        .await?;
        let door = Door {
            attempt: &attempt,
            ip: &ip_key,
            throttle_key: &throttle_key,
        };
        let error = count_failure(&state, door, WRONG_CODE).await?;
        return again(StatusCode::OK, error).await;
    }
    throttle::succeeded(&state.db, &attempt).await?;
    throttle::account_succeeded(&state.db, &account_key).await?;
    visitor
        .session
        .remove(session_keys::PENDING_SIGN_IN)
        .await?;
    if by_recovery {
        recovery_code_used(&state, &user, &ip_key, visitor.lang).await?;
    }
    let arrival = Arrival {
        user: &user,
        ip: &ip_key,
        headers: &headers,
        proof: sso::Proof::PasswordAndCode,
        next: next.as_deref(),
    };
    signed_in(&state, &visitor, arrival).await
}

/// A recovery code was spent: audited, and the person told (with how many
/// are left) in case it was not them.
async fn recovery_code_used(
    state: &AppState,
    user: &user::Model,
    ip: &str,
    lang: crate::i18n::Lang,
) -> AppResult<()> {
    let now = state.clock.now();
    let left = mfa::recovery_codes_left(&state.db, &user.id).await?;
    let person = audit::Person {
        user_id: &user.id,
        username: &user.username,
    };
    let details = format!("{left} left");
    audit::record(
        &state.db,
        audit::Event::RecoveryCodeUsed,
        Some(person),
        Some(ip),
        &details,
        now,
    )
    .await?;
    let letter = Letter::new(Kind::RecoveryCodeUsed, &user.email, lang)
        .with("username", user.username.clone())
        .with("left", left.to_string())
        .link(format!(
            "{}{}",
            state.config.issuer,
            routes::ACCOUNT_SECURITY
        ));
    queue::send(state, &letter).await
}
