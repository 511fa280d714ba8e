//! The hosted pages on the auth domain: sign-in, registration, sign-out,
//! the account page, static assets, health.

pub mod account;
pub mod assets;
pub mod branding;
pub mod device;
pub mod health;
pub mod login;
pub mod logout;
pub mod password;
pub mod register;
pub mod verify;

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::{get, post};
use minijinja::context;

use crate::error::{AppError, AppResult};
use crate::http::Visitor;
use crate::resources::{routes, templates};
use crate::state::AppState;

/// Routes for people's browsers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::HOME, get(home))
        .route(routes::LOGIN, get(login::show).post(login::submit))
        .route(routes::REGISTER, get(register::show).post(register::submit))
        .route(
            routes::LOGOUT,
            get(logout::rp_initiated).post(logout::submit),
        )
        .route(routes::ACCOUNT, get(account::show))
        .route(
            routes::ACCOUNT_SIGN_OUT_EVERYWHERE,
            post(account::sign_out_everywhere),
        )
        .route(
            routes::ACCOUNT_SESSION_SIGN_OUT,
            post(account::sign_out_session),
        )
        .route(
            routes::ACCOUNT_PASSWORD,
            get(account::password_form).post(account::change_password),
        )
        .route(
            routes::ACCOUNT_EMAIL,
            get(account::email_form).post(account::change_email),
        )
        .route(
            routes::PASSWORD_FORGOT,
            get(password::forgot).post(password::request),
        )
        .route(
            routes::PASSWORD_RESET,
            get(password::show).post(password::submit),
        )
        .route(routes::VERIFY_EMAIL, get(verify::verify))
        .route(routes::STATIC, get(assets::asset))
        .route(routes::LANGUAGE, get(branding::choose_language))
        .route(routes::SITE_LOGO, get(branding::site_logo))
        .route(routes::CLIENT_LOGO, get(branding::client_logo))
        .route(routes::CLIENT_STYLE, get(branding::client_style))
        .route(routes::FAVICON, get(branding::favicon))
        .route(routes::HEALTHZ, get(health::healthz))
        .route(routes::METRICS, get(health::metrics))
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> AppResult<Html<String>> {
    let page = context! { registration_enabled => state.config.registration_enabled };
    state
        .templates
        .render(templates::HOME, visitor.page(false, page).await?)
}

/// A way on from a message page: a label (a message key) and where it goes.
#[derive(Debug, Clone)]
pub struct Way {
    label: &'static str,
    url: String,
}

impl Way {
    pub fn new(label: &'static str, url: impl Into<String>) -> Way {
        Way {
            label,
            url: url.into(),
        }
    }
}

/// A page that says one thing ("Check your mail") and offers ways on, on
/// the way to the client site of `next` if there is one.
pub async fn message_page(
    state: &AppState,
    visitor: &Visitor,
    status: axum::http::StatusCode,
    heading: &'static str,
    paragraphs: &[crate::i18n::Msg],
    ways: &[Way],
    next: Option<&str>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let paragraphs: Vec<String> = paragraphs.iter().map(|m| visitor.tr(m)).collect();
    let ways: Vec<minijinja::Value> = ways
        .iter()
        .map(|w| context! { label => visitor.tr(&crate::i18n::Msg::new(w.label)), url => w.url.clone() })
        .collect();
    let page = context! {
        heading => visitor.tr(&crate::i18n::Msg::new(heading)),
        paragraphs,
        ways,
        client_site => crate::http::page::client_site_of(state, next).await,
    };
    let ctx = visitor.page(false, page).await?;
    Ok((status, state.templates.render(templates::MESSAGE, ctx)?).into_response())
}

/// Fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
