//! `GET /account`, the per-session sign-out and `POST /account/sign-out-everywhere`.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use crate::domain::sso;
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
    device: String,
    created_at: i64,
    last_seen: i64,
    expires_at: i64,
    ip: Option<String>,
    sites: Vec<String>,
    current: bool,
}

/// "Firefox on Linux", "Safari on iPhone": the browser and system a
/// User-Agent names, for people. `None` when it names nothing known.
pub fn device_name(user_agent: &str) -> Option<String> {
    let parsed = woothee::parser::Parser::new().parse(user_agent)?;
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    match (known(parsed.name), known(parsed.os)) {
        (true, true) => Some(format!("{} on {}", parsed.name, parsed.os)),
        (true, false) => Some(parsed.name.to_owned()),
        (false, true) => Some(parsed.os.to_owned()),
        (false, false) => None,
    }
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
                .unwrap_or_else(|| "Unknown browser".to_owned()),
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

#[cfg(test)]
mod tests {
    use super::device_name;

    #[test]
    fn user_agents_become_device_names() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_name(firefox).as_deref(), Some("Firefox on Linux"));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device_name(iphone).as_deref(), Some("Safari on iPhone"));
        assert_eq!(device_name("reqwest/0.12"), None);
        assert_eq!(device_name(""), None);
    }
}
