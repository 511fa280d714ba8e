//! `/admin/users…`: search and page through accounts; disable/enable;
//! grant or remove the admin role.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::{ActionForm, AdminUser, Confirm};
use crate::domain::users;
use crate::error::{AppError, AppResult};
use crate::resources::{ADMIN_PAGE_SIZE, routes, templates};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u64>,
}

pub async fn list(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    let q: String = query
        .q
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let page = admin
        .admin
        .list_users(&state.db, &q, query.page.unwrap_or(1), ADMIN_PAGE_SIZE)
        .await?;
    let me = admin.admin.user_id().unwrap_or_default().to_owned();
    admin
        .render(
            &state,
            templates::ADMIN_USERS,
            "users",
            context! { q, me, page => Serde(page) },
        )
        .await
}

async fn username_or_404(state: &AppState, id: &str) -> AppResult<String> {
    users::find(&state.db, id)
        .await?
        .map(|u| u.username)
        .ok_or(AppError::NotFound)
}

pub async fn confirm_disable(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let name = username_or_404(&state, &id).await?;
    let message = format!(
        "{name} will be signed out everywhere, every client site's tokens for them revoked, and they cannot sign in until enabled again."
    );
    let action = format!("/admin/users/{id}/disable");
    admin
        .confirm(
            &state,
            "users",
            Confirm {
                heading: "Disable this account?",
                message: &message,
                action: &action,
                button: "Disable",
                back: routes::ADMIN_USERS,
            },
        )
        .await
}

pub async fn disable(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    admin
        .admin
        .set_user_disabled(&state.db, &id, true, state.clock.now())
        .await?;
    Ok(Redirect::to(routes::ADMIN_USERS).into_response())
}

pub async fn enable(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    admin
        .admin
        .set_user_disabled(&state.db, &id, false, state.clock.now())
        .await?;
    Ok(Redirect::to(routes::ADMIN_USERS).into_response())
}

pub async fn grant_admin(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    admin
        .admin
        .set_user_admin(&state.db, &id, true, state.clock.now())
        .await?;
    Ok(Redirect::to(routes::ADMIN_USERS).into_response())
}

pub async fn confirm_revoke_admin(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let name = username_or_404(&state, &id).await?;
    let message = format!("{name} will no longer be able to use these pages.");
    let action = format!("/admin/users/{id}/revoke-admin");
    admin
        .confirm(
            &state,
            "users",
            Confirm {
                heading: "Remove the admin role?",
                message: &message,
                action: &action,
                button: "Remove admin",
                back: routes::ADMIN_USERS,
            },
        )
        .await
}

pub async fn revoke_admin(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    admin
        .admin
        .set_user_admin(&state.db, &id, false, state.clock.now())
        .await?;
    Ok(Redirect::to(routes::ADMIN_USERS).into_response())
}
