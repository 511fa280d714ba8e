//! The one-button admin actions, as a table: each is a path under a client
//! site or an account, an optional confirmation page (for what is hard to
//! undo), and the audited operation it performs. One pair of handlers
//! serves them all.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{ActionForm, AdminUser, Confirm};
use crate::domain::{accounts, clients, users};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::resources::admin_paths;
use crate::state::AppState;

/// What an action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Client,
    User,
}

/// The operation behind the button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    DisableClient,
    EnableClient,
    DeleteClient,
    DisableUser,
    EnableUser,
    GrantAdmin,
    RevokeAdmin,
    /// Mails the person a reset link (the admin never learns a password).
    SendReset,
    /// Removes every second factor and recovery code (a lost phone).
    ResetMfa,
}

/// What the confirmation page says (message keys; `$name` is the site's
/// or person's name).
struct Confirmation {
    heading: &'static str,
    message: &'static str,
    button: &'static str,
    /// Whether the action destroys something (a red button) or can be undone.
    destructive: bool,
}

/// One row of the table.
struct Action {
    subject: Subject,
    /// The path's last segment: `/admin/clients/{id}/{verb}`.
    verb: &'static str,
    confirm: Option<Confirmation>,
    operation: Operation,
    /// What the next page says was done (`$name`).
    notice: &'static str,
}

const ACTIONS: &[Action] = &[
    Action {
        subject: Subject::Client,
        verb: "disable",
        confirm: Some(Confirmation {
            heading: "confirm-client-disable-heading",
            message: "confirm-client-disable",
            button: "confirm-client-disable-button",
            destructive: false,
        }),
        operation: Operation::DisableClient,
        notice: "notice-client-disabled",
    },
    Action {
        subject: Subject::Client,
        verb: "enable",
        confirm: None,
        operation: Operation::EnableClient,
        notice: "notice-client-enabled",
    },
    Action {
        subject: Subject::Client,
        verb: "delete",
        confirm: Some(Confirmation {
            heading: "confirm-client-delete-heading",
            message: "confirm-client-delete",
            button: "confirm-client-delete-button",
            destructive: true,
        }),
        operation: Operation::DeleteClient,
        notice: "notice-client-deleted",
    },
    Action {
        subject: Subject::User,
        verb: "disable",
        confirm: Some(Confirmation {
            heading: "confirm-user-disable-heading",
            message: "confirm-user-disable",
            button: "confirm-user-disable-button",
            destructive: false,
        }),
        operation: Operation::DisableUser,
        notice: "notice-user-disabled",
    },
    Action {
        subject: Subject::User,
        verb: "enable",
        confirm: None,
        operation: Operation::EnableUser,
        notice: "notice-user-enabled",
    },
    Action {
        subject: Subject::User,
        verb: "grant-admin",
        confirm: Some(Confirmation {
            heading: "confirm-user-grant-heading",
            message: "confirm-user-grant",
            button: "confirm-user-grant-button",
            destructive: false,
        }),
        operation: Operation::GrantAdmin,
        notice: "notice-user-granted",
    },
    Action {
        subject: Subject::User,
        verb: "revoke-admin",
        confirm: Some(Confirmation {
            heading: "confirm-user-revoke-heading",
            message: "confirm-user-revoke",
            button: "confirm-user-revoke-button",
            destructive: false,
        }),
        operation: Operation::RevokeAdmin,
        notice: "notice-user-revoked",
    },
    Action {
        subject: Subject::User,
        verb: "remove-factors",
        confirm: Some(Confirmation {
            heading: "confirm-user-reset-mfa-heading",
            message: "confirm-user-reset-mfa",
            button: "confirm-user-reset-mfa-button",
            destructive: true,
        }),
        operation: Operation::ResetMfa,
        notice: "notice-user-mfa-reset",
    },
    Action {
        subject: Subject::User,
        verb: "send-reset",
        confirm: None,
        operation: Operation::SendReset,
        notice: "notice-user-reset-sent",
    },
];

impl Subject {
    fn path(self, id: &str) -> String {
        match self {
            Subject::Client => admin_paths::client(id),
            Subject::User => admin_paths::user(id),
        }
    }

    fn route(self, verb: &str) -> String {
        match self {
            Subject::Client => format!("{}/{verb}", admin_paths::CLIENT),
            Subject::User => format!("{}/{verb}", admin_paths::USER),
        }
    }

    fn section(self) -> &'static str {
        match self {
            Subject::Client => "clients",
            Subject::User => "users",
        }
    }

    /// Where the browser goes back to: the site's page, or the user list.
    fn back(self, id: &str) -> String {
        match self {
            Subject::Client => admin_paths::client(id),
            Subject::User => crate::resources::routes::ADMIN_USERS.to_owned(),
        }
    }

    /// The name of the site or account, or 404.
    async fn name(self, state: &AppState, id: &str) -> AppResult<String> {
        let name = match self {
            Subject::Client => clients::find(&state.db, id).await?.map(|c| c.name),
            Subject::User => users::find(&state.db, id).await?.map(|u| u.username),
        };
        name.ok_or(AppError::NotFound)
    }
}

/// Every action's routes: the confirmation page (GET) where there is one,
/// and the action itself (POST).
pub fn routes() -> Router<AppState> {
    ACTIONS.iter().fold(Router::new(), |router, action| {
        let post = move |state, admin, id, form| perform(action, state, admin, id, form);
        let method = match action.confirm {
            Some(_) => get(move |state, admin, id| confirm(action, state, admin, id)).post(post),
            None => axum::routing::post(post),
        };
        router.route(&action.subject.route(action.verb), method)
    })
}

async fn confirm(
    action: &'static Action,
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let Some(text) = &action.confirm else {
        return Err(AppError::NotFound);
    };
    let name = action.subject.name(&state, &id).await?;
    let target = format!("{}/{}", action.subject.path(&id), action.verb);
    let back = action.subject.back(&id);
    admin
        .confirm(
            &state,
            action.subject.section(),
            Confirm {
                heading: text.heading,
                message: text.message,
                button: text.button,
                button_class: if text.destructive {
                    "danger"
                } else {
                    "secondary"
                },
                name: &name,
                action: &target,
                back: &back,
            },
        )
        .await
}

async fn perform(
    action: &'static Action,
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let name = action.subject.name(&state, &id).await?;
    let (db, now, handle) = (&state.db, state.clock.now(), &admin.admin);
    let notice = Msg::new(action.notice).with("name", name);
    match action.operation {
        Operation::DisableClient => handle.set_client_enabled(db, &id, false, now).await?,
        Operation::EnableClient => handle.set_client_enabled(db, &id, true, now).await?,
        Operation::DeleteClient => {
            handle.delete_client(db, &id, now).await?;
            admin.notify(notice).await?;
            return Ok(Redirect::to(crate::resources::routes::ADMIN_CLIENTS).into_response());
        }
        Operation::DisableUser => handle.set_user_disabled(db, &id, true, now).await?,
        Operation::EnableUser => handle.set_user_disabled(db, &id, false, now).await?,
        Operation::GrantAdmin => handle.set_user_admin(db, &id, true, now).await?,
        Operation::RevokeAdmin => handle.set_user_admin(db, &id, false, now).await?,
        Operation::ResetMfa => {
            let person = users::find(db, &id).await?.ok_or(AppError::NotFound)?;
            handle
                .reset_mfa(&state, &person, admin.me.lang, now)
                .await?;
        }
        Operation::SendReset => {
            let person = users::find(db, &id).await?.ok_or(AppError::NotFound)?;
            let sent = accounts::mail_reset_link(&state, &person, None, admin.me.lang).await?;
            let details = if sent {
                "mailed"
            } else {
                "not mailed: the address's hourly budget is spent"
            };
            handle
                .audit(db, "user.send_reset", &id, details.to_owned(), now)
                .await?;
            if !sent {
                let notice = Msg::new("notice-user-reset-budget").with("name", person.username);
                admin.notify(notice).await?;
                return Ok(Redirect::to(&action.subject.back(&id)).into_response());
            }
        }
    }
    admin.notify(notice).await?;
    Ok(Redirect::to(&action.subject.back(&id)).into_response())
}
