//! `GET /account`, the per-session sign-out, `POST /account/sign-out-everywhere`,
//! and changing the password (`/account/password`) and the address
//! (`/account/email`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::domain::sso::{self, device_name};
use crate::domain::users::{self, FieldErrors};
use crate::domain::{accounts, rate_limit};
use crate::error::{AppError, AppResult};
use crate::http::ClientIp;
use crate::http::CurrentUser;
use crate::i18n::Msg;
use crate::resources::{PASSWORD_MAX, routes, templates};
use crate::state::AppState;

/// Any form whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

#[derive(Serialize)]
struct SessionRow {
    id: String,
    device: Option<String>,
    created_at: i64,
    last_seen: i64,
    expires_at: i64,
    ip: Option<String>,
    sites: Vec<String>,
    current: bool,
}

/// `GET /account`: who I am and where I am signed in.
pub async fn show(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    let now = state.clock.now();
    let user = &me.signed_in.user;
    let sessions: Vec<SessionRow> = sso::summaries(&state.db, &user.id, now)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.session.id == me.signed_in.sso.id,
            device: s
                .session
                .user_agent
                .as_deref()
                .and_then(device_name)
                .map(|m| me.tr(&m)),
            id: s.session.id,
            created_at: s.session.created_at,
            last_seen: s.last_seen,
            expires_at: s.session.expires_at,
            ip: s.session.ip,
            sites: s.sites,
        })
        .collect();
    let page = context! {
        notice => me.take_notice().await?,
        username => user.username.clone(),
        email => user.email.clone(),
        email_verified => user.email_verified,
        is_admin => user.is_admin,
        member_since => user.created_at,
        sessions => Serde(sessions),
        now,
    };
    Ok(state
        .templates
        .render(templates::ACCOUNT, me.page(page).await?)?
        .into_response())
}

/// `POST /account/sessions/{id}/sign-out`: ends one of this person's
/// sessions (a lost phone, a library computer) and its client sites' tokens.
pub async fn sign_out_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    me.session.verify_csrf(&form.csrf_token).await?;
    let user_id = &me.signed_in.user.id;
    let ip = ip.key();
    let ending = sso::Ending {
        reason: "signed out from the account page",
        ip: Some(&ip),
    };
    if !sso::end_own(&state.db, user_id, &id, ending, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(%user_id, "signed out one session");
    if id == me.signed_in.sso.id {
        me.session.sign_out().await?;
        return Ok(Redirect::to(routes::LOGIN).into_response());
    }
    Ok(Redirect::to(routes::ACCOUNT).into_response())
}

/// `POST /account/sign-out-everywhere`: ends every session of this person.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    me.session.verify_csrf(&form.csrf_token).await?;
    let ip = ip.key();
    let ending = sso::Ending {
        reason: "sign out everywhere",
        ip: Some(&ip),
    };
    let now = state.clock.now();
    let ended = sso::end_all_for_user(&state.db, &me.signed_in.user.id, ending, now).await?;
    tracing::info!(user_id = %me.signed_in.user.id, ended, "signed out everywhere");
    me.session.sign_out().await?;
    Ok(Redirect::to(routes::LOGIN).into_response())
}

/// Wrong current passwords accepted per account per hour on the password
/// and address forms (a stolen session must not become a guessing oracle).
const PASSWORD_CHECKS_PER_HOUR: i64 = 10;

/// Checks the current password typed on a form: `Ok(false)` if wrong;
/// too many wrong ones in an hour and the form is refused for a while.
async fn current_password_ok(state: &AppState, me: &CurrentUser, typed: &str) -> AppResult<bool> {
    let typed = SecretString::from(typed.chars().take(PASSWORD_MAX).collect::<String>());
    if state
        .passwords
        .verify(&typed, Some(&me.signed_in.user.password_hash))
        .await?
    {
        return Ok(true);
    }
    let now = state.clock.now();
    let limit = rate_limit::Limit {
        hits: PASSWORD_CHECKS_PER_HOUR,
        window_secs: 3600,
    };
    let key = format!("password-check:{}", me.signed_in.user.id);
    if let Some(until) = rate_limit::hit(&state.db, &key, limit, now).await? {
        return Err(AppError::TooManyRequests {
            until,
            message: Msg::new("change-too-many").duration("wait", until - now),
        });
    }
    Ok(false)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    csrf_token: String,
}

async fn render_form(
    state: &AppState,
    me: &CurrentUser,
    template: &str,
    status: StatusCode,
    page: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let user = &me.signed_in.user;
    let page = context! {
        errors => minijinja::Value::from(Serde(errors.in_lang(me.lang))),
        current_email => user.email.clone(),
        email_verified => user.email_verified,
        ..page
    };
    let html = state.templates.render(template, me.page(page).await?)?;
    Ok((status, html).into_response())
}

fn one_error(field: &'static str, key: &'static str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.add(field, key);
    errors
}

/// `GET /account/password`.
pub async fn password_form(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    render_form(
        &state,
        &me,
        templates::ACCOUNT_PASSWORD,
        StatusCode::OK,
        context! {},
        FieldErrors::default(),
    )
    .await
}

/// `POST /account/password`: the current password and a new one; every
/// other session of the person ends, this one stays signed in.
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let again = |status, errors| {
        render_form(
            &state,
            &me,
            templates::ACCOUNT_PASSWORD,
            status,
            context! {},
            errors,
        )
    };
    if me.session.verify_csrf(&form.csrf_token).await.is_err() {
        return again(
            StatusCode::FORBIDDEN,
            one_error("form", "change-form-expired"),
        )
        .await;
    }
    let person = &me.signed_in.user;
    let password =
        match users::validate_new_password(&form.password, &form.password_confirm, person) {
            Ok(password) => password,
            Err(errors) => return again(StatusCode::UNPROCESSABLE_ENTITY, errors).await,
        };
    if !current_password_ok(&state, &me, &form.current_password).await? {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            one_error("current_password", "change-wrong-password"),
        )
        .await;
    }
    let ip = ip.key();
    let change = accounts::PasswordChange {
        person,
        password: &password,
        how: "account page",
        keep_session: Some(&me.signed_in.sso.id),
        ip: Some(&ip),
        lang: me.lang,
    };
    accounts::change_password(&state, change).await?;
    tracing::info!(user_id = %person.id, "password changed");
    me.notify(Msg::new("notice-password-changed")).await?;
    Ok(Redirect::to(routes::ACCOUNT).into_response())
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    csrf_token: String,
}

/// `GET /account/email`.
pub async fn email_form(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    render_form(
        &state,
        &me,
        templates::ACCOUNT_EMAIL,
        StatusCode::OK,
        context! { email => "" },
        FieldErrors::default(),
    )
    .await
}

/// `POST /account/email`: mails the new address a link; the address
/// changes when it is followed.
pub async fn change_email(
    State(state): State<AppState>,
    me: CurrentUser,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    let again = |status, errors| {
        render_form(
            &state,
            &me,
            templates::ACCOUNT_EMAIL,
            status,
            context! { email => form.email.clone() },
            errors,
        )
    };
    if me.session.verify_csrf(&form.csrf_token).await.is_err() {
        return again(
            StatusCode::FORBIDDEN,
            one_error("form", "change-form-expired"),
        )
        .await;
    }
    let person = &me.signed_in.user;
    let email = match users::normalize_email(&form.email) {
        Ok(email) if email == person.email => {
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                one_error("email", "change-email-same"),
            )
            .await;
        }
        Ok(email) => email,
        Err(m) => {
            let mut errors = FieldErrors::default();
            errors.add("email", m);
            return again(StatusCode::UNPROCESSABLE_ENTITY, errors).await;
        }
    };
    if !current_password_ok(&state, &me, &form.current_password).await? {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            one_error("current_password", "change-wrong-password"),
        )
        .await;
    }
    accounts::request_email_change(&state, person, &email, me.lang).await?;
    me.notify(Msg::new("notice-email-link-sent").with("email", email))
        .await?;
    Ok(Redirect::to(routes::ACCOUNT).into_response())
}
