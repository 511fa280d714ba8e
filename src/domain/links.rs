//! Links mailed to people: a password reset, a registration to confirm,
//! a new address to verify. Each carries a token of 256 random bits; only
//! its SHA-256 is stored, it works once (redeeming deletes the row, so two
//! redemptions racing each other cannot both succeed), and it expires
//! (a reset after [`RESET_LINK_SECS`], the others after
//! [`VERIFY_LINK_SECS`]). A password change by any route deletes the
//! account's reset links ([`crate::domain::users::set_password`]).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::crypto::{hash_token, random_token};
use crate::db::stmt;
use crate::entities::account_link;
use crate::error::AppResult;
use crate::resources::{RESET_LINK_SECS, VERIFY_LINK_SECS};

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Reset,
    Register,
    EmailChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Register => "register",
            Purpose::EmailChange => "email_change",
        }
    }

    /// How long such a link works.
    pub fn lifetime(self) -> i64 {
        match self {
            Purpose::Reset => RESET_LINK_SECS,
            Purpose::Register | Purpose::EmailChange => VERIFY_LINK_SECS,
        }
    }
}

/// A link to issue.
#[derive(Debug, Clone, Default)]
pub struct NewLink {
    pub user_id: Option<String>,
    pub email: String,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub return_to: Option<String>,
}

/// Stores a link and returns its token (to be mailed; never stored).
pub async fn issue(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    link: NewLink,
    now: i64,
) -> AppResult<String> {
    let token = random_token()?;
    account_link::ActiveModel {
        token_hash: Set(hash_token(&token)),
        purpose: Set(purpose.as_str().to_owned()),
        user_id: Set(link.user_id),
        email: Set(link.email),
        username: Set(link.username),
        password_hash: Set(link.password_hash),
        return_to: Set(link.return_to),
        created_at: Set(now),
        expires_at: Set(now + purpose.lifetime()),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The live link of `purpose` a token names, without using it up (a page
/// that shows a form first).
pub async fn peek(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Option<account_link::Model>, DbErr> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    account_link::Entity::find_by_id(hash_token(token))
        .filter(account_link::Column::Purpose.eq(purpose.as_str()))
        .filter(account_link::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Uses up the live link of `purpose` a token names: `None` if there is
/// none, it expired, or another request used it first. One statement that
/// deletes and returns the row, so of two requests racing with the same
/// link exactly one gets it; as the first statement of the transaction
/// that does what the link allows, it also takes SQLite's write lock at
/// once (a read first would make two such transactions deadlock).
pub async fn redeem(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Option<account_link::Model>, DbErr> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let used = account_link::Entity::find()
        .from_raw_sql(stmt(
            db,
            "DELETE FROM account_links \
             WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 RETURNING *",
            vec![
                hash_token(token).into(),
                purpose.as_str().into(),
                now.into(),
            ],
        ))
        .all(db)
        .await?;
    Ok(used.into_iter().next())
}

/// Deletes an account's links of `purpose` (its reset links when the
/// password changes; its pending address changes when one succeeds).
pub async fn forget(
    db: &impl ConnectionTrait,
    user_id: &str,
    purpose: Purpose,
) -> Result<(), DbErr> {
    account_link::Entity::delete_many()
        .filter(account_link::Column::UserId.eq(user_id))
        .filter(account_link::Column::Purpose.eq(purpose.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes expired links (unconfirmed registrations among them).
pub async fn sweep(db: &impl ConnectionTrait, now: i64) -> Result<(), DbErr> {
    account_link::Entity::delete_many()
        .filter(account_link::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}
