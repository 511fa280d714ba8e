//! `/account/security`: a person's second factors. Authenticator apps
//! (TOTP: the `otpauth://` URI as text and as a QR code drawn here,
//! confirmed by a first `code`), passkeys (see [`crate::web::passkeys`]),
//! and recovery codes (ten, shown once when the first factor is added and
//! whenever they are made anew). Every change needs a recent sign-in
//! (within [`RECENT_SIGN_IN_SECS`]; older, and the person signs in again
//! first), is audited, and is mailed to the person.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use crate::domain::{audit, mfa};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::http::{ClientIp, CurrentUser, reauth_url};
use crate::i18n::Msg;
use crate::mail::{Kind, Letter, queue};
use crate::resources::{routes, session_keys, templates};
use crate::state::AppState;

/// How recent a sign-in must be to change the second factors.
pub const RECENT_SIGN_IN_SECS: i64 = 300;

/// The longest name a factor may have.
const NAME_MAX: usize = 60;

/// `Ok(None)` if the sign-in is recent enough; else where to prove it again.
pub fn recent_enough(state: &AppState, me: &CurrentUser, back: &str) -> Option<Response> {
    let age = state.clock.now() - me.signed_in.sso.authenticated_at;
    (age > RECENT_SIGN_IN_SECS).then(|| Redirect::to(&reauth_url(back)).into_response())
}

/// Audits a change of the factors and tells the person by mail.
pub async fn record_change(
    state: &AppState,
    me: &CurrentUser,
    ip: &str,
    event: audit::Event,
    kind: Option<Kind>,
    what: &str,
) -> AppResult<()> {
    let user = &me.signed_in.user;
    let person = audit::Person {
        user_id: &user.id,
        username: &user.username,
    };
    audit::record(
        &state.db,
        event,
        Some(person),
        Some(ip),
        what,
        state.clock.now(),
    )
    .await?;
    if let Some(kind) = kind {
        tell(state, user, kind, what, me.lang).await?;
    }
    Ok(())
}

/// Mails `user` about a change of their factors.
pub async fn tell(
    state: &AppState,
    user: &user::Model,
    kind: Kind,
    what: &str,
    lang: crate::i18n::Lang,
) -> AppResult<()> {
    let letter = Letter::new(kind, &user.email, lang)
        .with("username", user.username.clone())
        .with("what", what.to_owned())
        .link(format!(
            "{}{}",
            state.config.issuer,
            routes::ACCOUNT_SECURITY
        ));
    queue::send(state, &letter).await
}

#[derive(Serialize)]
struct FactorRow {
    id: String,
    kind: String,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

/// `GET /account/security`.
pub async fn show(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    let user = &me.signed_in.user;
    let factors: Vec<FactorRow> = mfa::factors(&state.db, &user.id)
        .await?
        .into_iter()
        .map(|f| FactorRow {
            id: f.id,
            kind: f.kind,
            name: f.name,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
        })
        .collect();
    let page = context! {
        notice => me.take_notice().await?,
        codes_left => mfa::recovery_codes_left(&state.db, &user.id).await?,
        has_factor => !factors.is_empty(),
        factors => Serde(factors),
        recent => recent_enough(&state, &me, routes::ACCOUNT_SECURITY).is_none(),
        passkeys => state.passkeys.is_some(),
    };
    Ok(state
        .templates
        .render(templates::ACCOUNT_SECURITY, me.page(page).await?)?
        .into_response())
}

/// An authenticator app being added, kept (sealed) in the HTTP session
/// between the page that shows its secret and the code that confirms it.
#[derive(Serialize, Deserialize)]
struct PendingTotp {
    sealed_secret: String,
}

const PENDING_TOTP_CONTEXT: &str = "pending totp";

async fn pending_secret(state: &AppState, me: &CurrentUser) -> AppResult<Vec<u8>> {
    let pending: Option<PendingTotp> = me.session.get(session_keys::PENDING_TOTP).await?;
    if let Some(secret) =
        pending.and_then(|p| state.keys.open(PENDING_TOTP_CONTEXT, &p.sealed_secret).ok())
    {
        return Ok(secret);
    }
    let secret = mfa::new_totp_secret()?;
    let pending = PendingTotp {
        sealed_secret: state.keys.seal(PENDING_TOTP_CONTEXT, &secret)?,
    };
    me.session.put(session_keys::PENDING_TOTP, &pending).await?;
    Ok(secret)
}

async fn render_totp(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    name: &str,
    error: Option<Msg>,
) -> AppResult<Response> {
    let secret = pending_secret(state, me).await?;
    let user = &me.signed_in.user;
    let uri = mfa::otpauth_uri(&secret, &state.config.site_name, &user.username)?;
    let page = context! {
        uri => uri.clone(),
        secret => mfa::secret_text(&secret),
        // Drawn here from our own data: safe to put in the page as it is.
        qr => Value::from_safe_string(mfa::qr_svg(&uri)?),
        name,
        error => error.map(|m| me.tr(&m)),
    };
    let html = state
        .templates
        .render(templates::ACCOUNT_TOTP, me.page(page).await?)?;
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `GET /account/security/totp`: a new secret, as a QR code and as text.
pub async fn totp_form(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    if let Some(again) = recent_enough(&state, &me, routes::ACCOUNT_TOTP) {
        return Ok(again);
    }
    render_totp(&state, &me, StatusCode::OK, "", None).await
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /account/security/totp`: the first code confirms the app.
pub async fn add_totp(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Form(form): Form<TotpForm>,
) -> AppResult<Response> {
    if let Some(again) = recent_enough(&state, &me, routes::ACCOUNT_TOTP) {
        return Ok(again);
    }
    let again = |status, error: &'static str| {
        render_totp(&state, &me, status, &form.name, Some(Msg::new(error)))
    };
    if me.session.verify_csrf(&form.csrf_token).await.is_err() {
        return again(StatusCode::FORBIDDEN, "change-form-expired").await;
    }
    let name = form.name.trim();
    let name = if name.is_empty() {
        me.tr(&Msg::new("security-totp-default-name"))
    } else {
        name.to_owned()
    };
    if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "security-name-invalid").await;
    }
    let secret = pending_secret(&state, &me).await?;
    let now = state.clock.now();
    let Some(step) = mfa::code_step(&secret, &form.code, now) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "security-totp-wrong").await;
    };
    let user = &me.signed_in.user;
    let first = !mfa::has_factor(&state.db, &user.id).await?;
    mfa::add_totp(&state.db, &state.keys, &user.id, &name, &secret, step, now).await?;
    me.session.remove(session_keys::PENDING_TOTP).await?;
    let ip = ip.key();
    let what = format!("{} ({})", name, me.tr(&Msg::new("security-kind-totp")));
    record_change(
        &state,
        &me,
        &ip,
        audit::Event::FactorAdded,
        Some(Kind::FactorAdded),
        &what,
    )
    .await?;
    if first {
        // The first factor comes with recovery codes, shown once.
        return show_new_codes(&state, &me, &ip).await;
    }
    me.notify(Msg::new("notice-factor-added").with("name", name))
        .await?;
    Ok(Redirect::to(routes::ACCOUNT_SECURITY).into_response())
}

/// New recovery codes, shown once on the page this answers with.
pub async fn show_new_codes(state: &AppState, me: &CurrentUser, ip: &str) -> AppResult<Response> {
    let user = &me.signed_in.user;
    let codes =
        mfa::new_recovery_codes(&state.db, &state.keys, &user.id, state.clock.now()).await?;
    record_change(state, me, ip, audit::Event::RecoveryCodesRenewed, None, "").await?;
    codes_page(state, me, codes).await
}

/// `GET /account/security/recovery-codes/new`: the codes made with a first
/// passkey (by the page's script), once; after that, the security page.
pub async fn new_codes_once(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    let codes: Option<Vec<String>> = me.session.take(session_keys::NEW_RECOVERY_CODES).await?;
    match codes {
        Some(codes) => codes_page(&state, &me, codes).await,
        None => Ok(Redirect::to(routes::ACCOUNT_SECURITY).into_response()),
    }
}

async fn codes_page(state: &AppState, me: &CurrentUser, codes: Vec<String>) -> AppResult<Response> {
    let html = state.templates.render(
        templates::RECOVERY_CODES,
        me.page(context! { codes }).await?,
    )?;
    let mut response = html.into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /account/security/recovery-codes`: new codes; the old ones stop working.
pub async fn renew_codes(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Form(form): Form<CsrfOnly>,
) -> AppResult<Response> {
    if let Some(again) = recent_enough(&state, &me, routes::ACCOUNT_SECURITY) {
        return Ok(again);
    }
    me.session.verify_csrf(&form.csrf_token).await?;
    if !mfa::has_factor(&state.db, &me.signed_in.user.id).await? {
        return Err(AppError::bad_request("security-codes-need-factor"));
    }
    show_new_codes(&state, &me, &ip.key()).await
}

/// `POST /account/security/factors/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    me: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> AppResult<Response> {
    if let Some(again) = recent_enough(&state, &me, routes::ACCOUNT_SECURITY) {
        return Ok(again);
    }
    me.session.verify_csrf(&form.csrf_token).await?;
    let removed = mfa::remove(&state.db, &me.signed_in.user.id, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = match removed.kind.as_str() {
        mfa::TOTP => "security-kind-totp",
        _ => "security-kind-passkey",
    };
    let what = format!("{} ({})", removed.name, me.tr(&Msg::new(kind)));
    record_change(
        &state,
        &me,
        &ip.key(),
        audit::Event::FactorRemoved,
        Some(Kind::FactorRemoved),
        &what,
    )
    .await?;
    me.notify(Msg::new("notice-factor-removed").with("name", removed.name))
        .await?;
    Ok(Redirect::to(routes::ACCOUNT_SECURITY).into_response())
}
