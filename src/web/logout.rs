//! Signing out on the auth domain: `POST /logout` (the form on every page)
//! and `GET /logout`, OpenID Connect RP-initiated logout, where a client
//! site sends the browser here with `id_token_hint`,
//! `post_logout_redirect_uri` and `state`.
//!
//! A GET that signs people out could be triggered by any page, so it signs
//! out at once only when the id_token_hint names the browser's own session;
//! otherwise it asks first, with a CSRF-protected form. The browser is sent
//! back only to a URI registered for the client (its redirect URIs).

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use crate::domain::signing::verify_id_token_hint;
use crate::domain::{clients, sso};
use crate::error::{AppError, AppResult};
use crate::http::Visitor;
use crate::http::{ClientIp, page};
use crate::resources::{routes, templates};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct LogoutParams {
    #[serde(default)]
    id_token_hint: Option<String>,
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    csrf_token: String,
}

/// Where the browser goes after signing out.
async fn destination(
    state: &AppState,
    client_id: Option<&str>,
    uri: Option<&str>,
    st: Option<&str>,
) -> AppResult<String> {
    let Some(uri) = uri.filter(|u| !u.is_empty()) else {
        return Ok(routes::HOME.to_owned());
    };
    let not_registered = || AppError::bad_request("logout-not-registered");
    let client_id = client_id.ok_or_else(not_registered)?;
    let registered = clients::redirect_uris(&state.db, client_id).await?;
    if !registered.iter().any(|r| r == uri) {
        return Err(not_registered());
    }
    let mut target = url::Url::parse(uri).map_err(|_| not_registered())?;
    if let Some(st) = st.filter(|s| !s.is_empty()) {
        target.query_pairs_mut().append_pair("state", st);
    }
    Ok(target.to_string())
}

/// `GET /logout`.
pub async fn rp_initiated(
    State(state): State<AppState>,
    visitor: Visitor,
    ip: ClientIp,
    Query(q): Query<LogoutParams>,
) -> AppResult<Response> {
    let hint = match q.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        Some(token) => Some(
            verify_id_token_hint(&state.db, &state.config.issuer, token)
                .await?
                .ok_or_else(|| AppError::bad_request("logout-bad-hint"))?,
        ),
        None => None,
    };
    if let (Some(h), Some(c)) = (&hint, &q.client_id)
        && &h.aud != c
    {
        return Err(AppError::bad_request("logout-hint-mismatch"));
    }
    let client_id = hint.as_ref().map(|h| h.aud.clone()).or(q.client_id.clone());
    let target = destination(
        &state,
        client_id.as_deref(),
        q.post_logout_redirect_uri.as_deref(),
        q.state.as_deref(),
    )
    .await?;
    let Some(signed_in) = &visitor.signed_in else {
        return Ok(Redirect::to(&target).into_response());
    };
    let own_session = hint.as_ref().is_some_and(|h| {
        h.sub == signed_in.user.id && h.sid.as_deref().is_none_or(|sid| sid == signed_in.sso.id)
    });
    if own_session {
        let ip = ip.key();
        let ending = sso::Ending {
            reason: "sign-out at a client site's request",
            ip: Some(&ip),
        };
        sso::end(&state.db, &signed_in.sso.id, ending, state.clock.now()).await?;
        visitor.session.sign_out().await?;
        tracing::info!(user_id = %signed_in.user.id, "signed out at a client site's request");
        return Ok(Redirect::to(&target).into_response());
    }
    // The question names the site that asked, if it is one we know.
    let client_site = match client_id.as_deref() {
        Some(id) => match clients::find(&state.db, id).await? {
            Some(client) if client.enabled => Some(page::view(&state, &client, None).await),
            _ => None,
        },
        None => None,
    };
    let page = context! {
        post_logout_redirect_uri => q.post_logout_redirect_uri,
        state => q.state,
        client_id,
        client_site,
    };
    let ctx = visitor.page(true, page).await?;
    Ok(state
        .templates
        .render(templates::LOGOUT, ctx)?
        .into_response())
}

/// `POST /logout`: ends this browser's SSO session (and every refresh token
/// issued under it), forgets the browser's session, and goes home or back
/// to the client site that asked.
pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    ip: ClientIp,
    Form(form): Form<LogoutParams>,
) -> AppResult<Response> {
    visitor.session.verify_csrf(&form.csrf_token).await?;
    let target = destination(
        &state,
        form.client_id.as_deref(),
        form.post_logout_redirect_uri.as_deref(),
        form.state.as_deref(),
    )
    .await?;
    if let Some(signed_in) = &visitor.signed_in {
        let ip = ip.key();
        let ending = sso::Ending {
            reason: "sign-out",
            ip: Some(&ip),
        };
        sso::end(&state.db, &signed_in.sso.id, ending, state.clock.now()).await?;
        tracing::info!(user_id = %signed_in.user.id, "signed out");
    }
    visitor.session.sign_out().await?;
    Ok(Redirect::to(&target).into_response())
}
