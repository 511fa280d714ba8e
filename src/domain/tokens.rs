//! Authorization codes and refresh tokens: the seed's token model.
//!
//! - A code lives 60 s, is stored as a hash, is bound to its client, redirect
//!   URI, PKCE challenge, person and SSO session, and can be consumed once,
//!   by its own client only. A second use by that client is refused and
//!   revokes the token family the first use started; another client's
//!   attempt is refused and changes nothing.
//! - A code exchange gives the client site its *family*: one live refresh
//!   token per SSO session (one browser) per client site, enforced by a
//!   partial unique index, expiring with the session. Signed in once, a
//!   browser's tokens all expire together; another device has its own.
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
//!   rotation; anything older is a replay. A grace of 0 forgives nothing.
//! - Nothing outlives its session: a family is created and rotated only by
//!   statements that find the session live, so a sign-out racing them
//!   cannot leave a live family behind.

use sea_orm::sea_query::Expr;
use std::sync::{Arc, LazyLock};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryResult, Set, Value,
};

use crate::crypto::{Keys, constant_time_eq, hash_token, random_token};
use crate::db::stmt;
use crate::domain::audit;
use crate::domain::clients::{JOINED_CLIENT_COLUMNS, JoinedClient};
use crate::entities::{authorization_code, client, refresh_token, sso_session, user};
use crate::error::AppResult;
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
    /// The SSO session the grant hangs on has ended or expired.
    SessionEnded,
}

impl GrantError {
    pub fn description(self) -> &'static str {
        match self {
            GrantError::Unknown => "the grant is invalid or was issued to another client",
            GrantError::Expired => "the grant has expired",
            GrantError::Revoked => "the grant has been revoked",
            GrantError::Reused => "the grant was already used; tokens issued from it are revoked",
            GrantError::SessionEnded => "the sign-in session has ended",
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
pub async fn issue_code(db: &impl ConnectionTrait, new: NewCode, now: i64) -> AppResult<String> {
    let code = random_token()?;
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

/// The sign-in a consumed code was issued under, as the id_token tells it,
/// read by the statement that consumed the code.
#[derive(Debug, Clone)]
pub struct CodeSignIn {
    pub authenticated_at: i64,
    pub amr: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
}

/// A code its client has just consumed, and its sign-in: `None` if the
/// session has ended or expired, or its person is disabled.
#[derive(Debug, Clone)]
pub struct ConsumedCode {
    pub code: authorization_code::Model,
    pub sign_in: Option<CodeSignIn>,
}

/// The consuming `UPDATE`: claims the code and, in the same statement,
/// reads its session and person (sub-selects in `RETURNING`, which both
/// databases allow), so that the exchange needs no second read before
/// [`start_family`] (which checks the session again, atomically).
const CONSUME_CODE_SQL: &str = "UPDATE authorization_codes SET used_at = $1, family_id = $4 \
     WHERE code_hash = $2 AND client_id = $3 AND used_at IS NULL \
     RETURNING *, \
       (SELECT s.authenticated_at FROM sso_sessions s \
          WHERE s.id = authorization_codes.sso_session_id AND s.user_id = authorization_codes.user_id \
            AND s.ended_at IS NULL AND s.expires_at > $1) AS live_since, \
       (SELECT s.amr FROM sso_sessions s WHERE s.id = authorization_codes.sso_session_id) AS session_amr, \
       (SELECT u.username FROM users u WHERE u.id = authorization_codes.user_id AND NOT u.disabled) \
          AS person_username, \
       (SELECT u.email FROM users u WHERE u.id = authorization_codes.user_id) AS person_email, \
       (SELECT u.email_verified FROM users u WHERE u.id = authorization_codes.user_id) \
          AS person_email_verified";

impl ConsumedCode {
    fn from_row(row: &QueryResult) -> Result<Self, DbErr> {
        let code = authorization_code::Model::from_query_result(row, "")?;
        let live_since: Option<i64> = row.try_get("", "live_since")?;
        let username: Option<String> = row.try_get("", "person_username")?;
        let sign_in = match (live_since, username) {
            (Some(authenticated_at), Some(username)) => Some(CodeSignIn {
                authenticated_at,
                amr: row
                    .try_get::<Option<String>>("", "session_amr")?
                    .unwrap_or_default(),
                username,
                email: row
                    .try_get::<Option<String>>("", "person_email")?
                    .unwrap_or_default(),
                email_verified: row
                    .try_get::<Option<bool>>("", "person_email_verified")?
                    .unwrap_or(false),
            }),
            _ => None,
        };
        Ok(ConsumedCode { code, sign_in })
    }
}

/// Consumes a code presented by `client_id`: marks it used in one atomic
/// statement, so of two concurrent exchanges exactly one gets it, and links
/// it to `family_id`, the family its exchange is about to start (so that the
/// common case needs no second statement to link them). A code the
/// same client already used revokes the family its first use started; a
/// code of another client is unknown to this one and is left as it was, so
/// a stolen code presented elsewhere costs its owner nothing.
pub async fn consume_code(
    db: &impl ConnectionTrait,
    client_id: &str,
    code: &str,
    family_id: &str,
    now: i64,
) -> Result<Result<ConsumedCode, GrantError>, DbErr> {
    let hash = hash_token(code);
    let values = vec![
        now.into(),
        hash.clone().into(),
        client_id.into(),
        family_id.into(),
    ];
    // At most one row; `query_all` is one round trip (see `db::first`).
    let claimed = db.query_all_raw(stmt(db, CONSUME_CODE_SQL, values)).await?;
    if let Some(row) = claimed.first() {
        let consumed = ConsumedCode::from_row(row)?;
        return Ok(if consumed.code.expires_at <= now {
            Err(GrantError::Expired)
        } else {
            Ok(consumed)
        });
    }
    match authorization_code::Entity::find_by_id(hash).one(db).await? {
        Some(row) if row.client_id == client_id => {
            if let Some(family) = &row.family_id {
                revoke_family(db, family, now).await?;
            }
            tracing::warn!(client_id = %row.client_id, user_id = %row.user_id, "authorization code reused; its tokens are revoked");
            let details = format!("client {}", row.client_id);
            record_reuse(db, audit::Event::CodeReused, &row.user_id, &details, now).await?;
            Ok(Err(GrantError::Reused))
        }
        _ => Ok(Err(GrantError::Unknown)),
    }
}

/// Who a new token family is for, and where it comes from.
#[derive(Debug, Clone, Copy)]
pub struct FamilyFor<'a> {
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub sso_session_id: &'a str,
    pub scope: &'a str,
    /// The id the family gets if one is started (`crypto::random_id`).
    pub family_id: &'a str,
    /// The authorization code it is exchanged for, linked to the family so
    /// that a replay of the code revokes it (`None`: a device code, which
    /// is burnt by its own row). `consume_code` linked it to `family_id`.
    pub code_hash: Option<&'a str>,
    /// The latest the family may expire: a public client's cap
    /// (`AUTH_PUBLIC_CLIENT_REFRESH_TTL_SECS`), `i64::MAX` for none. The
    /// session's expiry bounds it always.
    pub expires_by: i64,
}

impl<'a> FamilyFor<'a> {
    /// The family a consumed authorization code gives: the one
    /// `consume_code` linked it to.
    pub fn code(code: &'a authorization_code::Model, family_id: &'a str, expires_by: i64) -> Self {
        FamilyFor {
            client_id: &code.client_id,
            user_id: &code.user_id,
            sso_session_id: &code.sso_session_id,
            scope: &code.scope,
            family_id,
            code_hash: Some(&code.code_hash),
            expires_by,
        }
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

/// A family's first token: its id and a keyed hash of it
/// (`Keys::refresh_family_start`).
fn first_token(keys: &Keys, family_id: &str) -> String {
    format!("{family_id}.{}", keys.refresh_family_start(family_id))
}

/// The live token of a family that started with [`first_token`] and rotated
/// `generation` times, if its hash is `live_hash` (families started before
/// first tokens were derived cannot be recomputed).
fn recompute_live(
    keys: &Keys,
    family_id: &str,
    generation: i64,
    live_hash: &str,
) -> Option<String> {
    let mut token = first_token(keys, family_id);
    for _ in 0..generation.clamp(0, INLINE_WALK) {
        token = successor(keys, family_id, &token);
    }
    constant_time_eq(hash_token(&token).as_bytes(), live_hash.as_bytes()).then_some(token)
}

/// The condition on a family row (`table`) that a code exchange may join
/// rather than replace: started within the grace window (`$after`), for the
/// same scope (`$scope`), and few rotations old (`$generations`).
fn joinable(table: &str, scope: &str, after: &str, generations: &str) -> String {
    format!(
        "{table}.created_at >= {after} AND {table}.scope = {scope} AND {table}.generation <= {generations}"
    )
}

/// What [`upsert_family`] found.
#[derive(Debug, FromQueryResult)]
struct StartedFamily {
    family_id: String,
    token_hash: String,
    generation: i64,
    expires_at: i64,
}

/// The columns of a family row that a new family sets (`$n` are
/// [`upsert_family`]'s values), and what a joined family keeps.
const STARTED_COLUMNS: [(&str, &str); 8] = [
    ("family_id", "excluded.family_id"),
    ("token_hash", "excluded.token_hash"),
    ("scope", "excluded.scope"),
    ("created_at", "excluded.created_at"),
    ("expires_at", "excluded.expires_at"),
    ("generation", "0"),
    ("rotated_at", "NULL"),
    ("prev_rotated_at", "NULL"),
];

/// One statement: starts a family for the code's session and client. If the
/// session already has a live family at this client, the statement either
/// joins it, when [`joinable`], and returns it as it is, or supersedes it:
/// the row becomes the new family in place (its id, token, scope and
/// times), so every token of the old family is unknown from then on. Returns
/// nothing if the session is not live. On PostgreSQL the session row is
/// share-locked, so a sign-out either waits for this statement (and then
/// revokes its family) or has ended the session before it (and nothing
/// starts); two exchanges racing for one session and client meet in the
/// conflict on the live family's unique index, where the second waits for
/// the first and then joins or supersedes what the first left.
async fn upsert_family(
    db: &impl ConnectionTrait,
    keys: &Keys,
    code: FamilyFor<'_>,
    family_id: &str,
    join_after: i64,
    now: i64,
) -> Result<Option<StartedFamily>, DbErr> {
    // Built once per database: every code exchange runs it.
    static POSTGRES: LazyLock<String> = LazyLock::new(|| upsert_family_sql(" FOR SHARE"));
    static SQLITE: LazyLock<String> = LazyLock::new(|| upsert_family_sql(""));
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => POSTGRES.as_str(),
        _ => SQLITE.as_str(),
    };
    let values = vec![
        family_id.into(),
        hash_token(&first_token(keys, family_id)).into(),
        code.client_id.into(),
        code.scope.into(),
        now.into(),
        code.sso_session_id.into(),
        code.user_id.into(),
        join_after.into(),
        INLINE_WALK.into(),
        code.expires_by.into(),
    ];
    Ok(StartedFamily::find_by_statement(stmt(db, sql, values))
        .all(db)
        .await?
        .into_iter()
        .next())
}

/// [`upsert_family`]'s statement, the session row locked with `lock`.
fn upsert_family_sql(lock: &str) -> String {
    // Each SET sees the row as it was, so the one condition holds for all.
    let joined = joinable("refresh_tokens", "excluded.scope", "$8", "$9");
    let set = STARTED_COLUMNS
        .iter()
        .map(|(column, started)| {
            format!("{column} = CASE WHEN {joined} THEN refresh_tokens.{column} ELSE {started} END")
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO refresh_tokens \
           (family_id, token_hash, user_id, client_id, sso_session_id, scope, created_at, expires_at, generation) \
         SELECT $1, $2, s.user_id, $3, s.id, $4, $5, \
           CASE WHEN s.expires_at < $10 THEN s.expires_at ELSE $10 END, 0 FROM sso_sessions s \
         WHERE s.id = $6 AND s.user_id = $7 AND s.ended_at IS NULL AND s.expires_at > $5{lock} \
         ON CONFLICT (sso_session_id, client_id) WHERE revoked_at IS NULL \
         DO UPDATE SET {set} \
         RETURNING family_id, token_hash, generation, expires_at"
    )
}

/// Gives a consumed code's client its family for the code's session.
///
/// Code exchanges of one session and client can race: two tabs coming back
/// from the hosted login at once, or a site's retried callback. Whichever
/// answer the site keeps must work, and afterwards one family is live. So an
/// exchange *joins* the session's family at this client if that family
/// started within the refresh grace window (for the same scope): it is
/// answered with the family's live token, which the server recomputes from
/// the family's id (see [`first_token`]), and every racer holds the same
/// family. An older family is *superseded*: replaced by a new one, so
/// signing in again at a site cuts off whoever held its old token.
///
/// Starting, joining and superseding are one statement ([`upsert_family`]),
/// atomic on both databases: a race can never leave two live families, nor
/// answer with a constraint violation.
pub async fn start_family(
    db: &impl ConnectionTrait,
    keys: &Keys,
    code: FamilyFor<'_>,
    grace_secs: i64,
    now: i64,
) -> Result<Result<IssuedRefresh, GrantError>, DbErr> {
    let family_id = code.family_id;
    // A grace of 0 joins nothing: every exchange starts its own family.
    let join_after = if grace_secs > 0 {
        now - grace_secs
    } else {
        i64::MAX
    };
    let Some(row) = upsert_family(db, keys, code, family_id, join_after, now).await? else {
        return Ok(Err(GrantError::SessionEnded));
    };
    if let Some(token) = recompute_live(keys, &row.family_id, row.generation, &row.token_hash) {
        return finish_start(db, code, row, token).await.map(Ok);
    }
    // Joined a family from before first tokens were derived, whose live
    // token cannot be recomputed: supersede it instead.
    let Some(row) = upsert_family(db, keys, code, family_id, i64::MAX, now).await? else {
        return Ok(Err(GrantError::SessionEnded));
    };
    let token = recompute_live(keys, &row.family_id, row.generation, &row.token_hash)
        .ok_or_else(|| DbErr::Custom("a new family's first token cannot be recomputed".into()))?;
    finish_start(db, code, row, token).await.map(Ok)
}

/// Links the code to the family it gave, if not the one it was linked to
/// when consumed (so a replay revokes it).
async fn finish_start(
    db: &impl ConnectionTrait,
    code: FamilyFor<'_>,
    row: StartedFamily,
    token: String,
) -> Result<IssuedRefresh, DbErr> {
    // Joined another exchange's family: the code gave that one.
    if let Some(code_hash) = code.code_hash.filter(|_| row.family_id != code.family_id) {
        authorization_code::Entity::update_many()
            .col_expr(
                authorization_code::Column::FamilyId,
                Expr::value(row.family_id.as_str()),
            )
            .filter(authorization_code::Column::CodeHash.eq(code_hash))
            .exec(db)
            .await?;
    }
    Ok(IssuedRefresh {
        token,
        family_id: row.family_id,
        user_id: code.user_id.to_owned(),
        sso_session_id: code.sso_session_id.to_owned(),
        scope: code.scope.to_owned(),
        expires_at: row.expires_at,
    })
}

/// Whether an SSO session is neither ended nor expired.
async fn session_is_live(db: &impl ConnectionTrait, id: &str, now: i64) -> Result<bool, DbErr> {
    Ok(sso_session::Entity::find_by_id(id.to_owned())
        .filter(sso_session::Column::EndedAt.is_null())
        .filter(sso_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some())
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

/// The rotation itself as SQL over `refresh_tokens AS f`, shared by both
/// statements below, with the values (`[client, successor hash, now, family,
/// presented hash]`) given as SQL expressions: if the presented token is its
/// family's live token, this client's, unrevoked and unexpired, and its
/// session has not ended, swap in the successor's hash and shift the
/// rotation times. Nothing indexed changes, so PostgreSQL rewrites the row
/// on its page. `from` and `also` extend the statement (the batch's join).
fn rotate_sql(values: [&str; 5], from: &str, also: &str) -> String {
    let [client, successor, now, family, presented] = values;
    format!(
        "UPDATE refresh_tokens AS f \
         SET token_hash = {successor}, prev_rotated_at = f.rotated_at, rotated_at = {now}, \
             generation = f.generation + 1 {from} \
         WHERE f.family_id = {family} AND f.token_hash = {presented} AND f.client_id = {client} \
           AND f.revoked_at IS NULL AND f.expires_at > {now} \
           AND EXISTS (SELECT 1 FROM sso_sessions s WHERE s.id = f.sso_session_id AND s.ended_at IS NULL){also}"
    )
}

/// The one atomic step of a rotation, one statement on either database;
/// `None` if nothing rotated.
async fn claim(
    db: &impl ConnectionTrait,
    presented: &Presented<'_>,
    client_id: &str,
    now: i64,
) -> Result<Option<Claimed>, DbErr> {
    let sql = format!(
        // Unqualified: SQLite's RETURNING names the table, PostgreSQL's the
        // alias; `users` has no `user_id`, so the subqueries see the row's.
        "{} RETURNING user_id, sso_session_id, scope, expires_at, \
          (SELECT username FROM users WHERE users.id = user_id) AS username, \
          (SELECT disabled FROM users WHERE users.id = user_id) AS disabled",
        rotate_sql(["$1", "$2", "$3", "$4", "$5"], "", "")
    );
    let values = vec![
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
    client_id: String,
    secret_hash: String,
    family_id: String,
    token_hash: String,
    successor_hash: String,
    now: i64,
}

impl Ask {
    pub fn new(client_id: &str, client_secret: &str, presented: &Presented<'_>, now: i64) -> Self {
        Ask {
            client_id: client_id.to_owned(),
            secret_hash: hash_token(client_secret),
            family_id: presented.family_id.to_owned(),
            token_hash: hash_token(presented.token),
            successor_hash: hash_token(&presented.successor),
            now,
        }
    }
}

/// What [`authenticate_and_claim`] found for one [`Ask`]: the client (if
/// any has the id), the rotation if one happened, and whether the family's
/// row was locked for the decision (`false`: the family does not exist, or
/// a statement that skips locked rows found it locked).
pub struct Found {
    pub client: Option<client::Model>,
    pub claimed: Option<Claimed>,
    pub locked: bool,
}

impl FromQueryResult for Found {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Found {
            client: JoinedClient::from_query_result(res, pre)?.into_client(),
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
/// round trip, one commit, however many asks): for each ask the client is
/// read, and the token rotates only if the client is enabled and its
/// secret's hash is the one presented. The caller still judges the
/// credentials on the returned client exactly as for any other request; the
/// condition here only keeps a rotation from happening for a request that
/// judgement will refuse.
///
/// The rotation is [`rotate_sql`]'s, row by row. Family rows are locked
/// first; with [`Locks::Skip`] the statement never waits for a lock, so a
/// batch cannot deadlock with another batch or a sign-out revoking several
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
    let rotate = rotate_sql(
        [
            "i.client_id",
            "i.successor_hash",
            "i.now",
            "i.family_id",
            "i.token_hash",
        ],
        "FROM i JOIN a ON a.n = i.n JOIN l ON l.family_id = i.family_id",
        " AND a.admitted",
    );
    let sql = format!(
        "WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                      $5::text[], $6::bigint[]) WITH ORDINALITY \
                    AS i(client_id, secret_hash, family_id, token_hash, successor_hash, now, n)), \
         a AS (SELECT i.n, {JOINED_CLIENT_COLUMNS}, \
                 (c.enabled AND c.secret_hash = i.secret_hash) AS admitted \
               FROM i LEFT JOIN clients c ON c.client_id = i.client_id), \
         l AS (SELECT family_id FROM refresh_tokens WHERE family_id = ANY($3::text[]) \
               FOR NO KEY UPDATE {skip}), \
         r AS ({rotate} RETURNING i.n, f.user_id, f.sso_session_id, f.scope, f.expires_at) \
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
    if !session_is_live(db, &row.sso_session_id, now).await? {
        return Ok(Err(GrantError::SessionEnded));
    }
    // When the presented token was rotated away, as far as the row knows. The
    // live token itself (`behind == 0`) cannot get here: being this client's,
    // unrevoked, unexpired and of a live session, it would have rotated above.
    let rotated_at = match behind {
        0 => return Ok(Err(GrantError::Unknown)),
        1 => row.rotated_at,
        2 => row.prev_rotated_at,
        _ => None,
    };
    if !rotated_at.is_some_and(|at| within_grace(at, grace_secs, now)) {
        revoke_family(db, &row.family_id, now).await?;
        tracing::warn!(client_id, user_id = %row.user_id, family = %row.family_id, behind, "rotated refresh token reused; family revoked");
        let details = format!("client {client_id}, {behind} rotations behind");
        record_reuse(
            db,
            audit::Event::RefreshTokenReused,
            &row.user_id,
            &details,
            now,
        )
        .await?;
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

/// Writes a reused code or refresh token to the audit log.
async fn record_reuse(
    db: &impl ConnectionTrait,
    event: audit::Event,
    user_id: &str,
    details: &str,
    now: i64,
) -> Result<(), DbErr> {
    let person = user::Entity::find_by_id(user_id.to_owned()).one(db).await?;
    let person = person.as_ref().map(|u| audit::Person {
        user_id: &u.id,
        username: &u.username,
    });
    audit::record(db, event, person, None, details, now).await
}

/// Whether something that happened `at` is within a grace window of
/// `grace_secs` seconds at `now`. A grace of 0 is no grace at all, not even
/// within the same second.
pub fn within_grace(at: i64, grace_secs: i64, now: i64) -> bool {
    grace_secs > 0 && now - at <= grace_secs
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

/// The server's own record of a grant: the live family of `client_id`
/// under session `sso_session_id`, and its person, while the session is
/// live and the account enabled. Userinfo and introspection answer from
/// this, never from claims a client site can sign.
pub async fn live_grant(
    db: &impl ConnectionTrait,
    sso_session_id: &str,
    client_id: &str,
    now: i64,
) -> Result<Option<(refresh_token::Model, user::Model)>, DbErr> {
    let family = refresh_token::Entity::find()
        .filter(refresh_token::Column::SsoSessionId.eq(sso_session_id))
        .filter(refresh_token::Column::ClientId.eq(client_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    let Some(family) = family else {
        return Ok(None);
    };
    Ok(crate::domain::sso::find_active(db, sso_session_id, now)
        .await?
        .map(|(_, person)| (family, person)))
}
