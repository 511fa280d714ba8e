//! Throttling failed sign-ins (and failed client authentications).
//!
//! **Per IP address**, strictly: every attempt first *reserves* a slot with
//! one atomic upsert, before any password work; failures keep their slot,
//! successes give it back. A reservation beyond `AUTH_LOGIN_MAX_FAILURES`
//! (attempts in flight plus failures in the window) is refused without
//! checking anything, so parallel attempts cannot slip past the limit (the
//! race of Zitadel's GHSA-7h8m-vrxx-vr4m): exactly as many passwords are
//! checked as sequential attempts would check. The failure that reaches the
//! limit suspends the address. Suspensions double for repeat offenders (up
//! to 32×) and are forgotten after a quiet day.
//!
//! **Per account**, softly: after `AUTH_ACCOUNT_MAX_FAILURES` failures to one
//! account from anywhere, attempts on it are spaced out exponentially (2 s,
//! 4 s, 8 s … up to 5 minutes), which makes guessing spread over many
//! addresses slow. Attempts reserve their place before any password is
//! checked, as at the IP gate, so racing guesses cannot slip past the wait.
//! A browser that signed in to the account before carries a device cookie
//! that exempts it, so an attacker cannot lock the real person out (OWASP).
//!
//! **Keys**: an IPv4 address counts alone; an IPv6 address counts with its
//! whole prefix (a /64 by default, `AUTH_IPV6_PREFIX_LEN`), since one
//! subscriber's /64 holds 2^64 addresses to rotate through.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::config::Config;
use crate::db::stmt;
use crate::entities::{account_throttle, ip_throttle};
use crate::resources::{
    ACCOUNT_THROTTLE_MAX_DELAY_SECS, MAX_SUSPENSION_DOUBLINGS, OFFENCE_MEMORY_SECS,
};

/// The key an address's attempts are counted under: an IPv4 address alone,
/// an IPv6 address with its network of `v6_prefix_len` bits.
pub fn address_key(ip: std::net::IpAddr, v6_prefix_len: u8) -> String {
    match ip.to_canonical() {
        std::net::IpAddr::V6(v6) if v6_prefix_len < 128 => ipnet::Ipv6Net::new(v6, v6_prefix_len)
            .map_or_else(|_| v6.to_string(), |net| net.trunc().to_string()),
        other => other.to_string(),
    }
}

/// The thresholds, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_failures: i64,
    pub window_secs: i64,
    pub suspension_secs: i64,
    pub account_max_failures: i64,
}

impl From<&Config> for Policy {
    fn from(c: &Config) -> Self {
        Policy {
            max_failures: c.login_max_failures,
            window_secs: c.login_failure_window_secs,
            suspension_secs: c.ip_suspension_secs,
            account_max_failures: c.account_max_failures,
        }
    }
}

/// The outcome of asking to make an attempt from an address.
#[derive(Debug)]
pub enum Gate {
    /// Go ahead; report the outcome with [`failed`] or [`succeeded`].
    Open(Attempt),
    /// The address is suspended until this Unix time.
    Suspended { until: i64 },
    /// As many attempts as the limit allows are already in flight or failed;
    /// this one is refused unchecked (and not counted). Try again shortly.
    Busy,
}

/// A reserved attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    ip: String,
    count: i64,
    window_started_at: i64,
}

/// Reserves an attempt for `ip`, or says it is suspended. One atomic
/// statement; an attempt refused (suspended, or as many in flight and
/// failed as the limit allows) writes nothing.
pub async fn reserve(
    db: &impl ConnectionTrait,
    ip: &str,
    policy: Policy,
    now: i64,
) -> Result<Gate, DbErr> {
    let sql = "INSERT INTO ip_throttle (ip, failures, window_started_at, last_failure_at, suspended_until, offences) \
        VALUES ($1, 1, $2, $2, NULL, 0) \
        ON CONFLICT (ip) DO UPDATE SET \
          failures = CASE WHEN ip_throttle.window_started_at <= $3 THEN 1 ELSE ip_throttle.failures + 1 END, \
          window_started_at = CASE WHEN ip_throttle.window_started_at <= $3 THEN $2 \
            ELSE ip_throttle.window_started_at END, \
          last_failure_at = $2 \
        WHERE (ip_throttle.suspended_until IS NULL OR ip_throttle.suspended_until <= $2) \
          AND (ip_throttle.window_started_at <= $3 OR ip_throttle.failures < $4) \
        RETURNING failures, window_started_at";
    let values = vec![
        ip.into(),
        now.into(),
        (now - policy.window_secs).into(),
        policy.max_failures.into(),
    ];
    let Some(row) = db.query_one_raw(stmt(db, sql, values)).await? else {
        // Refused, and nothing written: suspended, or at the limit.
        return Ok(match suspended_until(db, ip, now).await? {
            Some(until) => Gate::Suspended { until },
            None => Gate::Busy,
        });
    };
    Ok(Gate::Open(Attempt {
        ip: ip.to_owned(),
        count: i64::from(row.try_get::<i32>("", "failures")?),
        window_started_at: row.try_get("", "window_started_at")?,
    }))
}

/// How many more failures the attempt's address may have in its window
/// before it is suspended, once this attempt has failed (0: this failure
/// suspends it).
pub fn attempts_left(attempt: &Attempt, policy: Policy) -> i64 {
    (policy.max_failures - attempt.count).max(0)
}

/// Records that the attempt failed. Returns when the address is suspended
/// until, if this failure reached the limit.
pub async fn failed(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    policy: Policy,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    if attempt.count >= policy.max_failures {
        return suspend(db, &attempt.ip, policy, now).await.map(Some);
    }
    Ok(None)
}

/// Records that the attempt succeeded: its slot is given back (unless the
/// window has moved on since). Not a reset, so one good password cannot
/// launder the failures of many guesses.
pub async fn succeeded(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<(), DbErr> {
    let sql = "UPDATE ip_throttle SET failures = failures - 1 \
               WHERE ip = $1 AND failures > 0 AND window_started_at = $2";
    db.execute_raw(stmt(
        db,
        sql,
        vec![attempt.ip.clone().into(), attempt.window_started_at.into()],
    ))
    .await?;
    Ok(())
}

/// Suspends `ip` unless it already is; returns until when. Escalates for
/// an address whose previous suspension ended less than a day ago.
pub async fn suspend(
    db: &impl ConnectionTrait,
    ip: &str,
    policy: Policy,
    now: i64,
) -> Result<i64, DbErr> {
    let ladder: String = (0..MAX_SUSPENSION_DOUBLINGS)
        .map(|n| format!("WHEN {n} THEN {}", 1_i64 << n))
        .collect::<Vec<_>>()
        .join(" ");
    let previous = "(CASE WHEN ip_throttle.suspended_until IS NULL OR ip_throttle.suspended_until <= $4 \
                    THEN 0 ELSE ip_throttle.offences END)";
    let sql = format!(
        "INSERT INTO ip_throttle (ip, failures, window_started_at, last_failure_at, suspended_until, offences) \
         VALUES ($1, 0, $2, $2, $2 + $3, 1) \
         ON CONFLICT (ip) DO UPDATE SET \
           offences = {previous} + 1, \
           suspended_until = $2 + $3 * (CASE {previous} {ladder} ELSE {max} END), \
           failures = 0, \
           window_started_at = $2 \
         WHERE ip_throttle.suspended_until IS NULL OR ip_throttle.suspended_until <= $2 \
         RETURNING suspended_until",
        max = 1_i64 << MAX_SUSPENSION_DOUBLINGS,
    );
    let values = vec![
        ip.into(),
        now.into(),
        policy.suspension_secs.into(),
        (now - OFFENCE_MEMORY_SECS).into(),
    ];
    if let Some(row) = db.query_one_raw(stmt(db, &sql, values)).await? {
        let until: i64 = row.try_get("", "suspended_until")?;
        tracing::warn!(%ip, until, "IP address suspended after too many failed attempts");
        return Ok(until);
    }
    // Someone else suspended it a moment ago.
    Ok(suspended_until(db, ip, now)
        .await?
        .unwrap_or(now + policy.suspension_secs))
}

/// When `ip` is suspended until, if it is.
pub async fn suspended_until(
    db: &impl ConnectionTrait,
    ip: &str,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    Ok(ip_throttle::Entity::find_by_id(ip.to_owned())
        .one(db)
        .await?
        .and_then(|row| row.suspended_until)
        .filter(|&until| until > now))
}

/// Records a failure without a reservation (an attempt cheap to check,
/// where there is no password to protect: a guessed device user code).
pub async fn record_failure(
    db: &impl ConnectionTrait,
    ip: &str,
    policy: Policy,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    match reserve(db, ip, policy, now).await? {
        Gate::Suspended { until } => Ok(Some(until)),
        Gate::Busy => Ok(None),
        Gate::Open(attempt) => failed(db, &attempt, policy, now).await,
    }
}

/// Suspensions in force, soonest to lift first.
pub async fn active_suspensions(
    db: &impl ConnectionTrait,
    now: i64,
) -> Result<Vec<ip_throttle::Model>, DbErr> {
    ip_throttle::Entity::find()
        .filter(ip_throttle::Column::SuspendedUntil.gt(now))
        .order_by_asc(ip_throttle::Column::SuspendedUntil)
        .all(db)
        .await
}

/// Lifts a suspension and pardons past offences. Returns whether one was in force.
pub async fn lift(db: &impl ConnectionTrait, ip: &str, now: i64) -> Result<bool, DbErr> {
    let was = suspended_until(db, ip, now).await?.is_some();
    let sql = "UPDATE ip_throttle SET suspended_until = NULL, failures = 0, offences = 0, window_started_at = $2 WHERE ip = $1";
    db.execute_raw(stmt(db, sql, vec![ip.into(), now.into()]))
        .await?;
    Ok(was)
}

/// The account key for a sign-in: the account when it exists, else the name
/// typed, so unknown names are throttled (and answered) exactly alike.
pub fn account_key(user_id: Option<&str>, login: &str) -> String {
    match user_id {
        Some(id) => format!("user:{id}"),
        None => format!("name:{login}"),
    }
}

/// The per-account delay after `failures` failures (at or over the
/// threshold): 2 s, doubling with each further failure, capped.
fn account_delay(failures: i64, policy: Policy) -> i64 {
    let excess = (failures - policy.account_max_failures).clamp(0, 20);
    (2_i64 << excess).min(ACCOUNT_THROTTLE_MAX_DELAY_SECS)
}

/// [`account_delay`] in SQL, of the column expression `failures`.
fn account_delay_sql(failures: &str, policy: Policy) -> String {
    let steps: String = (0..=20)
        .map(|excess| {
            (
                excess,
                account_delay(policy.account_max_failures + excess, policy),
            )
        })
        .take_while(|&(_, delay)| delay < ACCOUNT_THROTTLE_MAX_DELAY_SECS)
        .map(|(excess, delay)| format!("WHEN {excess} THEN {delay} "))
        .collect();
    format!(
        "(CASE {failures} - {} {steps}ELSE {ACCOUNT_THROTTLE_MAX_DELAY_SECS} END)",
        policy.account_max_failures
    )
}

/// The outcome of asking to make an attempt on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountGate {
    /// Go ahead. The attempt already counts as a failure; a success clears
    /// the count ([`account_succeeded`]).
    Open,
    /// Attempts on this account must wait until this Unix time.
    Wait { until: i64 },
}

/// Reserves an attempt on an account before any password is checked, in
/// one atomic statement, as the IP gate does: the attempt is counted as a
/// failure up front, and is allowed only while the account is under the
/// threshold or its wait has lapsed. So of attempts racing once a wait
/// lapses, from however many addresses, exactly one is checked; the rest
/// are told to wait and write nothing. The count starts over after a quiet
/// window.
pub async fn reserve_account(
    db: &impl ConnectionTrait,
    key: &str,
    policy: Policy,
    now: i64,
) -> Result<AccountGate, DbErr> {
    let sql = format!(
        "INSERT INTO account_throttle (account, failures, window_started_at, last_failure_at) \
         VALUES ($1, 1, $2, $2) \
         ON CONFLICT (account) DO UPDATE SET \
           failures = CASE WHEN account_throttle.last_failure_at <= $3 THEN 1 \
             ELSE account_throttle.failures + 1 END, \
           window_started_at = CASE WHEN account_throttle.last_failure_at <= $3 THEN $2 \
             ELSE account_throttle.window_started_at END, \
           last_failure_at = $2 \
         WHERE account_throttle.last_failure_at <= $3 \
            OR account_throttle.failures < $4 \
            OR account_throttle.last_failure_at + {} <= $2 \
         RETURNING failures",
        account_delay_sql("account_throttle.failures", policy)
    );
    let values = vec![
        key.into(),
        now.into(),
        (now - policy.window_secs).into(),
        policy.account_max_failures.into(),
    ];
    if db.query_one_raw(stmt(db, &sql, values)).await?.is_some() {
        return Ok(AccountGate::Open);
    }
    let until = account_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.last_failure_at + account_delay(i64::from(row.failures), policy))
        .filter(|&until| until > now)
        .unwrap_or(now + 1);
    Ok(AccountGate::Wait { until })
}

/// Counts a failure against an account that was not reserved (a browser
/// that signed in to the account before skips the gate, but its failures
/// still count). The count only starts over after a quiet window, so
/// sustained guessing keeps the longest delay.
pub async fn account_failed(
    db: &impl ConnectionTrait,
    key: &str,
    policy: Policy,
    now: i64,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO account_throttle (account, failures, window_started_at, last_failure_at) VALUES ($1, 1, $2, $2) \
        ON CONFLICT (account) DO UPDATE SET \
          failures = CASE WHEN account_throttle.last_failure_at <= $3 THEN 1 ELSE account_throttle.failures + 1 END, \
          window_started_at = CASE WHEN account_throttle.last_failure_at <= $3 THEN $2 ELSE account_throttle.window_started_at END, \
          last_failure_at = $2";
    db.execute_raw(stmt(
        db,
        sql,
        vec![key.into(), now.into(), (now - policy.window_secs).into()],
    ))
    .await?;
    Ok(())
}

/// A successful sign-in clears the account's count.
pub async fn account_succeeded(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    account_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_delay_doubles_from_two_seconds_to_its_cap() {
        let policy = Policy {
            max_failures: 5,
            window_secs: 900,
            suspension_secs: 900,
            account_max_failures: 10,
        };
        let delays: Vec<i64> = (10..20).map(|f| account_delay(f, policy)).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        let sql = account_delay_sql("f", policy);
        assert!(sql.starts_with("(CASE f - 10 WHEN 0 THEN 2 "), "{sql}");
        assert!(sql.ends_with("WHEN 7 THEN 256 ELSE 300 END)"), "{sql}");
    }
}
