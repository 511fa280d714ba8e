//! The hosted pages on the auth domain: sign-in, registration, sign-out,
//! the account page, static assets, health.

pub mod account;
pub mod assets;
pub mod branding;
pub mod device;
pub mod device_login;
pub mod factor;
pub mod health;
pub mod login;
pub mod logout;
pub mod passkeys;
pub mod password;
pub mod register;
pub mod security;
pub mod verify;

pub use crate::http::page::{Way, message_page};

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
        .route(
            routes::DEVICE,
            get(device_login::show).post(device_login::submit),
        )
        .route(routes::LOGIN_FACTOR, get(factor::show).post(factor::submit))
        .route(routes::ACCOUNT_SECURITY, get(security::show))
        .route(
            routes::ACCOUNT_TOTP,
            get(security::totp_form).post(security::add_totp),
        )
        .route(routes::ACCOUNT_RECOVERY_CODES, post(security::renew_codes))
        .route(routes::ACCOUNT_FACTOR_REMOVE, post(security::remove))
        .route(
            routes::ACCOUNT_NEW_RECOVERY_CODES,
            get(security::new_codes_once),
        )
        .route(
            routes::ACCOUNT_PASSKEY_OPTIONS,
            post(passkeys::register_options),
        )
        .route(routes::ACCOUNT_PASSKEYS, post(passkeys::register))
        .route(
            routes::LOGIN_PASSKEY_OPTIONS,
            post(passkeys::sign_in_options),
        )
        .route(routes::LOGIN_PASSKEY, post(passkeys::sign_in))
        .route(
            routes::LOGIN_FACTOR_PASSKEY_OPTIONS,
            post(passkeys::second_step_options),
        )
        .route(routes::LOGIN_FACTOR_PASSKEY, post(passkeys::second_step))
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

/// Fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
