//! The admin pages: client sites, users, IP suspensions, the audit log.
//! Every handler takes an [`AdminUser`]: anonymous visitors go to the hosted
//! login, signed-in non-admins get 403, and only admins hold the
//! [`Admin`](crate::domain::admin::Admin) handle that can change anything.

mod actions;
mod clients;
mod users;

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::domain::admin::Admin;
use crate::domain::{audit, throttle};
use crate::error::{AppError, AppResult};
use crate::http::ClientIp;
use crate::http::CsrfForm;
use crate::http::CurrentUser;
use crate::resources::{ADMIN_PAGE_SIZE, admin_paths, routes, templates};
use crate::state::AppState;

/// A signed-in admin, and the handle that admin operations require.
pub struct AdminUser {
    pub me: CurrentUser,
    pub admin: Admin,
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        let ip = ClientIp::from_request_parts(parts, state)
            .await
            .ok()
            .map(|ip| ip.key());
        match Admin::authorize(&me.signed_in.user, ip) {
            Some(admin) => Ok(AdminUser { me, admin }),
            None => Err(AppError::forbidden("This page is for administrators.").into_response()),
        }
    }
}

impl AdminUser {
    /// Renders an admin page with the shared context.
    async fn render(
        &self,
        state: &AppState,
        template: &str,
        section: &str,
        page: Value,
    ) -> AppResult<Response> {
        let ctx = self.me.page(context! { section, ..page }).await?;
        Ok(state.templates.render(template, ctx)?.into_response())
    }

    /// Checks the CSRF token of a state-changing form.
    async fn check(&self, token: &str) -> AppResult<()> {
        self.me.session.verify_csrf(token).await
    }

    /// A confirmation page in front of a destructive action.
    async fn confirm(
        &self,
        state: &AppState,
        section: &str,
        c: Confirm<'_>,
    ) -> AppResult<Response> {
        let page = context! { heading => c.heading, message => c.message, action => c.action, button => c.button, back => c.back };
        self.render(state, templates::ADMIN_CONFIRM, section, page)
            .await
    }
}

/// What a confirmation page asks, and where its button posts.
struct Confirm<'a> {
    heading: &'a str,
    message: &'a str,
    action: &'a str,
    button: &'a str,
    back: &'a str,
}

/// Routes under `/admin`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            routes::ADMIN,
            get(|| async { Redirect::to(routes::ADMIN_CLIENTS) }),
        )
        .route(
            routes::ADMIN_CLIENTS,
            get(clients::list).post(clients::create),
        )
        .route(admin_paths::CLIENT_NEW, get(clients::new_form))
        .route(
            admin_paths::CLIENT,
            get(clients::show).post(clients::update),
        )
        .route(admin_paths::CLIENT_CREATED, get(clients::created))
        .route(
            admin_paths::CLIENT_ROTATE,
            get(clients::confirm_rotate).post(clients::rotate),
        )
        .route(routes::ADMIN_USERS, get(users::list))
        .route(routes::ADMIN_SUSPENSIONS, get(suspensions))
        .route(admin_paths::SUSPENSION_LIFT, post(lift_suspension))
        .route(routes::ADMIN_AUDIT, get(audit_log))
        .merge(actions::routes())
}

/// `?page=` for paged lists.
#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: Option<u64>,
}

async fn suspensions(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let now = state.clock.now();
    let rows = throttle::active_suspensions(&state.db, now).await?;
    admin
        .render(
            &state,
            templates::ADMIN_SUSPENSIONS,
            "suspensions",
            context! { rows => Serde(rows), now },
        )
        .await
}

#[derive(Deserialize)]
struct LiftForm {
    #[serde(default)]
    ip: String,
    #[serde(default)]
    csrf_token: String,
}

async fn lift_suspension(
    State(state): State<AppState>,
    admin: AdminUser,
    axum::Form(form): axum::Form<LiftForm>,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    admin
        .admin
        .lift_suspension(&state.db, form.ip.trim(), state.clock.now())
        .await?;
    Ok(Redirect::to(routes::ADMIN_SUSPENSIONS).into_response())
}

async fn audit_log(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(q): Query<PageQuery>,
    Query(filter): Query<audit::Filter>,
) -> AppResult<Response> {
    let page = q.page.unwrap_or(1).max(1);
    let (entries, pages) = admin
        .admin
        .audit_entries(&state.db, &filter, page, ADMIN_PAGE_SIZE * 4)
        .await?;
    let page = page.min(pages);
    // The filter again, for the form and the pager's links.
    let filter_query = {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("kind", &filter.kind),
            ("user", &filter.user),
            ("ip", &filter.ip),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                query.append_pair(key, value);
            }
        }
        query.finish()
    };
    let kinds: Vec<&str> = audit::Event::ALL.iter().map(|e| e.action()).collect();
    admin
        .render(
            &state,
            templates::ADMIN_AUDIT,
            "audit",
            context! {
                entries => Serde(entries), page, pages, kinds,
                kind => filter.kind, user => filter.user, ip => filter.ip,
                filter_query,
            },
        )
        .await
}

/// Shared by the action forms that carry only the CSRF token.
type ActionForm = axum::Form<CsrfForm>;
