//! Domain logic: accounts, client sites, sessions, tokens, throttling.
//! No axum types here: functions take a database handle, plain data and `now`.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod backchannel;
pub mod branding;
pub mod cleanup;
pub mod clients;
pub mod device_grant;
pub mod links;
pub mod mfa;
pub mod passkeys;
pub mod passwords;
pub mod rate_limit;
pub mod rotations;
pub mod signing;
pub mod sso;
pub mod throttle;
pub mod tokens;
pub mod users;
