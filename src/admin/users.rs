//! `/admin/users`: search and page through accounts. Disabling, enabling
//! and the admin role are one-button actions (`admin::actions`).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::AdminUser;
use crate::domain::admin::UserRow;
use crate::domain::sso::device_name;
use crate::domain::{audit, sso, users};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
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

/// A session of the person, as their admin page shows it.
#[derive(serde::Serialize)]
struct SessionRow {
    device: Option<String>,
    created_at: i64,
    last_seen: i64,
    ip: Option<String>,
    sites: Vec<String>,
}

/// `/admin/users/{id}`: one person: their account, where they are signed
/// in, and the latest about them in the audit log.
pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let person = users::find(&state.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let sessions: Vec<SessionRow> = sso::summaries(&state.db, &person.id, now)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            device: s
                .session
                .user_agent
                .as_deref()
                .and_then(device_name)
                .map(|m| admin.tr(&m)),
            created_at: s.session.created_at,
            last_seen: s.last_seen,
            ip: s.session.ip,
            sites: s.sites,
        })
        .collect();
    let filter = audit::Filter {
        user: Some(person.id.clone()),
        ..audit::Filter::default()
    };
    let (entries, _) = audit::entries(&state.db, &filter, 1, 20).await?;
    let entries: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let what = admin.tr(&Msg::new(audit::describe(&e.action)));
            context! { at => e.at, what, ip => e.ip, details => e.details }
        })
        .collect();
    let me = admin.admin.user_id().unwrap_or_default().to_owned();
    // The second factors, by name and kind (never their secrets).
    let factors: Vec<minijinja::Value> = crate::domain::mfa::factors(&state.db, &person.id)
        .await?
        .into_iter()
        .map(|f| context! { name => f.name, kind => f.kind, created_at => f.created_at, last_used_at => f.last_used_at })
        .collect();
    let codes_left = crate::domain::mfa::recovery_codes_left(&state.db, &person.id).await?;
    let row = UserRow::from(person);
    admin
        .render(
            &state,
            templates::ADMIN_USER,
            "users",
            context! { person => Serde(row), sessions => Serde(sessions), entries, me, now, factors, codes_left },
        )
        .await
}
