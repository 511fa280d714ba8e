//! `logout_deliveries` table: a back-channel logout notice still to be sent
//! to a client site (its `logout_token` is signed at each attempt).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "logout_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: String,
    pub sso_session_id: String,
    /// The person (`sub`).
    pub user_id: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub failed: bool,
    pub created_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
