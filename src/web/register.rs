//! `GET/POST /register`: ask for an account. Every well-formed registration
//! gets the same "check your mail" page; the account starts when the mailed
//! link is followed (`/verify-email`, see [`crate::web::verify`]).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::domain::users::{self, FieldErrors};
use crate::domain::{accounts, rate_limit, throttle};
use crate::error::{AppError, AppResult};
use crate::http::ClientIp;
use crate::http::errors::on_the_way;
use crate::http::page::client_site_of;
use crate::http::{Visitor, safe_next};
use crate::i18n::Msg;
use crate::resources::{VERIFY_LINK_SECS, routes, templates};
use crate::state::AppState;
use crate::web::login::{NextQuery, suspended};
use crate::web::message_page;

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: Option<String>,
}

fn ensure_open(state: &AppState) -> AppResult<()> {
    if state.config.registration_enabled {
        Ok(())
    } else {
        Err(AppError::forbidden("register-closed"))
    }
}

/// `GET /register`.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    ensure_open(&state)?;
    let next = q.next_target();
    if visitor.signed_in.is_some() {
        return Ok(Redirect::to(next.as_deref().unwrap_or(routes::ACCOUNT)).into_response());
    }
    let form = Shown {
        next: next.as_deref(),
        ..Shown::default()
    };
    render(&state, &visitor, StatusCode::OK, form).await
}

/// The registration form as it is shown (again).
#[derive(Default)]
struct Shown<'a> {
    next: Option<&'a str>,
    username: &'a str,
    email: &'a str,
    errors: FieldErrors,
    notice: Option<Msg>,
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    form: Shown<'_>,
) -> AppResult<Response> {
    let client_site = client_site_of(state, form.next).await;
    let page = context! {
        next => form.next,
        username => form.username,
        email => form.email,
        errors => Value::from(Serde(form.errors.in_lang(visitor.lang))),
        notice => form.notice.map(|m| visitor.tr(&m)),
        client_site,
    };
    let ctx = visitor.page(true, page).await?;
    Ok((status, state.templates.render(templates::REGISTER, ctx)?).into_response())
}

/// `POST /register`.
pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    Form(form): Form<RegisterForm>,
) -> AppResult<Response> {
    ensure_open(&state)?;
    let next = form.next.as_deref().and_then(safe_next);
    let again = |errors: FieldErrors| Shown {
        next: next.as_deref(),
        username: &form.username,
        email: &form.email,
        errors,
        notice: None,
    };
    // A form left open too long: shown again with a fresh token.
    if visitor.session.verify_csrf(&form.csrf_token).await.is_err() {
        let mut errors = FieldErrors::default();
        errors.add("form", "register-form-expired");
        return render(&state, &visitor, StatusCode::FORBIDDEN, again(errors)).await;
    }
    let account = match users::validate_new_account(
        &form.username,
        &form.email,
        &form.password,
        &form.password_confirm,
    ) {
        Ok(account) => account,
        Err(errors) => {
            return render(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                again(errors),
            )
            .await;
        }
    };
    // Before any hashing: the address's suspension, its registration rate,
    // and whether the name is free.
    let now = state.clock.now();
    let client = ClientIp(ip);
    let throttle_key = client.throttle_key(state.config.ipv6_prefix_len);
    let site = || client_site_of(&state, next.as_deref());
    if let Some(until) = throttle::suspended_until(&state.db, &throttle_key, now).await? {
        return Ok(on_the_way(suspended(until), site().await));
    }
    let limit = rate_limit::Limit {
        hits: state.config.registrations_per_hour,
        window_secs: 3600,
    };
    let key = format!("register:{throttle_key}");
    if let Some(until) = rate_limit::hit(&state.db, &key, limit, now).await? {
        let too_many = AppError::TooManyRequests {
            until,
            message: Msg::new("register-too-many").duration("wait", until - now),
        };
        return Ok(on_the_way(too_many, site().await));
    }
    let email = account.email.clone();
    accounts::register(&state, account, next.as_deref(), visitor.lang).await?;
    let paragraphs = [
        Msg::new("register-sent")
            .with("email", email)
            .duration("wait", VERIFY_LINK_SECS),
        Msg::new("register-sent-nothing"),
    ];
    message_page(
        &state,
        &visitor,
        StatusCode::OK,
        "register-sent-title",
        &paragraphs,
        &[],
        next.as_deref(),
    )
    .await
}
