//! SSO sessions: the one sign-in of one browser on the auth domain that
//! every client site's refresh token from that browser hangs on. A session
//! has one absolute expiry; ending it revokes every refresh token issued
//! under it. A person signed in on two devices has two sessions.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef, SelectTwo, Set, TransactionSession, TransactionTrait,
};

use crate::domain::audit;
use crate::entities::{client, http_session, refresh_token, sso_session, user};

/// Most characters of a User-Agent worth keeping for the account page.
const USER_AGENT_MAX: usize = 200;

/// How a person proved who they are, as RFC 8176 `amr` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A password alone.
    Password,
    /// A password, then an authenticator app's code or a recovery code.
    PasswordAndCode,
    /// A password, then a passkey (`hwk`: a key the authenticator holds).
    PasswordAndPasskey,
    /// A passkey alone, the person verified by the authenticator (PIN,
    /// fingerprint): possession and a second factor in one.
    Passkey,
}

impl Proof {
    /// The space-separated `amr` values.
    pub fn amr(self) -> &'static str {
        match self {
            Proof::Password => "pwd",
            Proof::PasswordAndCode => "pwd otp mfa",
            Proof::PasswordAndPasskey => "pwd hwk mfa",
            Proof::Passkey => "hwk user mfa",
        }
    }
}

/// A User-Agent as kept for the account page: no control characters, at
/// most [`USER_AGENT_MAX`] characters.
pub fn clean_user_agent(user_agent: &str) -> String {
    user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX)
        .collect()
}

/// Whether a session's `amr` shows more than one factor.
pub fn is_multi_factor(amr: &str) -> bool {
    amr.split(' ').any(|m| m == "mfa")
}

/// Starts a session for `user_id` that ends `ttl_secs` from `now`, whatever happens.
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: &str,
    ttl_secs: i64,
    ip: Option<String>,
    user_agent: Option<&str>,
    proof: Proof,
    now: i64,
) -> Result<sso_session::Model, DbErr> {
    let start = SessionStart {
        user_id,
        ttl_secs,
        ip,
        user_agent,
        amr: proof.amr(),
        authenticated_at: now,
    };
    start_as(db, start, now).await
}

/// A session to start, proven as another was: a device signed in from a
/// browser's session (`domain::device_grant`).
#[derive(Debug, Clone)]
pub struct SessionStart<'a> {
    pub user_id: &'a str,
    pub ttl_secs: i64,
    pub ip: Option<String>,
    pub user_agent: Option<&'a str>,
    /// RFC 8176 `amr` values, space-separated.
    pub amr: &'a str,
    /// When the person last proved who they are.
    pub authenticated_at: i64,
}

/// Starts the session `start` describes.
pub async fn start_as(
    db: &impl ConnectionTrait,
    start: SessionStart<'_>,
    now: i64,
) -> Result<sso_session::Model, DbErr> {
    let SessionStart {
        user_id,
        ttl_secs,
        ip,
        user_agent,
        amr,
        authenticated_at,
    } = start;
    sso_session::ActiveModel {
        id: Set(crate::crypto::random_id()),
        user_id: Set(user_id.to_owned()),
        created_at: Set(now),
        authenticated_at: Set(authenticated_at),
        amr: Set(amr.to_owned()),
        expires_at: Set(now + ttl_secs),
        ended_at: Set(None),
        ip: Set(ip),
        user_agent: Set(user_agent.map(clean_user_agent)),
    }
    .insert(db)
    .await
}

/// The session and its person, if the session is live (not ended, not
/// expired) and the account is not disabled. One round trip.
pub async fn find_active(
    db: &impl ConnectionTrait,
    id: &str,
    now: i64,
) -> Result<Option<(sso_session::Model, user::Model)>, DbErr> {
    first_live(
        db,
        live_with_person(now).filter(sso_session::Column::Id.eq(id)),
    )
    .await
}

/// [`find_active`] for the sign-in session the browser's HTTP session is
/// bound to, found by the HTTP session's stored id (`WebSession::stored_id`)
/// in the same query: who a browser is takes one round trip, whether or not
/// the request then reads its HTTP session (an authorization request does
/// not).
pub async fn find_by_http_session(
    db: &impl ConnectionTrait,
    http_session_id_hash: &str,
    now: i64,
) -> Result<Option<(sso_session::Model, user::Model)>, DbErr> {
    let bound: RelationDef = http_session::Entity::belongs_to(sso_session::Entity)
        .from(http_session::Column::SsoSessionId)
        .to(sso_session::Column::Id)
        .into();
    let query = live_with_person(now)
        .join_rev(JoinType::InnerJoin, bound)
        .filter(http_session::Column::IdHash.eq(http_session_id_hash))
        .filter(http_session::Column::ExpiresAt.gt(now));
    first_live(db, query).await
}

/// Live sessions joined with their people, who must not be disabled.
fn live_with_person(now: i64) -> SelectTwo<sso_session::Entity, user::Entity> {
    let person: RelationDef = sso_session::Entity::belongs_to(user::Entity)
        .from(sso_session::Column::UserId)
        .to(user::Column::Id)
        .into();
    sso_session::Entity::find()
        .filter(sso_session::Column::EndedAt.is_null())
        .filter(sso_session::Column::ExpiresAt.gt(now))
        .join(JoinType::InnerJoin, person)
        .filter(user::Column::Disabled.eq(false))
        .select_also(user::Entity)
}

async fn first_live(
    db: &impl ConnectionTrait,
    query: SelectTwo<sso_session::Entity, user::Entity>,
) -> Result<Option<(sso_session::Model, user::Model)>, DbErr> {
    // `all` with a limit is one round trip (see `db::first`).
    let found = query.limit(1).all(db).await?;
    Ok(found
        .into_iter()
        .next()
        .and_then(|(session, person)| person.map(|p| (session, p))))
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

/// Records that the person proved who they are again in this session (a
/// sign-in asked for with `prompt=login` or `max_age`): the id_token's
/// `auth_time` moves, the session and its expiry stay.
pub async fn reauthenticated(
    db: &impl ConnectionTrait,
    id: &str,
    proof: Proof,
    now: i64,
) -> Result<(), DbErr> {
    sso_session::Entity::update_many()
        .col_expr(sso_session::Column::AuthenticatedAt, Expr::value(now))
        .col_expr(sso_session::Column::Amr, Expr::value(proof.amr()))
        .filter(sso_session::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Why and from where a session ended, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Ending<'a> {
    /// "sign-out", "sign out everywhere", "account disabled", …
    pub reason: &'a str,
    pub ip: Option<&'a str>,
}

/// Ends one session and revokes every refresh token under it, in one
/// transaction with its audit entry: signed out here means signed out on
/// every client site. The session is ended first, so a token family being
/// started under it at the same moment either waits for this (and is
/// revoked by the second statement) or finds the session ended
/// (`tokens::start_family`).
pub async fn end(
    db: &impl TransactionTrait,
    id: &str,
    ending: Ending<'_>,
    now: i64,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let ended = sso_session::Entity::update_many()
        .col_expr(sso_session::Column::EndedAt, Expr::value(now))
        .filter(sso_session::Column::Id.eq(id))
        .filter(sso_session::Column::EndedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::SsoSessionId.eq(id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if ended > 0 {
        let session = sso_session::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?;
        let person = match &session {
            Some(session) => {
                user::Entity::find_by_id(session.user_id.clone())
                    .one(&txn)
                    .await?
            }
            None => None,
        };
        record_ending(&txn, person.as_ref(), ending, 1, now).await?;
        // A session past its expiry has nothing live left to refuse.
        if session.is_some_and(|s| s.expires_at > now) {
            crate::domain::backchannel::enqueue_session(&txn, id, now).await?;
        }
    }
    txn.commit().await?;
    crate::domain::backchannel::wake();
    Ok(())
}

async fn record_ending(
    db: &impl ConnectionTrait,
    person: Option<&user::Model>,
    ending: Ending<'_>,
    sessions: u64,
    now: i64,
) -> Result<(), DbErr> {
    let details = match sessions {
        1 => ending.reason.to_owned(),
        n => format!("{}: {n} sessions", ending.reason),
    };
    audit::record(
        db,
        audit::Event::SessionEnded,
        person.map(|u| audit::Person {
            user_id: &u.id,
            username: &u.username,
        }),
        ending.ip,
        &details,
        now,
    )
    .await
}

/// Ends one of `user_id`'s sessions (the account page's per-session
/// sign-out). Returns whether it was theirs and live.
pub async fn end_own(
    db: &(impl TransactionTrait + ConnectionTrait),
    user_id: &str,
    id: &str,
    ending: Ending<'_>,
    now: i64,
) -> Result<bool, DbErr> {
    let owned = sso_session::Entity::find_by_id(id.to_owned())
        .filter(sso_session::Column::UserId.eq(user_id))
        .filter(sso_session::Column::EndedAt.is_null())
        .filter(sso_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some();
    if owned {
        end(db, id, ending, now).await?;
    }
    Ok(owned)
}

/// Ends all of a person's sessions ("sign out everywhere", a disabled
/// account) and revokes all their refresh tokens, in one transaction.
pub async fn end_all_for_user(
    db: &impl TransactionTrait,
    user_id: &str,
    ending: Ending<'_>,
    now: i64,
) -> Result<u64, DbErr> {
    end_all_but(db, user_id, None, ending, now).await
}

/// Ends all of a person's sessions but `keep` (the one that changed the
/// password stays signed in), revoking their refresh tokens.
pub async fn end_others(
    db: &impl TransactionTrait,
    user_id: &str,
    keep: &str,
    ending: Ending<'_>,
    now: i64,
) -> Result<u64, DbErr> {
    end_all_but(db, user_id, Some(keep), ending, now).await
}

async fn end_all_but(
    db: &impl TransactionTrait,
    user_id: &str,
    keep: Option<&str>,
    ending: Ending<'_>,
    now: i64,
) -> Result<u64, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut sessions = sso_session::Entity::update_many()
        .col_expr(sso_session::Column::EndedAt, Expr::value(now))
        .filter(sso_session::Column::UserId.eq(user_id))
        .filter(sso_session::Column::EndedAt.is_null());
    let mut tokens = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        sessions = sessions.filter(sso_session::Column::Id.ne(keep));
        tokens = tokens.filter(refresh_token::Column::SsoSessionId.ne(keep));
    }
    // RETURNING: exactly the sessions this statement ended, for the notices.
    let ended_now = sessions.exec_with_returning(&txn).await?;
    let ended = ended_now.len() as u64;
    tokens.exec(&txn).await?;
    if ended > 0 {
        let person = user::Entity::find_by_id(user_id.to_owned())
            .one(&txn)
            .await?;
        record_ending(&txn, person.as_ref(), ending, ended, now).await?;
        for session in ended_now.iter().filter(|s| s.expires_at > now) {
            crate::domain::backchannel::enqueue_session(&txn, &session.id, now).await?;
        }
    }
    txn.commit().await?;
    crate::domain::backchannel::wake();
    Ok(ended)
}

/// A live session as the account page shows it.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub session: sso_session::Model,
    /// The latest sign-in, token start or refresh in this session.
    pub last_seen: i64,
    /// Names of the client sites holding a live token under it, A to Z.
    pub sites: Vec<String>,
}

/// A person's live sessions with when each was last used and at which
/// client sites, newest first. Three queries, whatever the count.
pub async fn summaries(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: i64,
) -> Result<Vec<SessionSummary>, DbErr> {
    let sessions = list_active(db, user_id, now).await?;
    let families = refresh_token::Entity::find()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .all(db)
        .await?;
    let client_ids: Vec<&str> = families.iter().map(|f| f.client_id.as_str()).collect();
    let names: std::collections::HashMap<String, String> = client::Entity::find()
        .filter(client::Column::ClientId.is_in(client_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.client_id, c.name))
        .collect();
    Ok(sessions
        .into_iter()
        .map(|session| {
            let mine: Vec<&refresh_token::Model> = families
                .iter()
                .filter(|f| f.sso_session_id == session.id)
                .collect();
            let last_seen = mine
                .iter()
                .map(|f| f.rotated_at.unwrap_or(f.created_at))
                .chain([session.authenticated_at, session.created_at])
                .max()
                .unwrap_or(session.created_at);
            let mut sites: Vec<String> = mine
                .iter()
                .filter_map(|f| names.get(&f.client_id).cloned())
                .collect();
            sites.sort_by_key(|name| name.to_lowercase());
            sites.dedup();
            SessionSummary {
                session,
                last_seen,
                sites,
            }
        })
        .collect())
}

/// "Firefox on Linux", "Safari on iPhone": the browser and system a
/// User-Agent names, for people. `None` when it names nothing known.
pub fn device_name(user_agent: &str) -> Option<crate::i18n::Msg> {
    use crate::i18n::Msg;
    let parsed = woothee::parser::Parser::new().parse(user_agent)?;
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    match (known(parsed.name), known(parsed.os)) {
        (true, true) => Some(
            Msg::new("device-browser-on-os")
                .with("browser", parsed.name)
                .with("os", parsed.os),
        ),
        (true, false) => Some(Msg::new("device-only").with("name", parsed.name)),
        (false, true) => Some(Msg::new("device-only").with("name", parsed.os)),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::device_name;
    use crate::i18n::Lang;

    #[test]
    fn user_agents_become_device_names() {
        let name = |ua: &str, lang| device_name(ua).map(|m| m.in_lang(lang));
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(name(firefox, Lang::En).as_deref(), Some("Firefox on Linux"));
        assert_eq!(
            name(firefox, Lang::De).as_deref(),
            Some("Firefox auf Linux")
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(name(iphone, Lang::En).as_deref(), Some("Safari on iPhone"));
        assert_eq!(device_name("reqwest/0.12"), None);
        assert_eq!(device_name(""), None);
    }
}
