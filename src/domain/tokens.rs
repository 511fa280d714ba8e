//! Authorization codes and refresh tokens: the seed's token model.
//!
//! - A code lives 60 s, is stored as a hash, is bound to its client, redirect
//!   URI, PKCE challenge, person and SSO session, and can be consumed once.
//!   A second use is refused and revokes the token family the first use started.
//! - A code exchange starts a *family*: one live refresh token per person per
//!   client site (a partial unique index enforces it), replacing that client's
//!   previous token, and expiring with the SSO session. Signed in once, they
//!   all expire together.
//! - A family is one row. A refresh token reads `<family id>.<secret>`: the
//!   family id finds the row by its primary key, and the SHA-256 of the whole
//!   token must equal the row's `token_hash` (the live token) — nothing else
//!   is stored, and nothing in plain text.
//! - Refreshing rotates in place: one conditional `UPDATE` swaps the row's
//!   hash for its successor's and shifts the rotation times, so of racing
//!   refreshes exactly one wins. The successor is a keyed hash of the old
//!   token (`Keys::refresh_successor`), so a token rotated away is recognised
//!   by walking forward from it to the live one, and a concurrent or retried
//!   refresh within the grace window is answered with the very same live
//!   token: never a second branch, never a new row.
//! - Presenting a rotated token after the grace window revokes the family.
//!   The row keeps the times of its last two rotations, so a token up to two
//!   rotations behind is forgiven within the grace window of its own
//!   rotation; anything older is a replay.

use sea_orm::sea_query::Expr;
use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryResult, Set, Statement, TransactionSession, TransactionTrait, Value,
};

use crate::crypto::{Keys, constant_time_eq, hash_token, random_id, random_token};
use crate::domain::clients::{CLIENT_AND_ADDRESS_COLUMNS, ClientAndAddress, ClientLookup};
use crate::entities::{authorization_code, refresh_token, user};
use crate::error::is_unique_violation;
use crate::resources::AUTHORIZATION_CODE_TTL_SECS;

/// The longest chain of rotations a presented token is walked along to find
/// the live token: far beyond any real family (a refresh every minute for
/// two months), and a bound on the work a client site can ask for.
const MAX_WALK: i64 = 100_000;

/// Walks longer than this run on the blocking pool, off the async workers.
const INLINE_WALK: i64 = 64;

/// The longest refresh token accepted for a lookup (a UUID, a dot and a
/// base64url SHA-256 are 80 characters).
const MAX_TOKEN_LEN: usize = 128;

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
        .all(db) // at most one row; `all` is one round trip (see `db::first`)
        .await?
        .into_iter()
        .next();
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

/// The family a refresh token names, if it is shaped like one of ours.
fn family_of(token: &str) -> Option<&str> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (family, secret) = token.split_once('.')?;
    (!family.is_empty() && !secret.is_empty()).then_some(family)
}

/// The token that follows `token` in its family.
fn successor(keys: &Keys, family_id: &str, token: &str) -> String {
    format!("{family_id}.{}", keys.refresh_successor(token))
}

/// Starts a token family for a consumed code: revokes the client's previous
/// family for this person and starts the new one, expiring with the SSO session.
pub async fn start_family(
    db: &impl TransactionTrait,
    code: &authorization_code::Model,
    expires_at: i64,
    now: i64,
) -> Result<IssuedRefresh, DbErr> {
    let family_id = random_id();
    let token = format!("{family_id}.{}", random_token());
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
            family_id: Set(family_id.clone()),
            token_hash: Set(hash_token(&token)),
            user_id: Set(code.user_id.clone()),
            client_id: Set(code.client_id.clone()),
            sso_session_id: Set(code.sso_session_id.clone()),
            scope: Set(code.scope.clone()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            generation: Set(0),
            rotated_at: Set(None),
            prev_rotated_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            // A concurrent exchange for the same person and client won the
            // race for the one live slot; replace its family in turn.
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

/// A rotation's result: the live token, and the person it belongs to.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub issued: IssuedRefresh,
    pub username: String,
    pub disabled: bool,
}

/// What a winning rotation returns: the family and its person.
#[derive(Debug, FromQueryResult)]
pub struct Claimed {
    user_id: String,
    sso_session_id: String,
    scope: String,
    expires_at: i64,
    username: Option<String>,
    disabled: Option<bool>,
}

/// A refresh token presented for rotation, and the successor it would rotate to.
pub struct Presented<'a> {
    token: &'a str,
    family_id: &'a str,
    successor: String,
}

impl<'a> Presented<'a> {
    /// `None` if the token is not shaped like one of ours (unknown, then).
    pub fn parse(keys: &Keys, token: &'a str) -> Option<Self> {
        let family_id = family_of(token)?;
        Some(Presented {
            token,
            family_id,
            successor: successor(keys, family_id, token),
        })
    }
}

/// The rotation itself, shared by both statements below: if the presented
/// token is its family's live token, this client's, unrevoked and unexpired,
/// swap in the successor's hash and shift the rotation times. Nothing indexed
/// changes, so PostgreSQL rewrites the row on its page.
const ROTATE: &str = "UPDATE refresh_tokens \
    SET token_hash = $3, prev_rotated_at = rotated_at, rotated_at = $4, generation = generation + 1 \
    WHERE family_id = $5 AND token_hash = $6 AND client_id = $2 \
      AND revoked_at IS NULL AND expires_at > $4";

/// The one atomic step of a rotation, one statement on either database;
/// `None` if nothing rotated. `$1` (the caller's address in
/// [`authenticate_and_claim`], which shares the numbering) is bound but unused.
async fn claim(
    db: &impl ConnectionTrait,
    presented: &Presented<'_>,
    client_id: &str,
    now: i64,
) -> Result<Option<Claimed>, DbErr> {
    let sql = format!(
        "{ROTATE} RETURNING user_id, sso_session_id, scope, expires_at, \
          (SELECT username FROM users WHERE users.id = refresh_tokens.user_id) AS username, \
          (SELECT disabled FROM users WHERE users.id = refresh_tokens.user_id) AS disabled"
    );
    let values = vec![
        0i64.into(),
        client_id.into(),
        hash_token(&presented.successor).into(),
        now.into(),
        presented.family_id.into(),
        hash_token(presented.token).into(),
    ];
    Claimed::find_by_statement(stmt(db, &sql, values))
        .one(db)
        .await
}

/// One refresh grant's part of [`authenticate_and_claim`]: who asks, with
/// what credentials, to rotate which token, and when. Owned and hashed, so it
/// can wait in a batch.
#[derive(Debug, Clone)]
pub struct Ask {
    ip: String,
    client_id: String,
    secret_hash: String,
    family_id: String,
    token_hash: String,
    successor_hash: String,
    now: i64,
}

impl Ask {
    pub fn new(
        ip: &str,
        client_id: &str,
        client_secret: &str,
        presented: &Presented<'_>,
        now: i64,
    ) -> Self {
        Ask {
            ip: ip.to_owned(),
            client_id: client_id.to_owned(),
            secret_hash: hash_token(client_secret),
            family_id: presented.family_id.to_owned(),
            token_hash: hash_token(presented.token),
            successor_hash: hash_token(&presented.successor),
            now,
        }
    }
}

/// What [`authenticate_and_claim`] found for one [`Ask`]: the client lookup,
/// the rotation if one happened, and whether the family's row was locked
/// for the decision (`false`: the family does not exist, or a statement
/// that skips locked rows found it locked).
pub struct Found {
    pub lookup: ClientLookup,
    pub claimed: Option<Claimed>,
    pub locked: bool,
}

impl FromQueryResult for Found {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let now: i64 = res.try_get(pre, "now")?;
        Ok(Found {
            lookup: ClientAndAddress::from_query_result(res, pre)?.into_lookup(now),
            claimed: Claimed::from_query_result_optional(res, pre)?,
            locked: res.try_get(pre, "locked")?,
        })
    }
}

/// Whether [`authenticate_and_claim`] waits for a family row another
/// transaction holds, or leaves that ask undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locks {
    Wait,
    Skip,
}

/// The whole database work of refresh grants in one PostgreSQL statement (one
/// round trip, one commit, however many asks): for each ask the client and
/// the caller's suspension are read, and the token rotates only if the client
/// is enabled, its secret's hash is the one presented and the address is not
/// suspended. The caller still judges the credentials on the returned client
/// exactly as for any other request; the conditions here only keep a
/// rotation from happening for a request that judgement will refuse.
///
/// The rotation is [`ROTATE`]'s, row by row. Family rows are locked first;
/// with [`Locks::Skip`] the statement never waits for a lock, so a batch
/// cannot deadlock with another batch or a sign-out revoking several
/// families, and an ask whose row it skipped comes back with `locked: false`
/// and no rotation, to be asked again on its own with [`Locks::Wait`].
///
/// Returns one [`Found`] per ask, in order.
pub async fn authenticate_and_claim(
    db: &impl ConnectionTrait,
    asks: &[&Ask],
    locks: Locks,
) -> Result<Vec<Found>, DbErr> {
    let skip = match locks {
        Locks::Wait => "",
        Locks::Skip => "SKIP LOCKED",
    };
    let sql = format!(
        "WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                      $5::text[], $6::text[], $7::bigint[]) WITH ORDINALITY \
                    AS i(ip, client_id, secret_hash, family_id, token_hash, successor_hash, now, n)), \
         a AS (SELECT i.n, i.now, {CLIENT_AND_ADDRESS_COLUMNS}, \
                 (c.enabled AND c.secret_hash = i.secret_hash \
                  AND (t.suspended_until IS NULL OR t.suspended_until <= i.now)) AS admitted \
               FROM i LEFT JOIN ip_throttle t ON t.ip = i.ip \
               LEFT JOIN clients c ON c.client_id = i.client_id), \
         l AS (SELECT family_id FROM refresh_tokens WHERE family_id = ANY($4::text[]) \
               FOR NO KEY UPDATE {skip}), \
         r AS (UPDATE refresh_tokens f \
               SET token_hash = i.successor_hash, prev_rotated_at = f.rotated_at, \
                   rotated_at = i.now, generation = f.generation + 1 \
               FROM i JOIN a ON a.n = i.n JOIN l ON l.family_id = i.family_id \
               WHERE f.family_id = i.family_id AND f.token_hash = i.token_hash \
                 AND f.client_id = i.client_id AND f.revoked_at IS NULL AND f.expires_at > i.now \
                 AND a.admitted \
               RETURNING i.n, f.user_id, f.sso_session_id, f.scope, f.expires_at) \
         SELECT a.*, EXISTS (SELECT 1 FROM l WHERE l.family_id = i.family_id) AS locked, \
                r.user_id, r.sso_session_id, r.scope, r.expires_at, u.username, u.disabled \
         FROM i JOIN a ON a.n = i.n LEFT JOIN r ON r.n = i.n LEFT JOIN users u ON u.id = r.user_id \
         ORDER BY i.n"
    );
    let column = |field: fn(&Ask) -> &str| -> Value {
        asks.iter()
            .map(|ask| field(ask).to_owned())
            .collect::<Vec<_>>()
            .into()
    };
    let values = vec![
        column(|a| &a.ip),
        column(|a| &a.client_id),
        column(|a| &a.secret_hash),
        column(|a| &a.family_id),
        column(|a| &a.token_hash),
        column(|a| &a.successor_hash),
        asks.iter().map(|a| a.now).collect::<Vec<_>>().into(),
    ];
    // `all`, not `one`: SQLx reads a single row by stopping after it and
    // then finishing the exchange (and the statement's implicit transaction)
    // in a second round trip; reading to the end is one.
    let found = Found::find_by_statement(stmt(db, &sql, values))
        .all(db)
        .await?;
    if found.len() != asks.len() {
        return Err(DbErr::Custom(format!(
            "{} asks but {} answers",
            asks.len(),
            found.len()
        )));
    }
    Ok(found)
}

/// Where `presented` stands in its family: `(0, presented)` if it is the live
/// token, `(k, live)` if it was rotated away `k` rotations ago; `None` if it
/// is not of this family at all.
async fn position(
    keys: &Arc<Keys>,
    row: &refresh_token::Model,
    presented: &str,
) -> Option<(i64, String)> {
    let steps = row.generation.clamp(0, MAX_WALK);
    let (keys, family, live_hash, presented) = (
        Arc::clone(keys),
        row.family_id.clone(),
        row.token_hash.clone(),
        presented.to_owned(),
    );
    let walk = move || {
        let mut token = presented;
        for k in 0..=steps {
            if k > 0 {
                token = successor(&keys, &family, &token);
            }
            if constant_time_eq(hash_token(&token).as_bytes(), live_hash.as_bytes()) {
                return Some((k, token));
            }
        }
        None
    };
    if steps <= INLINE_WALK {
        walk()
    } else {
        tokio::task::spawn_blocking(walk).await.ok().flatten()
    }
}

/// Rotates a refresh token presented by `client_id`.
pub async fn rotate(
    db: &impl ConnectionTrait,
    keys: &Arc<Keys>,
    client_id: &str,
    token: &str,
    grace_secs: i64,
    now: i64,
) -> Result<Result<Rotated, GrantError>, DbErr> {
    let Some(presented) = Presented::parse(keys, token) else {
        return Ok(Err(GrantError::Unknown));
    };
    let claimed = claim(db, &presented, client_id, now).await?;
    settle(db, keys, client_id, presented, claimed, grace_secs, now).await
}

/// The outcome of a claim: the rotation if it happened, otherwise why not —
/// and, within the grace window, the live token the presented one leads to.
pub async fn settle(
    db: &impl ConnectionTrait,
    keys: &Arc<Keys>,
    client_id: &str,
    presented: Presented<'_>,
    claimed: Option<Claimed>,
    grace_secs: i64,
    now: i64,
) -> Result<Result<Rotated, GrantError>, DbErr> {
    if let Some(claimed) = claimed {
        return Ok(rotated(presented.family_id, presented.successor, claimed));
    }
    let Some(row) = refresh_token::Entity::find_by_id(presented.family_id)
        .one(db)
        .await?
    else {
        return Ok(Err(GrantError::Unknown));
    };
    if row.client_id != client_id {
        return Ok(Err(GrantError::Unknown));
    }
    let Some((behind, live)) = position(keys, &row, presented.token).await else {
        return Ok(Err(GrantError::Unknown));
    };
    if row.revoked_at.is_some() {
        return Ok(Err(GrantError::Revoked));
    }
    if row.expires_at <= now {
        return Ok(Err(GrantError::Expired));
    }
    // When the presented token was rotated away, as far as the row knows. The
    // live token itself (`behind == 0`) cannot get here: being this client's,
    // unrevoked and unexpired, it would have rotated above.
    let rotated_at = match behind {
        0 => return Ok(Err(GrantError::Unknown)),
        1 => row.rotated_at,
        2 => row.prev_rotated_at,
        _ => None,
    };
    if rotated_at.is_none_or(|at| now - at > grace_secs) {
        revoke_family(db, &row.family_id, now).await?;
        tracing::warn!(client_id, user_id = %row.user_id, family = %row.family_id, behind, "rotated refresh token reused; family revoked");
        return Ok(Err(GrantError::Reused));
    }
    // Within the grace window: answer with the live token, which the
    // presented one derives, without rotating again.
    let Some(person) = user::Entity::find_by_id(row.user_id.clone())
        .one(db)
        .await?
    else {
        return Ok(Err(GrantError::Unknown));
    };
    Ok(Ok(Rotated {
        issued: IssuedRefresh {
            token: live,
            family_id: row.family_id,
            user_id: row.user_id,
            sso_session_id: row.sso_session_id,
            scope: row.scope,
            expires_at: row.expires_at,
        },
        username: person.username,
        disabled: person.disabled,
    }))
}

fn rotated(family_id: &str, token: String, claimed: Claimed) -> Result<Rotated, GrantError> {
    let (Some(username), Some(disabled)) = (claimed.username, claimed.disabled) else {
        return Err(GrantError::Unknown);
    };
    Ok(Rotated {
        issued: IssuedRefresh {
            token,
            family_id: family_id.to_owned(),
            user_id: claimed.user_id,
            sso_session_id: claimed.sso_session_id,
            scope: claimed.scope,
            expires_at: claimed.expires_at,
        },
        username,
        disabled,
    })
}

/// Revokes a family.
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

/// A presented refresh token's family, whatever its state, and how many
/// rotations behind the live token it is (0: it is the live token).
pub async fn find_refresh(
    db: &impl ConnectionTrait,
    keys: &Arc<Keys>,
    token: &str,
) -> Result<Option<(refresh_token::Model, i64)>, DbErr> {
    let Some(family_id) = family_of(token) else {
        return Ok(None);
    };
    let Some(row) = refresh_token::Entity::find_by_id(family_id).one(db).await? else {
        return Ok(None);
    };
    Ok(position(keys, &row, token)
        .await
        .map(|(behind, _)| (row, behind)))
}
