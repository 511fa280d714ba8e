//! `/admin/users`: search and page through accounts. Disabling, enabling
//! and the admin role are one-button actions (`admin::actions`).

use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::AdminUser;
use crate::error::AppResult;
use crate::resources::{ADMIN_PAGE_SIZE, templates};
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
