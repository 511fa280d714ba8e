//! `device_codes` table: a device authorization (RFC 8628) waiting for its
//! person, decided, or redeemed. Both codes are stored only as hashes.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_codes")]
pub struct Model {
    /// SHA-256 of the device code the device polls with.
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_code_hash: String,
    /// Keyed hash of the user code (`Keys::user_code_tag`).
    pub user_code_tag: String,
    pub client_id: String,
    pub scope: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// Who approved or denied it.
    pub user_id: Option<String>,
    /// The device's own sign-in session, started at approval.
    pub sso_session_id: Option<String>,
    /// The device's address and User-Agent, for its session.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The polling interval the device must keep (grows on `slow_down`).
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    /// When the device received tokens: once only.
    pub used_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
