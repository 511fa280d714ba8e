//! SeaORM entities, one per table (schema in `migration/`). Times are Unix seconds.

pub mod account_link;
pub mod account_throttle;
pub mod audit_log;
pub mod authorization_code;
pub mod client;
pub mod client_logo;
pub mod client_redirect_uri;
pub mod device_code;
pub mod http_session;
pub mod ip_throttle;
pub mod logout_delivery;
pub mod mail_outbox;
pub mod mfa_factor;
pub mod rate_limit;
pub mod recovery_code;
pub mod refresh_token;
pub mod signing_key;
pub mod sso_session;
pub mod user;
