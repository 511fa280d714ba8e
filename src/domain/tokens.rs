//! Authorization codes and refresh tokens: the seed's token model.
//!
//! - A code lives 60 s, is stored as a hash, is bound to its client, redirect
//!   URI, PKCE challenge, person and SSO session, and can be consumed once.
//!   A second use is refused and revokes the token family the first use started.
//! - A code exchange starts a *family*: one live refresh token per person per
//!   client site (a partial unique index enforces it), replacing that client's
//!   previous token, and expiring with the SSO session. Signed in once, they
//!   all expire together.
//! - Refreshing rotates: the old token is marked rotated and its successor,
//!   a keyed hash of it, becomes the live one with the same expiry. Because
//!   the successor is derived, a concurrent or retried refresh within the
//!   grace window gets the very same successor; there is never a second live
//!   branch. Presenting a rotated token after the grace window revokes the family.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set, Statement, TransactionSession, TransactionTrait, Value,
};

use crate::crypto::{Keys, hash_token, random_id, random_token};
use crate::entities::{authorization_code, refresh_token, user};
use crate::error::is_unique_violation;
use crate::resources::AUTHORIZATION_CODE_TTL_SECS;

/// How far a retried refresh may walk down the chain of successors to find
/// the live one (tabs that refreshed again within the grace window).
const MAX_SUCCESSOR_WALK: usize = 8;

/// Why a code or refresh token was refused; all become `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    /// Unknown, or issued to another client.
    Unknown,
    Expired,
    Revoked,
    /// A code presented a second time, or a rotated refresh token presented
    /// after the grace window: the family was revoked.
    Reused,
}

impl GrantError {
    pub fn description(self) -> &'static str {
        match self {
            GrantError::Unknown => "the grant is invalid or was issued to another client",
            GrantError::Expired => "the grant has expired",
            GrantError::Revoked => "the grant has been revoked",
            GrantError::Reused => "the grant was already used; tokens issued from it are revoked",
        }
    }
}

/// What an authorization code is bound to.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub client_id: String,
    pub user_id: String,
    pub sso_session_id: String,
    pub redirect_uri: String,
    pub scope: String,
    /// The PKCE challenge as oxide-auth encodes it (challenge + method tag).
    pub code_challenge: String,
    pub nonce: Option<String>,
}

/// Stores a new code and returns it (the only time it exists in plain text).
pub async fn issue_code(
    db: &impl ConnectionTrait,
    new: NewCode,
    now: i64,
) -> Result<String, DbErr> {
    let code = random_token();
    authorization_code::ActiveModel {
        code_hash: Set(hash_token(&code)),
        client_id: Set(new.client_id),
        user_id: Set(new.user_id),
        sso_session_id: Set(new.sso_session_id),
        redirect_uri: Set(new.redirect_uri),
        scope: Set(new.scope),
        code_challenge: Set(new.code_challenge),
        nonce: Set(new.nonce),
        created_at: Set(now),
        expires_at: Set(now + AUTHORIZATION_CODE_TTL_SECS),
        used_at: Set(None),
        family_id: Set(None),
    }
    .insert(db)
    .await?;
    Ok(code)
}

fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Consumes a code: marks it used in one atomic statement, so of two
/// concurrent exchanges exactly one gets it. A code already used revokes
/// the family its first use started.
pub async fn consume_code(
    db: &impl ConnectionTrait,
    code: &str,
    now: i64,
) -> Result<Result<authorization_code::Model, GrantError>, DbErr> {
    let hash = hash_token(code);
    let claimed = authorization_code::Entity::find()
        .from_raw_sql(stmt(
            db,
            "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL RETURNING *",
            vec![now.into(), hash.clone().into()],
        ))
        .one(db)
        .await?;
    if let Some(row) = claimed {
        return Ok(if row.expires_at <= now {
            Err(GrantError::Expired)
        } else {
            Ok(row)
        });
    }
    match authorization_code::Entity::find_by_id(hash).one(db).await? {
        Some(row) => {
            if let Some(family) = &row.family_id {
                revoke_family(db, family, now).await?;
            }
            tracing::warn!(client_id = %row.client_id, user_id = %row.user_id, "authorization code reused; its tokens are revoked");
            Ok(Err(GrantError::Reused))
        }
        None => Ok(Err(GrantError::Unknown)),
    }
}

/// A refresh token just issued.
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    pub token: String,
    pub family_id: String,
    pub user_id: String,
    pub sso_session_id: String,
    pub scope: String,
    pub expires_at: i64,
}

/// Starts a token family for a consumed code: revokes the client's previous
/// token for this person and issues the new one, expiring with the SSO session.
pub async fn start_family(
    db: &impl TransactionTrait,
    code: &authorization_code::Model,
    expires_at: i64,
    now: i64,
) -> Result<IssuedRefresh, DbErr> {
    let family_id = random_id();
    let token = random_token();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let txn = db.begin().await?;
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::UserId.eq(code.user_id.as_str()))
            .filter(refresh_token::Column::ClientId.eq(code.client_id.as_str()))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        let inserted = refresh_token::ActiveModel {
            token_hash: Set(hash_token(&token)),
            family_id: Set(family_id.clone()),
            user_id: Set(code.user_id.clone()),
            client_id: Set(code.client_id.clone()),
            sso_session_id: Set(code.sso_session_id.clone()),
            scope: Set(code.scope.clone()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            rotated_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            // A concurrent exchange for the same person and client won the
            // race for the one live slot; replace its token in turn.
            Err(err) if is_unique_violation(&err) && attempts < 3 => {
                txn.rollback().await?;
                continue;
            }
            Err(err) => return Err(err),
        }
        authorization_code::Entity::update_many()
            .col_expr(
                authorization_code::Column::FamilyId,
                Expr::value(family_id.as_str()),
            )
            .filter(authorization_code::Column::CodeHash.eq(code.code_hash.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        return Ok(IssuedRefresh {
            token,
            family_id,
            user_id: code.user_id.clone(),
            sso_session_id: code.sso_session_id.clone(),
            scope: code.scope.clone(),
            expires_at,
        });
    }
}

fn issued(token: String, row: refresh_token::Model) -> IssuedRefresh {
    IssuedRefresh {
        token,
        family_id: row.family_id,
        user_id: row.user_id,
        sso_session_id: row.sso_session_id,
        scope: row.scope,
        expires_at: row.expires_at,
    }
}

/// A rotation's result: the successor, and the person it belongs to.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub issued: IssuedRefresh,
    pub username: String,
    pub disabled: bool,
}

/// The old token's row as a winning rotation returns it, with its person.
#[derive(Debug, FromQueryResult)]
struct Claimed {
    family_id: String,
    user_id: String,
    sso_session_id: String,
    scope: String,
    expires_at: i64,
    username: String,
    disabled: bool,
}

impl Claimed {
    fn into_rotated(self, token: String) -> Rotated {
        Rotated {
            issued: IssuedRefresh {
                token,
                family_id: self.family_id,
                user_id: self.user_id,
                sso_session_id: self.sso_session_id,
                scope: self.scope,
                expires_at: self.expires_at,
            },
            username: self.username,
            disabled: self.disabled,
        }
    }
}

/// The one atomic step of a rotation: mark the presented token rotated if it
/// is live and this client's, and store its successor with the same family,
/// session, scope and expiry. PostgreSQL does it in one statement (one round
/// trip, one commit); SQLite, where round trips are free, in a transaction
/// that starts with the write so it never has to upgrade a read lock.
async fn claim(
    db: &(impl TransactionTrait + ConnectionTrait),
    old_hash: &str,
    successor_hash: &str,
    client_id: &str,
    now: i64,
) -> Result<Option<Claimed>, DbErr> {
    const MARK_ROTATED: &str = "UPDATE refresh_tokens SET rotated_at = $1 \
        WHERE token_hash = $2 AND client_id = $3 \
          AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $1";
    const INSERT_SUCCESSOR: &str = "INSERT INTO refresh_tokens \
        (token_hash, family_id, user_id, client_id, sso_session_id, scope, created_at, expires_at, rotated_at, revoked_at)";
    if db.get_database_backend() == DbBackend::Postgres {
        let sql = format!(
            "WITH old AS ({MARK_ROTATED} RETURNING family_id, user_id, client_id, sso_session_id, scope, expires_at), \
             successor AS ({INSERT_SUCCESSOR} \
               SELECT $4, family_id, user_id, client_id, sso_session_id, scope, $1, expires_at, NULL, NULL FROM old) \
             SELECT old.family_id, old.user_id, old.sso_session_id, old.scope, old.expires_at, u.username, u.disabled \
             FROM old JOIN users u ON u.id = old.user_id"
        );
        let values = vec![
            now.into(),
            old_hash.into(),
            client_id.into(),
            successor_hash.into(),
        ];
        return Claimed::find_by_statement(stmt(db, &sql, values))
            .one(db)
            .await;
    }
    let txn = db.begin().await?;
    let old = refresh_token::Entity::find()
        .from_raw_sql(stmt(
            &txn,
            &format!("{MARK_ROTATED} RETURNING *"),
            vec![now.into(), old_hash.into(), client_id.into()],
        ))
        .one(&txn)
        .await?;
    let Some(old) = old else {
        txn.rollback().await?;
        return Ok(None);
    };
    let sql = format!("{INSERT_SUCCESSOR} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)");
    let values = vec![
        successor_hash.into(),
        old.family_id.clone().into(),
        old.user_id.clone().into(),
        old.client_id.clone().into(),
        old.sso_session_id.clone().into(),
        old.scope.clone().into(),
        now.into(),
        old.expires_at.into(),
    ];
    txn.execute_raw(stmt(&txn, &sql, values)).await?;
    let person = user::Entity::find_by_id(old.user_id.clone())
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(person.map(|p| Claimed {
        family_id: old.family_id,
        user_id: old.user_id,
        sso_session_id: old.sso_session_id,
        scope: old.scope,
        expires_at: old.expires_at,
        username: p.username,
        disabled: p.disabled,
    }))
}

/// Rotates a refresh token presented by `client_id`.
pub async fn rotate(
    db: &(impl TransactionTrait + ConnectionTrait),
    keys: &Keys,
    client_id: &str,
    presented: &str,
    grace_secs: i64,
    now: i64,
) -> Result<Result<Rotated, GrantError>, DbErr> {
    let old_hash = hash_token(presented);
    let successor = keys.refresh_successor(presented);
    if let Some(claimed) = claim(db, &old_hash, &hash_token(&successor), client_id, now).await? {
        return Ok(Ok(claimed.into_rotated(successor)));
    }

    // Not ours to rotate: find out why.
    let Some(old) = refresh_token::Entity::find_by_id(old_hash).one(db).await? else {
        return Ok(Err(GrantError::Unknown));
    };
    if old.client_id != client_id {
        return Ok(Err(GrantError::Unknown));
    }
    if old.revoked_at.is_some() {
        return Ok(Err(GrantError::Revoked));
    }
    if old.expires_at <= now {
        return Ok(Err(GrantError::Expired));
    }
    let Some(rotated_at) = old.rotated_at else {
        return Ok(Err(GrantError::Unknown));
    };
    if now - rotated_at > grace_secs {
        revoke_family(db, &old.family_id, now).await?;
        tracing::warn!(client_id, user_id = %old.user_id, family = %old.family_id, "rotated refresh token reused; family revoked");
        return Ok(Err(GrantError::Reused));
    }
    // Within the grace window: answer with the live successor, which the
    // presented token derives, without creating anything new.
    let mut token = presented.to_owned();
    for _ in 0..MAX_SUCCESSOR_WALK {
        token = keys.refresh_successor(&token);
        match refresh_token::Entity::find_by_id(hash_token(&token))
            .one(db)
            .await?
        {
            None => break,
            Some(row) if row.revoked_at.is_some() => return Ok(Err(GrantError::Revoked)),
            Some(row) if row.rotated_at.is_none() => {
                let Some(person) = user::Entity::find_by_id(row.user_id.clone())
                    .one(db)
                    .await?
                else {
                    return Ok(Err(GrantError::Unknown));
                };
                return Ok(Ok(Rotated {
                    issued: issued(token, row),
                    username: person.username,
                    disabled: person.disabled,
                }));
            }
            Some(_) => continue,
        }
    }
    Ok(Err(GrantError::Unknown))
}

/// Revokes every token of a family.
pub async fn revoke_family(
    db: &impl ConnectionTrait,
    family_id: &str,
    now: i64,
) -> Result<u64, DbErr> {
    Ok(refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The stored row of a refresh token, whatever its state.
pub async fn find_refresh(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::find_by_id(hash_token(token))
        .one(db)
        .await
}
