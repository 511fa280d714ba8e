//! `GET /account`, the per-session sign-out and `POST /account/sign-out-everywhere`.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use crate::domain::sso::{self, device_name};
use crate::error::{AppError, AppResult};
use crate::http::ClientIp;
use crate::http::CurrentUser;
use crate::resources::{routes, templates};
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
        username => user.username.clone(),
        email => user.email.clone(),
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
