//! `audit_log` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<String>,
    pub actor_username: String,
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub details: String,
}

impl ActiveModelBehavior for ActiveModel {}
