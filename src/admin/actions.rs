//! The one-button admin actions, as a table: each is a path under a client
//! site or an account, an optional confirmation page (for what is hard to
//! undo), and the audited operation it performs. One pair of handlers
//! serves them all.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{ActionForm, AdminUser, Confirm};
use crate::domain::{clients, users};
use crate::error::{AppError, AppResult};
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
}

/// What the confirmation page says; `{name}` is the site's or person's name.
struct Confirmation {
    heading: &'static str,
    message: &'static str,
    button: &'static str,
}

/// One row of the table.
struct Action {
    subject: Subject,
    /// The path's last segment: `/admin/clients/{id}/{verb}`.
    verb: &'static str,
    confirm: Option<Confirmation>,
    operation: Operation,
}

const ACTIONS: &[Action] = &[
    Action {
        subject: Subject::Client,
        verb: "disable",
        confirm: Some(Confirmation {
            heading: "Disable this client site?",
            message: "“{name}” will no longer be able to sign people in or refresh their tokens until enabled again.",
            button: "Disable",
        }),
        operation: Operation::DisableClient,
    },
    Action {
        subject: Subject::Client,
        verb: "enable",
        confirm: None,
        operation: Operation::EnableClient,
    },
    Action {
        subject: Subject::Client,
        verb: "delete",
        confirm: Some(Confirmation {
            heading: "Delete this client site?",
            message: "“{name}” and every refresh token issued to it will be deleted. This cannot be undone.",
            button: "Delete",
        }),
        operation: Operation::DeleteClient,
    },
    Action {
        subject: Subject::User,
        verb: "disable",
        confirm: Some(Confirmation {
            heading: "Disable this account?",
            message: "{name} will be signed out everywhere, every client site's tokens for them revoked, and they cannot sign in until enabled again.",
            button: "Disable",
        }),
        operation: Operation::DisableUser,
    },
    Action {
        subject: Subject::User,
        verb: "enable",
        confirm: None,
        operation: Operation::EnableUser,
    },
    Action {
        subject: Subject::User,
        verb: "grant-admin",
        confirm: None,
        operation: Operation::GrantAdmin,
    },
    Action {
        subject: Subject::User,
        verb: "revoke-admin",
        confirm: Some(Confirmation {
            heading: "Remove the admin role?",
            message: "{name} will no longer be able to use these pages.",
            button: "Remove admin",
        }),
        operation: Operation::RevokeAdmin,
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
    let message = text.message.replace("{name}", &name);
    let target = format!("{}/{}", action.subject.path(&id), action.verb);
    let back = action.subject.back(&id);
    admin
        .confirm(
            &state,
            action.subject.section(),
            Confirm {
                heading: text.heading,
                message: &message,
                action: &target,
                button: text.button,
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
    let (db, now, handle) = (&state.db, state.clock.now(), &admin.admin);
    match action.operation {
        Operation::DisableClient => handle.set_client_enabled(db, &id, false, now).await?,
        Operation::EnableClient => handle.set_client_enabled(db, &id, true, now).await?,
        Operation::DeleteClient => {
            handle.delete_client(db, &id, now).await?;
            return Ok(Redirect::to(crate::resources::routes::ADMIN_CLIENTS).into_response());
        }
        Operation::DisableUser => handle.set_user_disabled(db, &id, true, now).await?,
        Operation::EnableUser => handle.set_user_disabled(db, &id, false, now).await?,
        Operation::GrantAdmin => handle.set_user_admin(db, &id, true, now).await?,
        Operation::RevokeAdmin => handle.set_user_admin(db, &id, false, now).await?,
    }
    Ok(Redirect::to(&action.subject.back(&id)).into_response())
}
