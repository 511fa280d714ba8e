//! `ip_throttle` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "ip_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ip: String,
    pub failures: i32,
    pub window_started_at: i64,
    pub last_failure_at: i64,
    pub suspended_until: Option<i64>,
    pub offences: i32,
}

impl ActiveModelBehavior for ActiveModel {}
