//! A forgotten password: `GET/POST /password/forgot` mails a link, and
//! `GET/POST /password/reset?token=…` sets a new password with it.
//!
//! The forgotten-password page answers the same for every well-formed
//! address, known or not; what is done is in [`accounts`].

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::domain::users::{self, FieldErrors};
use crate::domain::{accounts, rate_limit};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::http::errors::on_the_way;
use crate::http::page::client_site_of;
use crate::http::{ClientIp, Visitor, safe_next};
use crate::i18n::Msg;
use crate::resources::{RESET_LINK_SECS, routes, templates};
use crate::state::AppState;
use crate::web::login::{DONE_PASSWORD_RESET, NextQuery};
use crate::web::{Way, message_page};

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: Option<String>,
}

/// `GET /password/forgot`.
pub async fn forgot(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let next = q.next_target();
    render_forgot(
        &state,
        &visitor,
        StatusCode::OK,
        next.as_deref(),
        "",
        FieldErrors::default(),
    )
    .await
}

async fn render_forgot(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    next: Option<&str>,
    email: &str,
    errors: FieldErrors,
) -> AppResult<Response> {
    let page = context! {
        next,
        email,
        errors => Value::from(Serde(errors.in_lang(visitor.lang))),
        client_site => client_site_of(state, next).await,
    };
    let ctx = visitor.page(true, page).await?;
    Ok((
        status,
        state.templates.render(templates::PASSWORD_FORGOT, ctx)?,
    )
        .into_response())
}

/// `POST /password/forgot`: the same "check your mail" for every
/// well-formed address.
pub async fn request(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let next = form.next.as_deref().and_then(safe_next);
    let again = |status, field: &'static str, key: &'static str| {
        let mut errors = FieldErrors::default();
        errors.add(field, key);
        render_forgot(
            &state,
            &visitor,
            status,
            next.as_deref(),
            &form.email,
            errors,
        )
    };
    if visitor.session.verify_csrf(&form.csrf_token).await.is_err() {
        return again(StatusCode::FORBIDDEN, "form", "forgot-form-expired").await;
    }
    let email = match users::normalize_email(&form.email) {
        Ok(email) => email,
        Err(_) => {
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "email",
                "field-email-shape",
            )
            .await;
        }
    };
    let now = state.clock.now();
    let limit = rate_limit::Limit {
        hits: state.config.password_resets_per_hour,
        window_secs: 3600,
    };
    let key = format!(
        "reset:{}",
        client.throttle_key(state.config.ipv6_prefix_len)
    );
    if let Some(until) = rate_limit::hit(&state.db, &key, limit, now).await? {
        let too_many = AppError::TooManyRequests {
            until,
            message: Msg::new("forgot-too-many").duration("wait", until - now),
        };
        return Ok(on_the_way(
            too_many,
            client_site_of(&state, next.as_deref()).await,
        ));
    }
    accounts::request_reset(&state, &email, next.as_deref(), visitor.lang).await?;
    let paragraphs = [
        Msg::new("forgot-sent")
            .with("email", email)
            .duration("wait", RESET_LINK_SECS),
        Msg::new("forgot-sent-nothing"),
    ];
    let ways = [Way::new(
        "forgot-back-to-sign-in",
        crate::http::login_url(next.as_deref().unwrap_or(routes::ACCOUNT)),
    )];
    message_page(
        &state,
        &visitor,
        StatusCode::OK,
        "forgot-sent-title",
        &paragraphs,
        &ways,
        next.as_deref(),
    )
    .await
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    csrf_token: String,
}

/// A link that no longer works (used, expired, never was): the error page,
/// with the way to ask for a new one.
fn dead_link() -> AppError {
    AppError::bad_request("reset-link-invalid")
}

/// `GET /password/reset?token=…`: the form, if the link is good. Nothing is
/// used up by looking (mail scanners open links).
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    let person = accounts::reset_target(&state, &q.token)
        .await?
        .ok_or_else(dead_link)?;
    render_reset(
        &state,
        &visitor,
        StatusCode::OK,
        &q.token,
        &person,
        FieldErrors::default(),
    )
    .await
}

async fn render_reset(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    token: &str,
    person: &user::Model,
    errors: FieldErrors,
) -> AppResult<Response> {
    let page = context! {
        token,
        username => person.username.clone(),
        errors => Value::from(Serde(errors.in_lang(visitor.lang))),
    };
    let ctx = visitor.page(true, page).await?;
    let mut response = (
        status,
        state.templates.render(templates::PASSWORD_RESET, ctx)?,
    )
        .into_response();
    // The token is in this page's URL: keep it out of caches and Referer.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /password/reset`: the new password; every session of the account
/// ends, and the person signs in with it.
pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let person = accounts::reset_target(&state, &form.token)
        .await?
        .ok_or_else(dead_link)?;
    let again =
        |status, errors| render_reset(&state, &visitor, status, &form.token, &person, errors);
    if visitor.session.verify_csrf(&form.csrf_token).await.is_err() {
        let mut errors = FieldErrors::default();
        errors.add("form", "reset-form-expired");
        return again(StatusCode::FORBIDDEN, errors).await;
    }
    let password =
        match users::validate_new_password(&form.password, &form.password_confirm, &person) {
            Ok(password) => password,
            Err(errors) => return again(StatusCode::UNPROCESSABLE_ENTITY, errors).await,
        };
    let ip = client.key();
    let Some(return_to) = accounts::reset_password(
        &state,
        &form.token,
        &person,
        &password,
        Some(&ip),
        visitor.lang,
    )
    .await?
    else {
        return Err(dead_link());
    };
    tracing::info!(user_id = %person.id, "password reset");
    // This browser may have been signed in to the account: that ended too.
    if visitor.signed_in.is_some() {
        visitor.session.sign_out().await?;
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("done", DONE_PASSWORD_RESET);
    if let Some(next) = return_to.as_deref().and_then(safe_next) {
        query.append_pair("next", &next);
    }
    Ok(Redirect::to(&format!("{}?{}", routes::LOGIN, query.finish())).into_response())
}
