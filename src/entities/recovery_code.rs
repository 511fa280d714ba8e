//! `recovery_codes` table: an account's unused recovery codes, each as a
//! keyed hash ([`crate::crypto::Keys::recovery_code_tag`]).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_tag: String,
    pub user_id: String,
    pub created_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
