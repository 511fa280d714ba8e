//! `sso_sessions` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// When the person last proved who they are in this session (`auth_time`).
    pub authenticated_at: i64,
    /// How the person proved it (RFC 8176 values, space-separated: `pwd`,
    /// `pwd otp mfa`, `hwk user mfa`, …).
    pub amr: String,
}

impl ActiveModelBehavior for ActiveModel {}
