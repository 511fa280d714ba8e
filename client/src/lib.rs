//! The client side of [Pattmayne Auth] for an [axum] site: everything a
//! client site's backend does in the seed's design, so it writes none of it.
//!
//! - **Routes** under `/auth/`: `GET /auth/sign-in` (state and a PKCE
//!   verifier in a short-lived signed cookie, then the hosted login),
//!   `GET /auth/callback` (checks `state` and `iss`, exchanges the code with
//!   the client secret, sets both cookies), `POST /auth/sign-out` (ends the
//!   sign-in session on the server for every site, clears the cookies) and
//!   `POST /auth/backchannel-logout` (OIDC Back-Channel Logout 1.0).
//! - **A layer** that verifies the access JWT of every request locally
//!   (HS256 with the site's `jwt_secret`, or RS256/EdDSA against the
//!   server's JWKS, cached by `kid`) and, once it has expired, refreshes it
//!   through the server and sets the rotated cookies on the response; two
//!   tabs refreshing at once share one refresh.
//! - **Extractors**: [`SignedIn`] (a signed-out visitor is sent to the
//!   sign-in, or gets 401 for anything but a page) and `Option<SignedIn>`.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use pattmayne_auth_client::{AuthKit, Config, SignedIn};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let kit = AuthKit::new(Config::from_env()?)?;
//! let app = Router::new()
//!     .route("/", get(|me: SignedIn| async move { format!("Hello, {}!", me.username) }))
//!     .merge(kit.routes())
//!     .layer(kit.layer());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! The cookies, all `HttpOnly; SameSite=Lax; Path=/` and `Secure` (unless
//! [`Config::insecure_cookies`]): `{prefix}_access` (the access JWT, for as
//! long as it is valid), `{prefix}_refresh` (the refresh token, until the
//! sign-in session expires) and, during a sign-in, `{prefix}_signin_…`
//! (signed, ten minutes, `Path=/auth`). The prefix is `auth` unless set.
//!
//! [Pattmayne Auth]: https://github.com/pattmayne/pattmayne-auth
//! [axum]: https://docs.rs/axum

#![deny(missing_docs)]

mod config;
mod extract;
mod kit;
mod layer;
mod pages;
mod random;
mod revoked;
mod routes;
mod tokens;

pub use config::{Clock, Config, ConfigError};
pub use extract::{SignInRequired, SignedIn};
pub use kit::AuthKit;
pub use layer::{AuthLayer, AuthService};
pub use revoked::{InMemoryRevocations, RevokedSessions};
pub use tokens::{AccessClaims, LOGOUT_EVENT};
