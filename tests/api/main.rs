//! The integration-test binary: real servers over real HTTP, on SQLite by
//! default and on PostgreSQL when `TEST_DATABASE_URL=postgres://…` is set.

mod helpers;

mod abuse;
mod accounts;
mod admin;
mod browser;
mod foundation;
mod hostile;
mod instances;
mod oauth;
mod oidc;
mod sessions;
