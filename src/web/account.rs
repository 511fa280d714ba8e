//! `GET /account` and `POST /account/sign-out-everywhere`.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use crate::domain::sso;
use crate::error::AppResult;
use crate::resources::{routes, templates};
use crate::state::AppState;
use crate::web::auth::CurrentUser;

/// Any form whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

#[derive(Serialize)]
struct SessionRow {
    created_at: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    current: bool,
}

/// `GET /account`: who I am and my live sessions.
pub async fn show(State(state): State<AppState>, me: CurrentUser) -> AppResult<Response> {
    let now = state.clock.now();
    let user = &me.signed_in.user;
    let sessions: Vec<SessionRow> = sso::list_active(&state.db, &user.id, now)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == me.signed_in.sso.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
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

/// `POST /account/sign-out-everywhere`: ends every session of this person.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    me: CurrentUser,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    me.session.verify_csrf(&form.csrf_token).await?;
    let ended = sso::end_all_for_user(&state.db, &me.signed_in.user.id, state.clock.now()).await?;
    tracing::info!(user_id = %me.signed_in.user.id, ended, "signed out everywhere");
    me.session.sign_out().await?;
    Ok(Redirect::to(routes::LOGIN).into_response())
}
