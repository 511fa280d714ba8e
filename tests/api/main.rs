//! The integration-test binary: real servers over real HTTP, on SQLite by
//! default and on PostgreSQL when `TEST_DATABASE_URL=postgres://…` is set.

mod helpers;
mod mailbox;

mod abuse;
mod accounts;
mod admin;
mod authorize;
mod backchannel;
mod browser;
mod cli;
mod client_auth;
mod code_exchange;
mod flow;
mod foundation;
mod hostile;
mod instances;
mod kit;
mod native;
mod oidc;
mod pages;
mod recovery;
mod refresh;
mod revoke;
mod second_factor;
mod sessions;
mod sso_browser;
