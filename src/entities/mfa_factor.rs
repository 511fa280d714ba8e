//! `mfa_factors` table: a second factor of an account. For an
//! authenticator app (`totp`) `secret` is its TOTP secret, sealed; for a
//! passkey (`passkey`) it is the WebAuthn credential (public key and
//! counter, nothing secret) and `credential_id` finds it at sign-in.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub kind: String,
    /// What the person called it ("Phone", "YubiKey").
    pub name: String,
    pub secret: String,
    #[sea_orm(unique)]
    pub credential_id: Option<String>,
    /// The last TOTP time step accepted: a code is good once.
    pub last_step: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
