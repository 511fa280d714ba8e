//! The device authorization grant (RFC 8628): a console, a TV or a headless
//! game server that has no browser asks for a pair of codes, shows the
//! person the short one, and polls with the long one while the person
//! confirms on their phone or computer at `/device`.
//!
//! - The *device code* is 256 random bits, stored as its SHA-256.
//! - The *user code* is 8 characters from 20 consonants (RFC 8628 §6.1: no
//!   vowels, so no words; no digits, so nothing to confuse), shown as
//!   `XXXX-XXXX`, typed in any case with or without the dash. It is stored
//!   as a keyed hash (`Keys::user_code_tag`). Its 34.6 bits stand against
//!   guessing because every miss at `/device` counts as a failed attempt of
//!   the guesser's address (the IP suspension of failed sign-ins), and a
//!   pair lives [`DEVICE_CODE_TTL_SECS`].
//! - Approving starts the device's own sign-in session (its own "device"
//!   on the account page, signed out on its own), proven as the approving
//!   session was. Its tokens hang on that session like any browser's.
//! - A device that polls sooner than its interval is told `slow_down`, and
//!   its interval grows by 5 s for good (§3.5). An approved pair yields
//!   tokens once: the claim is one conditional `UPDATE`, so of two racing
//!   polls exactly one wins.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use crate::crypto::{Keys, hash_token, random_bytes, random_token};
use crate::domain::{audit, clients, sso};
use crate::entities::{client, device_code, sso_session, user};
use crate::error::{AppError, AppResult, is_unique_violation};

/// The letters of a user code: consonants only, none easily mistaken.
pub const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters in a user code (shown in two groups of four).
pub const USER_CODE_LEN: usize = 8;
/// How long a device authorization waits for its person.
pub const DEVICE_CODE_TTL_SECS: i64 = 600;
/// What `slow_down` adds to a device's interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP_SECS: i64 = 5;

const PENDING: &str = "pending";
const APPROVED: &str = "approved";
const DENIED: &str = "denied";

/// A user code as typed, made canonical (`BCDFGHJK`), if it can be one.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// A canonical user code as people read it: `BCDF-GHJK`.
pub fn display_user_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(USER_CODE_LEN / 2));
    format!("{a}-{b}")
}

/// A fresh canonical user code, uniformly drawn (rejection sampling: 240
/// is the largest multiple of 20 a byte holds).
fn new_user_code() -> AppResult<String> {
    let mut code = String::with_capacity(USER_CODE_LEN);
    while code.len() < USER_CODE_LEN {
        for byte in random_bytes(16)? {
            if byte < 240 && code.len() < USER_CODE_LEN {
                let letter = USER_CODE_ALPHABET[usize::from(byte) % USER_CODE_ALPHABET.len()];
                code.push(char::from(letter));
            }
        }
    }
    Ok(code)
}

/// A device authorization just made (RFC 8628 §3.2), codes in plain text
/// this once.
#[derive(Debug, Clone)]
pub struct Issued {
    pub device_code: String,
    /// As shown: `XXXX-XXXX`.
    pub user_code: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Where the asking device is, for the session it will get.
#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Makes a device authorization for `client_id`.
pub async fn issue(
    db: &impl ConnectionTrait,
    keys: &Keys,
    client_id: &str,
    scope: &str,
    device: DeviceInfo,
    interval: i64,
    now: i64,
) -> AppResult<Issued> {
    let device_code = random_token()?;
    // A user code equal to a live (or not yet swept) one is drawn again:
    // with 20^8 codes, more than a few draws means something is wrong.
    for _ in 0..4 {
        let user_code = new_user_code()?;
        let inserted = device_code::ActiveModel {
            device_code_hash: Set(hash_token(&device_code)),
            user_code_tag: Set(keys.user_code_tag(&user_code)),
            client_id: Set(client_id.to_owned()),
            scope: Set(scope.to_owned()),
            status: Set(PENDING.to_owned()),
            user_id: Set(None),
            sso_session_id: Set(None),
            ip: Set(device.ip.clone()),
            user_agent: Set(device.user_agent.clone()),
            interval_secs: Set(interval),
            last_polled_at: Set(None),
            created_at: Set(now),
            expires_at: Set(now + DEVICE_CODE_TTL_SECS),
            used_at: Set(None),
        }
        .insert(db)
        .await;
        match inserted {
            Ok(_) => {
                return Ok(Issued {
                    device_code,
                    user_code: display_user_code(&user_code),
                    expires_in: DEVICE_CODE_TTL_SECS,
                    interval,
                });
            }
            Err(err) if is_unique_violation(&err) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::internal(
        "no free device user code after four draws",
    ))
}

/// A device authorization waiting for its person, and the client that asked.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub row: device_code::Model,
    pub client: client::Model,
}

/// The live, undecided authorization a canonical user code names, if any
/// (of an enabled client).
pub async fn find_waiting(
    db: &impl ConnectionTrait,
    keys: &Keys,
    user_code: &str,
    now: i64,
) -> Result<Option<Waiting>, DbErr> {
    let found = device_code::Entity::find()
        .filter(device_code::Column::UserCodeTag.eq(keys.user_code_tag(user_code)))
        .filter(device_code::Column::Status.eq(PENDING))
        .filter(device_code::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let client = clients::find(db, &row.client_id).await?;
    Ok(client
        .filter(|c| c.enabled)
        .map(|client| Waiting { row, client }))
}

/// What the person said on `/device`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// Records the person's decision on the authorization `user_code` names,
/// if it is still waiting. Approving starts the device's session, proven
/// as `approving` (the person's session at `/device`) was. Returns whether
/// the decision was taken (false: decided already, expired or unknown).
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &impl TransactionTrait,
    keys: &Keys,
    user_code: &str,
    decision: Decision,
    person: &user::Model,
    approving: &sso_session::Model,
    session_ttl_secs: i64,
    now: i64,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let Some(waiting) = find_waiting(&txn, keys, user_code, now).await? else {
        return Ok(false);
    };
    let (status, session) = match decision {
        Decision::Deny => (DENIED, None),
        Decision::Approve => {
            let device = sso::SessionStart {
                user_id: &person.id,
                ttl_secs: session_ttl_secs,
                ip: waiting.row.ip.clone(),
                user_agent: waiting.row.user_agent.as_deref(),
                amr: &approving.amr,
                authenticated_at: approving.authenticated_at,
            };
            (APPROVED, Some(sso::start_as(&txn, device, now).await?))
        }
    };
    let decided = device_code::Entity::update_many()
        .col_expr(device_code::Column::Status, Expr::value(status))
        .col_expr(device_code::Column::UserId, Expr::value(person.id.as_str()))
        .col_expr(
            device_code::Column::SsoSessionId,
            Expr::value(session.as_ref().map(|s| s.id.clone())),
        )
        .filter(device_code::Column::DeviceCodeHash.eq(waiting.row.device_code_hash.as_str()))
        .filter(device_code::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?
        .rows_affected;
    if decided == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    if decision == Decision::Approve {
        audit::record(
            &txn,
            audit::Event::DeviceApproved,
            Some(audit::Person {
                user_id: &person.id,
                username: &person.username,
            }),
            approving.ip.as_deref(),
            &format!("client {}", waiting.client.client_id),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// What a poll of the token endpoint learns (RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// The person has not decided yet: `authorization_pending`.
    Pending,
    /// Sooner than the interval: `slow_down`, and the interval grows.
    SlowDown,
    /// `access_denied`.
    Denied,
    /// `expired_token`.
    Expired,
    /// Unknown, another client's, or already redeemed: `invalid_grant`.
    Invalid,
    /// Approved, and this poll is the one that redeems it.
    Approved {
        user_id: String,
        sso_session_id: String,
        scope: String,
    },
}

/// A poll by `client_id` with `device_code`.
pub async fn poll(
    db: &impl ConnectionTrait,
    client_id: &str,
    device_code: &str,
    now: i64,
) -> Result<Poll, DbErr> {
    let hash = hash_token(device_code);
    let Some(row) = device_code::Entity::find_by_id(hash.clone())
        .filter(device_code::Column::ClientId.eq(client_id))
        .one(db)
        .await?
    else {
        return Ok(Poll::Invalid);
    };
    if row.used_at.is_some() {
        return Ok(Poll::Invalid);
    }
    if row.expires_at <= now {
        return Ok(Poll::Expired);
    }
    let by_hash = || {
        device_code::Entity::update_many()
            .col_expr(device_code::Column::LastPolledAt, Expr::value(now))
            .filter(device_code::Column::DeviceCodeHash.eq(hash.as_str()))
    };
    if row
        .last_polled_at
        .is_some_and(|last| now - last < row.interval_secs)
    {
        by_hash()
            .col_expr(
                device_code::Column::IntervalSecs,
                Expr::col(device_code::Column::IntervalSecs).add(SLOW_DOWN_STEP_SECS),
            )
            .exec(db)
            .await?;
        return Ok(Poll::SlowDown);
    }
    // Only an approval gives the row a session (`decide`).
    let (Some(user_id), Some(sso_session_id)) = (&row.user_id, &row.sso_session_id) else {
        by_hash().exec(db).await?;
        return Ok(match row.status.as_str() {
            DENIED => Poll::Denied,
            _ => Poll::Pending,
        });
    };
    // The one poll that redeems it: of racing polls, exactly one matches.
    let claimed = by_hash()
        .col_expr(device_code::Column::UsedAt, Expr::value(now))
        .filter(device_code::Column::UsedAt.is_null())
        .filter(device_code::Column::Status.eq(APPROVED))
        .exec(db)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(Poll::Invalid);
    }
    Ok(Poll::Approved {
        user_id: user_id.clone(),
        sso_session_id: sso_session_id.clone(),
        scope: row.scope,
    })
}

/// Deletes device authorizations an hour past their expiry (kept that
/// long so a late poll is told `expired_token`, not `invalid_grant`).
pub async fn sweep(db: &impl ConnectionTrait, now: i64) -> Result<(), DbErr> {
    device_code::Entity::delete_many()
        .filter(device_code::Column::ExpiresAt.lte(now - 3600))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_typed_loosely_and_drawn_from_the_alphabet() {
        assert_eq!(
            normalize_user_code("bcdf-ghjk").as_deref(),
            Some("BCDFGHJK")
        );
        assert_eq!(
            normalize_user_code(" BCDF GHJK ").as_deref(),
            Some("BCDFGHJK")
        );
        assert_eq!(normalize_user_code("BCDF-GHJ"), None);
        assert_eq!(
            normalize_user_code("BCDF-GHJA"),
            None,
            "vowels are not in the alphabet"
        );
        assert_eq!(normalize_user_code("BCDF-GHJ1"), None);
        assert_eq!(normalize_user_code("ßCDF-GHJK"), None);
        assert_eq!(display_user_code("BCDFGHJK"), "BCDF-GHJK");
        for _ in 0..200 {
            let code = new_user_code().unwrap();
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        }
    }
}
