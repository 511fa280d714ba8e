//! `client_logos` table: a client site's logo, as uploaded (checked).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_logos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub updated_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
