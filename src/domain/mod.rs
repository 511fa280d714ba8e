//! Domain logic: accounts, client sites, sessions, tokens, throttling.
//! No axum types here: functions take a database handle, plain data and `now`.

pub mod cleanup;
pub mod passwords;
pub mod sso;
pub mod throttle;
pub mod users;
