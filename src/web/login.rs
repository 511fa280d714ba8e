//! The hosted login: `GET/POST /login`, and what signing in does.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{audit, mfa, sso, throttle, users};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::http::errors::on_the_way;
use crate::http::page::client_site_of;
use crate::http::{ClientIp, Visitor, WebSession, safe_next};
use crate::i18n::Msg;
use crate::metrics::inc;
use crate::resources::{PASSWORD_MAX, routes, templates};
use crate::state::AppState;
use crate::web::device;

/// The one message for every failed sign-in: it never says whether the account exists.
pub const WRONG_CREDENTIALS: &str = "login-wrong";

/// `?next=` on the sign-in and registration pages (and `reauth=1`: show
/// the sign-in form even to a signed-in person, who must sign in again).
#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    reauth: Option<String>,
    /// What was just done elsewhere (`password-reset`), for a notice.
    #[serde(default)]
    done: Option<String>,
}

impl NextQuery {
    /// The return target, if it is a safe one.
    pub fn next_target(&self) -> Option<String> {
        self.next.as_deref().and_then(safe_next)
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: Option<String>,
}

/// `GET /login`: the form, or straight on if already signed in (unless a
/// site asked for a fresh sign-in).
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let next = q.next_target();
    let reauth = q.reauth.is_some();
    let username = match &visitor.signed_in {
        Some(_) if !reauth => {
            return Ok(Redirect::to(next.as_deref().unwrap_or(routes::ACCOUNT)).into_response());
        }
        Some(signed_in) => signed_in.user.username.clone(),
        None => String::new(),
    };
    let notice = match q.done.as_deref() {
        Some(DONE_PASSWORD_RESET) => Some(Msg::new("login-after-reset")),
        _ => None,
    };
    let form = Shown {
        status: StatusCode::OK,
        username: &username,
        next: next.as_deref(),
        error: None,
        notice,
    };
    render(&state, &visitor, form).await
}

/// `/login?done=password-reset`: the notice after a reset.
pub const DONE_PASSWORD_RESET: &str = "password-reset";

/// The sign-in form as it is shown again.
struct Shown<'a> {
    status: StatusCode,
    username: &'a str,
    next: Option<&'a str>,
    error: Option<Msg>,
    notice: Option<Msg>,
}

async fn render(state: &AppState, visitor: &Visitor, form: Shown<'_>) -> AppResult<Response> {
    let reauth = visitor.signed_in.is_some();
    let client_site = client_site_of(state, form.next).await;
    let ctx = visitor
        .page(
            true,
            context! {
                username => form.username,
                next => form.next,
                error => form.error.map(|m| visitor.tr(&m)),
                notice => form.notice.map(|m| visitor.tr(&m)),
                reauth,
                registration_enabled => state.config.registration_enabled,
                passkeys => state.passkeys.is_some(),
                client_site,
            },
        )
        .await?;
    Ok((form.status, state.templates.render(templates::LOGIN, ctx)?).into_response())
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let next = form.next.as_deref().and_then(safe_next);
    let shown = |status, error: &'static str| Shown {
        status,
        username: &form.username,
        next: next.as_deref(),
        error: Some(Msg::new(error)),
        notice: None,
    };
    // A form left open too long: shown again with a fresh token, the
    // pending authorization request kept, nothing counted.
    if visitor.session.verify_csrf(&form.csrf_token).await.is_err() {
        return render(
            &state,
            &visitor,
            shown(StatusCode::FORBIDDEN, "login-form-expired"),
        )
        .await;
    }
    let login = users::normalize_login(&form.username);
    let password_ok_len =
        !form.password.is_empty() && form.password.chars().count() <= PASSWORD_MAX;
    // A blank or impossible form is no guess: nothing is checked or counted.
    let Some(login) = login.filter(|_| password_ok_len) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &visitor, shown(status, "login-blank")).await;
    };
    let now = state.clock.now();
    let policy = throttle::Policy::from(state.config.as_ref());
    let ip_key = ClientIp(ip).key();
    let throttle_key = ClientIp(ip).throttle_key(state.config.ipv6_prefix_len);
    let site = || client_site_of(&state, next.as_deref());

    // The suspension check comes before any password work.
    let attempt = match throttle::reserve(&state.db, &throttle_key, policy, now).await? {
        throttle::Gate::Open(attempt) => attempt,
        throttle::Gate::Suspended { until } => {
            inc(&state.metrics.logins_refused_suspended);
            return Ok(on_the_way(suspended(until), site().await));
        }
        throttle::Gate::Busy => {
            inc(&state.metrics.logins_refused_suspended);
            let busy = AppError::TooManyRequests {
                until: now + 2,
                message: Msg::new("login-busy"),
            };
            return Ok(on_the_way(busy, site().await));
        }
    };

    let account = users::find_for_login(&state.db, &login).await?;
    let account_key = throttle::account_key(account.as_ref().map(|u| u.id.as_str()), &login);

    // The per-account throttle, which a browser that signed in before skips.
    let known_device = account.as_ref().is_some_and(|u| {
        device::user_id(&headers, &state.keys, now, state.config.is_https()).as_deref()
            == Some(u.id.as_str())
    });
    let gate = if known_device {
        throttle::AccountGate::Open
    } else {
        throttle::reserve_account(&state.db, &account_key, policy, now).await?
    };
    if let throttle::AccountGate::Wait { until } = gate {
        throttle::succeeded(&state.db, &attempt).await?; // no password was checked
        let form = Shown {
            error: Some(Msg::new("login-account-wait").duration("wait", until - now)),
            ..shown(StatusCode::TOO_MANY_REQUESTS, "login-account-wait")
        };
        return render(&state, &visitor, form).await;
    }

    let password = SecretString::from(form.password.clone());
    // Always one argon2 verification: against the account's hash, or a dummy.
    let verified = state
        .passwords
        .verify(
            &password,
            account.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;

    match account {
        Some(user) if verified && !user.disabled => {
            throttle::succeeded(&state.db, &attempt).await?;
            if mfa::has_factor(&state.db, &user.id).await? {
                // The password was right; the second step decides. The
                // account's failure count stands until it passes.
                return crate::http::second_step::begin(&state, &visitor, &user, next.as_deref())
                    .await;
            }
            throttle::account_succeeded(&state.db, &account_key).await?;
            let arrival = Arrival {
                user: &user,
                ip: &ip_key,
                headers: &headers,
                proof: sso::Proof::Password,
                next: next.as_deref(),
            };
            signed_in(&state, &visitor, arrival).await
        }
        Some(user) if verified => {
            // Right password, disabled account: saying so leaks nothing the
            // password holder does not know.
            throttle::succeeded(&state.db, &attempt).await?;
            throttle::account_succeeded(&state.db, &account_key).await?;
            tracing::info!(user_id = %user.id, "sign-in to a disabled account refused");
            render(
                &state,
                &visitor,
                shown(StatusCode::FORBIDDEN, "login-disabled"),
            )
            .await
        }
        account => {
            inc(&state.metrics.logins_failed);
            if known_device {
                // Not reserved above; the failure counts all the same.
                throttle::account_failed(&state.db, &account_key, policy, now).await?;
            }
            let person = account.as_ref().map(|u| audit::Person {
                user_id: &u.id,
                username: &u.username,
            });
            let details = if person.is_some() {
                "wrong password"
            } else {
                "no such account"
            };
            audit::record(
                &state.db,
                audit::Event::SignInFailed,
                person,
                Some(&ip_key),
                details,
                now,
            )
            .await?;
            let door = Door {
                attempt: &attempt,
                ip: &ip_key,
                throttle_key: &throttle_key,
            };
            let error = count_failure(&state, door, WRONG_PASSWORD).await?;
            let form = Shown {
                error: Some(error),
                ..shown(StatusCode::OK, WRONG_CREDENTIALS)
            };
            render(&state, &visitor, form).await
        }
    }
}

/// A person who just proved who they are, on their way in.
pub struct Arrival<'a> {
    pub user: &'a user::Model,
    pub ip: &'a str,
    pub headers: &'a HeaderMap,
    pub proof: sso::Proof,
    pub next: Option<&'a str>,
}

/// Signs `arrival` in: the audit entry, then either the session this
/// browser already has for them (proved again) or a new one (ending
/// someone else's), and on to `next`.
pub async fn signed_in(
    state: &AppState,
    visitor: &Visitor,
    arrival: Arrival<'_>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let user = arrival.user;
    inc(&state.metrics.logins_succeeded);
    tracing::info!(user_id = %user.id, amr = arrival.proof.amr(), "signed in");
    let person = audit::Person {
        user_id: &user.id,
        username: &user.username,
    };
    let again = visitor.signed_in.as_ref().filter(|c| c.user.id == user.id);
    let details = match (again.is_some(), arrival.proof) {
        (true, sso::Proof::Password) => "again, when asked".to_owned(),
        (true, proof) => format!("again, when asked ({})", proof.amr()),
        (false, sso::Proof::Password) => String::new(),
        (false, proof) => proof.amr().to_owned(),
    };
    audit::record(
        &state.db,
        audit::Event::SignIn,
        Some(person),
        Some(arrival.ip),
        &details,
        now,
    )
    .await?;
    if let Some(current) = again {
        // Proved again in the session it already has.
        sso::reauthenticated(&state.db, &current.sso.id, arrival.proof, now).await?;
        visitor.session.renew_id().await?;
        return Ok(go_on(arrival.next));
    }
    if let Some(current) = &visitor.signed_in {
        // Someone else signs in on this browser: it is theirs now.
        let ending = sso::Ending {
            reason: "another person signed in on the same browser",
            ip: Some(arrival.ip),
        };
        sso::end(&state.db, &current.sso.id, ending, now).await?;
    }
    complete_sign_in(
        state,
        &visitor.session,
        user,
        arrival.ip,
        arrival.headers,
        arrival.proof,
        arrival.next,
    )
    .await
}

/// An attempt let in at the address's gate.
pub struct Door<'a> {
    pub attempt: &'a throttle::Attempt,
    pub ip: &'a str,
    pub throttle_key: &'a str,
}

/// What a failed attempt tells the person: wrong; wrong, and one more
/// pauses the address; wrong, and the address is paused now.
pub struct Wrong {
    pub plain: &'static str,
    pub last_chance: &'static str,
    pub now_paused: &'static str,
}

const WRONG_PASSWORD: Wrong = Wrong {
    plain: WRONG_CREDENTIALS,
    last_chance: "login-wrong-last-chance",
    now_paused: "login-wrong-now-paused",
};

/// Counts a failed attempt (a wrong password or second-factor code)
/// against the address, suspending it at the limit (audited), and says so.
pub async fn count_failure(state: &AppState, door: Door<'_>, wrong: Wrong) -> AppResult<Msg> {
    let now = state.clock.now();
    let policy = throttle::Policy::from(state.config.as_ref());
    if let Some(until) = throttle::failed(&state.db, door.attempt, policy, now).await? {
        inc(&state.metrics.ip_suspensions);
        tracing::info!(ip = %door.ip, until, "sign-in failed; address suspended");
        let details = format!(
            "{} suspended for {}",
            door.throttle_key,
            crate::clock::format_duration(until - now)
        );
        audit::record(
            &state.db,
            audit::Event::AddressSuspended,
            None,
            Some(door.ip),
            &details,
            now,
        )
        .await?;
        // Checked and wrong: the form again, saying what happens now.
        return Ok(Msg::new(wrong.now_paused).duration("wait", until - now));
    }
    tracing::info!(ip = %door.ip, "sign-in failed");
    // The last attempt before a suspension says so.
    Ok(if throttle::attempts_left(door.attempt, policy) == 1 {
        Msg::new(wrong.last_chance).duration("wait", policy.suspension_secs)
    } else {
        Msg::new(wrong.plain)
    })
}

/// The 429 for a suspended address.
pub fn suspended(until: i64) -> AppError {
    AppError::TooManyRequests {
        until,
        message: Msg::new("login-suspended"),
    }
}

/// Starts the SSO session, binds this browser to it, remembers the device,
/// and sends the browser on.
pub async fn complete_sign_in(
    state: &AppState,
    session: &WebSession,
    user: &user::Model,
    ip: &str,
    headers: &HeaderMap,
    proof: sso::Proof,
    next: Option<&str>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let sso = sso::start(
        &state.db,
        &user.id,
        state.config.session_ttl_secs,
        Some(ip.to_owned()),
        user_agent,
        proof,
        now,
    )
    .await?;
    session.sign_in(&sso).await?;
    let mut response = go_on(next);
    if let Some(cookie) = device::set_cookie(&state.keys, &user.id, now, state.config.is_https()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The redirect after a sign-in: to the return target, or the account page.
fn go_on(next: Option<&str>) -> Response {
    let mut response = Redirect::to(next.unwrap_or(routes::ACCOUNT)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
