//! `http_sessions` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "http_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    pub data: String,
    pub expires_at: i64,
    /// The sign-in session its data names (`session_keys::SSO_SESSION_ID`),
    /// kept beside the data so one query joins the two.
    pub sso_session_id: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
