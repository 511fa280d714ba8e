//! `/admin/clients…`: list, add (credentials shown once), edit, rotate the
//! secret, disable/enable, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::{ActionForm, AdminUser, Confirm};
use crate::domain::clients::{self, ClientCredentials, TokenAlg};
use crate::error::{AppError, AppResult};
use crate::resources::{admin_paths, session_keys, templates};
use crate::state::AppState;

#[derive(Serialize)]
struct ClientRow {
    #[serde(flatten)]
    site: clients::ClientSite,
    live_tokens: u64,
}

pub async fn list(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let counts = clients::live_token_counts(&state.db, state.clock.now()).await?;
    let rows: Vec<ClientRow> = clients::list(&state.db)
        .await?
        .into_iter()
        .map(|site| ClientRow {
            live_tokens: counts.get(&site.client_id).copied().unwrap_or(0),
            site,
        })
        .collect();
    admin
        .render(
            &state,
            templates::ADMIN_CLIENTS,
            "clients",
            context! { clients => Serde(rows) },
        )
        .await
}

fn algs() -> Vec<&'static str> {
    TokenAlg::ALL.iter().map(|a| a.as_str()).collect()
}

pub async fn new_form(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let page = context! { algs => algs(), token_alg => "HS256", name => "", redirect_uris => "" };
    admin
        .render(&state, templates::ADMIN_CLIENT_NEW, "clients", page)
        .await
}

#[derive(Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    token_alg: String,
    #[serde(default)]
    csrf_token: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the one-time credentials page shows. It waits in the HTTP session
/// between the POST and the page that shows it (so a reload cannot show it
/// again, nor create a second client), encrypted, never in plain text.
#[derive(Serialize, Deserialize)]
struct OneTime {
    name: String,
    creds: ClientCredentials,
}

const ONE_TIME_CONTEXT: &str = "one-time-credentials";

async fn keep_once(state: &AppState, admin: &AdminUser, shown: &OneTime) -> AppResult<()> {
    let json = serde_json::to_vec(shown)
        .map_err(|e| AppError::internal(format!("one-time credentials: {e}")))?;
    let sealed = state.keys.seal(ONE_TIME_CONTEXT, &json)?;
    admin
        .me
        .session
        .put(session_keys::ONE_TIME_SECRET, &sealed)
        .await
}

async fn take_once(state: &AppState, admin: &AdminUser) -> AppResult<Option<OneTime>> {
    let sealed: Option<String> = admin.me.session.take(session_keys::ONE_TIME_SECRET).await?;
    Ok(sealed
        .and_then(|s| state.keys.open(ONE_TIME_CONTEXT, &s).ok())
        .and_then(|json| serde_json::from_slice(&json).ok()))
}

pub async fn create(
    State(state): State<AppState>,
    admin: AdminUser,
    axum::Form(form): axum::Form<ClientForm>,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let alg: Result<TokenAlg, String> = form.token_alg.parse();
    let result = match alg {
        Ok(alg) => {
            let uris = lines(&form.redirect_uris);
            let allow_http = state.config.allow_http_redirect_uris;
            admin
                .admin
                .create_client(
                    &state.db,
                    &state.keys,
                    &form.name,
                    &uris,
                    alg,
                    allow_http,
                    state.clock.now(),
                )
                .await
        }
        Err(message) => Err(AppError::BadRequest(message)),
    };
    match result {
        Ok((site, creds)) => {
            let id = site.client_id.clone();
            keep_once(
                &state,
                &admin,
                &OneTime {
                    name: site.name,
                    creds,
                },
            )
            .await?;
            Ok(Redirect::to(&admin_paths::client_created(&id)).into_response())
        }
        Err(AppError::BadRequest(error)) => {
            let page = context! {
                algs => algs(), token_alg => form.token_alg, name => form.name,
                redirect_uris => form.redirect_uris, error,
            };
            let response = admin
                .render(&state, templates::ADMIN_CLIENT_NEW, "clients", page)
                .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response())
        }
        Err(err) => Err(err),
    }
}

/// Shows freshly made credentials exactly once.
pub async fn created(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let shown = take_once(&state, &admin)
        .await?
        .filter(|s| s.creds.client_id == id);
    let page = match shown {
        Some(s) => context! { client_id => id, name => s.name, creds => Serde(s.creds) },
        None => context! { client_id => id },
    };
    let mut response = admin
        .render(&state, templates::ADMIN_CLIENT_CREATED, "clients", page)
        .await?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn site_or_404(state: &AppState, id: &str) -> AppResult<clients::ClientSite> {
    clients::site(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let site = site_or_404(&state, &id).await?;
    let live_tokens = clients::live_token_count(&state.db, &id, state.clock.now()).await?;
    let page = context! {
        name => site.name.clone(), redirect_uris => site.redirect_uris.join("\n"),
        client => Serde(site), live_tokens,
    };
    admin
        .render(&state, templates::ADMIN_CLIENT, "clients", page)
        .await
}

pub async fn update(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ClientForm>,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let uris = lines(&form.redirect_uris);
    let allow_http = state.config.allow_http_redirect_uris;
    match admin
        .admin
        .update_client(
            &state.db,
            &id,
            &form.name,
            &uris,
            allow_http,
            state.clock.now(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&admin_paths::client(&id)).into_response()),
        Err(AppError::BadRequest(error)) => {
            let site = site_or_404(&state, &id).await?;
            let live_tokens = clients::live_token_count(&state.db, &id, state.clock.now()).await?;
            let page = context! {
                name => form.name, redirect_uris => form.redirect_uris, client => Serde(site), live_tokens, error,
            };
            let response = admin
                .render(&state, templates::ADMIN_CLIENT, "clients", page)
                .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response())
        }
        Err(err) => Err(err),
    }
}

pub async fn confirm_rotate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let site = site_or_404(&state, &id).await?;
    let message = format!(
        "The current secret of “{}” stops working at once; the site needs the new one.",
        site.name
    );
    let action = admin_paths::client_rotate(&id);
    admin
        .confirm(
            &state,
            "clients",
            Confirm {
                heading: "Rotate the client secret?",
                message: &message,
                action: &action,
                button: "Rotate the secret",
                back: &admin_paths::client(&id),
            },
        )
        .await
}

pub async fn rotate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let site = site_or_404(&state, &id).await?;
    let secret = admin
        .admin
        .rotate_client_secret(&state.db, &id, state.clock.now())
        .await?;
    let creds = ClientCredentials {
        client_id: id.clone(),
        client_secret: secret,
        jwt_secret: None,
    };
    keep_once(
        &state,
        &admin,
        &OneTime {
            name: site.name,
            creds,
        },
    )
    .await?;
    Ok(Redirect::to(&admin_paths::client_created(&id)).into_response())
}
