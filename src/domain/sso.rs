//! SSO sessions: the one sign-in on the auth domain that every client site's
//! refresh token hangs on. A session has one absolute expiry; ending it
//! revokes every refresh token issued under it.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::db::first;
use crate::entities::{refresh_token, sso_session, user};

/// Most characters of a User-Agent worth keeping for the account page.
const USER_AGENT_MAX: usize = 200;

/// Starts a session for `user_id` that ends `ttl_secs` from `now`, whatever happens.
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: &str,
    ttl_secs: i64,
    ip: Option<String>,
    user_agent: Option<&str>,
    now: i64,
) -> Result<sso_session::Model, DbErr> {
    sso_session::ActiveModel {
        id: Set(crate::crypto::random_id()),
        user_id: Set(user_id.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + ttl_secs),
        ended_at: Set(None),
        ip: Set(ip),
        user_agent: Set(user_agent.map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(USER_AGENT_MAX)
                .collect()
        })),
    }
    .insert(db)
    .await
}

/// The session and its person, if the session is live (not ended, not
/// expired) and the account is not disabled.
pub async fn find_active(
    db: &impl ConnectionTrait,
    id: &str,
    now: i64,
) -> Result<Option<(sso_session::Model, user::Model)>, DbErr> {
    let session = first(
        sso_session::Entity::find_by_id(id.to_owned())
            .filter(sso_session::Column::EndedAt.is_null())
            .filter(sso_session::Column::ExpiresAt.gt(now)),
        db,
    )
    .await?;
    let Some(session) = session else {
        return Ok(None);
    };
    let person = first(
        user::Entity::find_by_id(session.user_id.clone()).filter(user::Column::Disabled.eq(false)),
        db,
    )
    .await?;
    Ok(person.map(|person| (session, person)))
}

/// A person's live sessions, newest first.
pub async fn list_active(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: i64,
) -> Result<Vec<sso_session::Model>, DbErr> {
    sso_session::Entity::find()
        .filter(sso_session::Column::UserId.eq(user_id))
        .filter(sso_session::Column::EndedAt.is_null())
        .filter(sso_session::Column::ExpiresAt.gt(now))
        .order_by_desc(sso_session::Column::CreatedAt)
        .all(db)
        .await
}

/// Ends one session and revokes every refresh token under it: signed out
/// here means signed out on every client site.
pub async fn end(db: &impl ConnectionTrait, id: &str, now: i64) -> Result<(), DbErr> {
    sso_session::Entity::update_many()
        .col_expr(sso_session::Column::EndedAt, Expr::value(now))
        .filter(sso_session::Column::Id.eq(id))
        .filter(sso_session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::SsoSessionId.eq(id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends all of a person's sessions ("sign out everywhere", a disabled
/// account) and revokes all their refresh tokens.
pub async fn end_all_for_user(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: i64,
) -> Result<u64, DbErr> {
    let ended = sso_session::Entity::update_many()
        .col_expr(sso_session::Column::EndedAt, Expr::value(now))
        .filter(sso_session::Column::UserId.eq(user_id))
        .filter(sso_session::Column::EndedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(ended)
}
