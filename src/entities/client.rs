//! `clients` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub token_alg: String,
    pub jwt_secret_enc: Option<String>,
    pub enabled: bool,
    /// `#rrggbb` for the buttons on the way to this site; `None`: the server's.
    pub accent_color: Option<String>,
    /// Where the site hears that a session ended (OIDC Back-Channel Logout).
    pub backchannel_logout_uri: Option<String>,
    /// A public client (a desktop or mobile game): no secret, `client_id`
    /// alone at the token endpoint, PKCE and asymmetric signing always.
    pub public: bool,
    /// Allowed the device authorization grant (RFC 8628).
    pub device_grant: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
