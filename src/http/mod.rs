//! Shared HTTP plumbing, used by the hosted pages (`web`), the client-facing
//! endpoints (`oauth`) and the admin pages (`admin`), which depend on this
//! room and never on each other: who is asking (the client address, the
//! browser's HTTP session, the signed-in person), reading forms and cookies,
//! CSRF, return targets, and the two presenters of the domain error.

pub mod client_ip;
pub mod csrf;
pub mod errors;
pub mod forms;
pub mod identity;
pub mod page;
pub mod request_log;
pub mod return_to;
pub mod second_step;
pub mod session;

pub use client_ip::ClientIp;
pub use errors::OAuthError;
pub use forms::{CsrfForm, is_form};
pub use identity::{CurrentUser, SignedIn, Visitor};
pub use return_to::{login_url, reauth_url, safe_next};
pub use session::WebSession;
