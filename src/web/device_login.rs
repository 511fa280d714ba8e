//! `GET/POST /device`: where a person signs a device in (RFC 8628 §3.3).
//! The console shows a user code; the person opens this page on their
//! phone or computer (signed in, or through the hosted login and back),
//! types the code (or follows `verification_uri_complete`, which fills it
//! in), sees which game is asking, and approves or declines.
//!
//! Every code that names nothing counts as a failed attempt of the
//! address, like a wrong password: the user code is short, and this is
//! the only place it can be guessed.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use crate::domain::device_grant::{self, Decision};
use crate::domain::throttle;
use crate::domain::users::FieldErrors;
use crate::error::AppResult;
use crate::http::page::view;
use crate::http::{ClientIp, CurrentUser};
use crate::i18n::Msg;
use crate::metrics::inc;
use crate::resources::{routes, templates};
use crate::state::AppState;
use crate::web::{Way, message_page};

/// The longest user code field worth echoing back (a code with spaces).
const TYPED_MAX: usize = 20;

#[derive(Deserialize, Default)]
pub struct DeviceQuery {
    #[serde(default)]
    user_code: String,
}

#[derive(Deserialize, Default)]
pub struct DeviceForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    user_code: String,
    /// `approve` or `deny` on the confirmation step; absent on the first.
    #[serde(default)]
    decision: Option<String>,
}

/// `GET /device[?user_code=…]`: the form, filled in from the link.
pub async fn show(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<DeviceQuery>,
) -> AppResult<Response> {
    let typed: String = q.user_code.chars().take(TYPED_MAX).collect();
    enter(&state, &me, StatusCode::OK, &typed, FieldErrors::default()).await
}

/// `POST /device`: a code to look up, or the decision on one.
pub async fn submit(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Form(form): Form<DeviceForm>,
) -> AppResult<Response> {
    let typed: String = form.user_code.chars().take(TYPED_MAX).collect();
    if me.session.verify_csrf(&form.csrf_token).await.is_err() {
        return enter(
            &state,
            &me,
            StatusCode::FORBIDDEN,
            &typed,
            one_error("form", "change-form-expired"),
        )
        .await;
    }
    let ip = ip.key();
    let now = state.clock.now();
    if let Some(until) = throttle::suspended_until(&state.db, &ip, now).await? {
        return suspended(&state, &me, &typed, until).await;
    }
    let waiting = match device_grant::normalize_user_code(&typed) {
        Some(code) => device_grant::find_waiting(&state.db, &state.keys, &code, now)
            .await?
            .map(|w| (code, w)),
        None => None,
    };
    let Some((code, waiting)) = waiting else {
        return wrong_code(&state, &me, &ip, &typed, now).await;
    };
    let decision = match form.decision.as_deref() {
        None | Some("") => {
            let page = context! {
                step => "confirm",
                user_code => device_grant::display_user_code(&code),
                client_site => view(&state, &waiting.client, None).await,
            };
            let html = state
                .templates
                .render(templates::DEVICE, me.page(page).await?)?;
            return Ok(html.into_response());
        }
        Some("approve") => Decision::Approve,
        Some(_) => Decision::Deny,
    };
    let person = &me.signed_in.user;
    let decided = device_grant::decide(
        &state.db,
        &state.keys,
        &code,
        decision,
        person,
        &me.signed_in.sso,
        state.config.session_ttl_secs,
        now,
    )
    .await?;
    if !decided {
        // Decided in another tab a moment ago, or expired meanwhile.
        return enter(
            &state,
            &me,
            StatusCode::CONFLICT,
            "",
            one_error("user_code", "device-code-gone"),
        )
        .await;
    }
    let site = waiting.client.name.clone();
    let (heading, paragraph) = match decision {
        Decision::Approve => {
            tracing::info!(user_id = %person.id, client_id = %waiting.client.client_id, "device signed in");
            (
                "device-approved-title",
                Msg::new("device-approved").with("site", site),
            )
        }
        Decision::Deny => (
            "device-denied-title",
            Msg::new("device-denied").with("site", site),
        ),
    };
    let ways = [Way::new("device-go-to-account", routes::ACCOUNT)];
    message_page(
        &state,
        me.visitor(),
        StatusCode::OK,
        heading,
        &[paragraph],
        &ways,
        None,
    )
    .await
}

/// The first step: the code field, with what is wrong with it.
async fn enter(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    typed: &str,
    errors: FieldErrors,
) -> AppResult<Response> {
    let page = context! {
        step => "enter",
        user_code => typed,
        errors => Serde(errors.in_lang(me.lang)),
    };
    let html = state
        .templates
        .render(templates::DEVICE, me.page(page).await?)?;
    Ok((status, html).into_response())
}

/// A code that names no waiting device: a failed attempt of the address.
async fn wrong_code(
    state: &AppState,
    me: &CurrentUser,
    ip: &str,
    typed: &str,
    now: i64,
) -> AppResult<Response> {
    let policy = throttle::Policy::from(state.config.as_ref());
    if let Some(until) = throttle::record_failure(&state.db, ip, policy, now).await? {
        inc(&state.metrics.ip_suspensions);
        return suspended(state, me, typed, until).await;
    }
    tracing::info!(%ip, "device user code not found");
    enter(
        state,
        me,
        StatusCode::UNPROCESSABLE_ENTITY,
        typed,
        one_error("user_code", "device-code-wrong"),
    )
    .await
}

/// Too many wrong codes (or passwords) from this address.
async fn suspended(
    state: &AppState,
    me: &CurrentUser,
    typed: &str,
    until: i64,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    errors.add(
        "form",
        Msg::new("device-suspended").duration("wait", until - state.clock.now()),
    );
    enter(state, me, StatusCode::TOO_MANY_REQUESTS, typed, errors).await
}

fn one_error(field: &'static str, key: &'static str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.add(field, Msg::new(key));
    errors
}
