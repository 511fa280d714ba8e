//! `mail_outbox` table: mails waiting to go out, each sealed (it may carry
//! a link that signs someone in), with its delivery attempts.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient: String,
    /// What the mail is (`reset`, `verify-registration`, …), for the admin.
    pub kind: String,
    /// The mail, sealed with the server's key; emptied when it gives up.
    pub message: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// Claimed by a sender until then.
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    /// Given up after the last attempt.
    pub failed: bool,
    pub created_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
