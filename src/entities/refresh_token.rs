//! `refresh_tokens` table: one row per token family, holding the hash of its
//! live token. A rotation rewrites the row in place (see `domain::tokens`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub family_id: String,
    /// SHA-256 of the family's live token.
    pub token_hash: String,
    pub user_id: String,
    pub client_id: String,
    pub sso_session_id: String,
    pub scope: String,
    /// When the family started (the code exchange).
    pub created_at: i64,
    /// The SSO session's absolute expiry, shared by every client site's family.
    pub expires_at: i64,
    /// How many times the family has rotated.
    pub generation: i64,
    /// When the live token replaced its predecessor.
    pub rotated_at: Option<i64>,
    /// When that predecessor replaced its own.
    pub prev_rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
