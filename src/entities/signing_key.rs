//! `signing_keys` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub alg: String,
    pub private_key_enc: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
