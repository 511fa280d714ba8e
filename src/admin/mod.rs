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
use crate::i18n::Msg;
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
            None => Err(AppError::forbidden("error-admins-only").into_response()),
        }
    }
}

impl AdminUser {
    /// Renders an admin page with the shared context, and the notice of the
    /// action just done, if any (shown once, announced to screen readers).
    async fn render(
        &self,
        state: &AppState,
        template: &str,
        section: &str,
        page: Value,
    ) -> AppResult<Response> {
        let notice = self.me.take_notice().await?;
        let ctx = self.me.page(context! { section, notice, ..page }).await?;
        Ok(state.templates.render(template, ctx)?.into_response())
    }

    /// Checks the CSRF token of a state-changing form.
    async fn check(&self, token: &str) -> AppResult<()> {
        self.me.session.verify_csrf(token).await
    }

    /// Leaves a notice for the next page this admin sees ("Space Game was
    /// disabled."), in their language.
    async fn notify(&self, msg: Msg) -> AppResult<()> {
        self.me.notify(msg).await
    }

    /// A message in this admin's language.
    fn tr(&self, msg: &Msg) -> String {
        self.me.tr(msg)
    }

    /// A confirmation page in front of an action that is hard to undo.
    async fn confirm(
        &self,
        state: &AppState,
        section: &str,
        c: Confirm<'_>,
    ) -> AppResult<Response> {
        let page = context! {
            heading => self.tr(&Msg::new(c.heading)),
            message => self.tr(&Msg::new(c.message).with("name", c.name)),
            button => self.tr(&Msg::new(c.button)),
            button_class => c.button_class,
            action => c.action,
            back => c.back,
        };
        self.render(state, templates::ADMIN_CONFIRM, section, page)
            .await
    }
}

/// What a confirmation page asks (message keys), about what, and where its
/// button posts.
struct Confirm<'a> {
    heading: &'static str,
    message: &'static str,
    button: &'static str,
    /// `danger` for what cannot be undone, `secondary` else.
    button_class: &'static str,
    name: &'a str,
    action: &'a str,
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
            get(clients::list).post(clients::create).layer(form_limit()),
        )
        .route(admin_paths::CLIENT_NEW, get(clients::new_form))
        .route(
            admin_paths::CLIENT,
            get(clients::show).post(clients::update).layer(form_limit()),
        )
        .route(admin_paths::CLIENT_CREATED, get(clients::created))
        .route(
            admin_paths::CLIENT_ROTATE,
            get(clients::confirm_rotate).post(clients::rotate),
        )
        .route(routes::ADMIN_USERS, get(users::list))
        .route(admin_paths::USER, get(users::show))
        .route(routes::ADMIN_SUSPENSIONS, get(suspensions))
        .route(admin_paths::SUSPENSION_LIFT, post(lift_suspension))
        .route(routes::ADMIN_AUDIT, get(audit_log))
        .route(routes::ADMIN_MAIL, get(mail_queue))
        .route(routes::ADMIN_MAIL_RETRY, post(retry_mail))
        .merge(actions::routes())
}

/// Client forms carry a logo: a larger body than elsewhere.
fn form_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(clients::MAX_FORM_BYTES)
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
    let ip = form.ip.trim();
    admin
        .admin
        .lift_suspension(&state.db, ip, state.clock.now())
        .await?;
    admin
        .notify(Msg::new("notice-suspension-lifted").with("ip", ip))
        .await?;
    Ok(Redirect::to(routes::ADMIN_SUSPENSIONS).into_response())
}

/// An audit entry as the pages show it: what happened in words.
#[derive(serde::Serialize)]
struct AuditRow {
    at: i64,
    actor_user_id: Option<String>,
    actor_username: String,
    action: String,
    what: String,
    target: String,
    /// The account or client site acted on, by name, and its admin page.
    target_name: Option<String>,
    target_url: Option<String>,
    ip: Option<String>,
    details: String,
}

impl AuditRow {
    fn of(
        entry: crate::entities::audit_log::Model,
        admin: &AdminUser,
        targets: &std::collections::HashMap<String, audit::Target>,
    ) -> AuditRow {
        let (target_name, target_url) = match targets.get(&entry.target) {
            Some(audit::Target::User { name }) => {
                (Some(name.clone()), Some(admin_paths::user(&entry.target)))
            }
            Some(audit::Target::Client { name }) => {
                (Some(name.clone()), Some(admin_paths::client(&entry.target)))
            }
            None => (None, None),
        };
        AuditRow {
            target_name,
            target_url,
            what: admin.tr(&Msg::new(audit::describe(&entry.action))),
            at: entry.at,
            actor_user_id: entry.actor_user_id,
            actor_username: entry.actor_username,
            action: entry.action,
            target: entry.target,
            ip: entry.ip,
            details: entry.details,
        }
    }
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
    let kinds: Vec<_> = audit::Event::ALL
        .iter()
        .map(|e| {
            let label = admin.tr(&Msg::new(audit::describe(e.action())));
            context! { action => e.action(), label }
        })
        .collect();
    let targets = audit::targets(&state.db, &entries).await?;
    let entries: Vec<AuditRow> = entries
        .into_iter()
        .map(|e| AuditRow::of(e, &admin, &targets))
        .collect();
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

/// A mail not delivered yet, as the admin page shows it (never its content).
#[derive(serde::Serialize)]
struct MailRow {
    id: i64,
    recipient: String,
    kind: String,
    attempts: i32,
    next_attempt_at: i64,
    last_error: Option<String>,
    failed: bool,
    created_at: i64,
}

/// `/admin/mail`: the mails waiting, retrying or given up, with why.
async fn mail_queue(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let entries: Vec<MailRow> = crate::mail::queue::waiting(&state.db)
        .await?
        .into_iter()
        .map(|m| MailRow {
            id: m.id,
            recipient: m.recipient,
            kind: m.kind,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            failed: m.failed,
            created_at: m.created_at,
        })
        .collect();
    let outbox = match &*state.config {
        config if config.smtp_url.is_none() => {
            Some(config.data_dir.join("outbox").display().to_string())
        }
        _ => None,
    };
    let now = state.clock.now();
    admin
        .render(
            &state,
            templates::ADMIN_MAIL,
            "mail",
            context! { entries => Serde(entries), outbox, now },
        )
        .await
}

/// `POST /admin/mail/{id}/retry`: a given-up mail goes back in the queue.
async fn retry_mail(
    State(state): State<AppState>,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let now = state.clock.now();
    if !crate::mail::queue::retry(&state.db, id, now).await? {
        return Err(AppError::NotFound);
    }
    admin
        .admin
        .audit(&state.db, "mail.retry", &id.to_string(), String::new(), now)
        .await?;
    state.mailer.wake();
    admin.notify(Msg::new("notice-mail-retried")).await?;
    Ok(Redirect::to(routes::ADMIN_MAIL).into_response())
}

/// Shared by the action forms that carry only the CSRF token.
type ActionForm = axum::Form<CsrfForm>;
