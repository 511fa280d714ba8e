//! `account_links` table: a link mailed to someone (a password reset, a
//! registration to confirm, a new address to verify), by the hash of its
//! token. A pending registration keeps the argon2 hash of the chosen
//! password, never the password.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// `reset`, `register` or `email_change`.
    pub purpose: String,
    /// The account (a reset, an address change); none for a registration.
    pub user_id: Option<String>,
    /// Where the link was mailed.
    pub email: String,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    /// The page to continue at afterwards (a pending authorization request).
    pub return_to: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
