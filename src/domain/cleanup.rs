//! Periodic sweeping of rows that can no longer matter: expired HTTP
//! sessions, authorization codes, tokens and sessions long past expiry,
//! expired mailed links (and so unconfirmed registrations), given-up mails.

use std::time::Duration;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use crate::clock::Clock;
use crate::db::stmt;
use crate::entities::{account_throttle, ip_throttle, rate_limit};
use crate::resources::{CLEANUP_INTERVAL_SECS, OFFENCE_MEMORY_SECS};

/// Runs [`sweep`] forever, every few minutes, keeping audit entries for
/// `audit_retention_secs`.
pub async fn run(db: DatabaseConnection, clock: Clock, audit_retention_secs: i64) {
    let mut interval = tokio::time::interval(Duration::from_secs(CLEANUP_INTERVAL_SECS));
    loop {
        interval.tick().await;
        if let Err(err) = sweep(&db, clock.now(), audit_retention_secs).await {
            tracing::warn!(error = %err, "cleanup failed");
        }
    }
}

/// Rows deleted by one statement of a sweep.
pub const SWEEP_BATCH: u64 = 500;

/// After each batch the sweep rests this many times as long as the batch
/// took (at least [`SWEEP_MIN_PAUSE`]): it holds the database (SQLite's one
/// writer, a share of PostgreSQL's disk and CPU) a fifth of the time at
/// most, whatever the load, and the hot path's writes go first.
const SWEEP_REST_FACTOR: u32 = 4;
const SWEEP_MIN_PAUSE: Duration = Duration::from_millis(10);

/// Deletes the rows of `table` (primary key `key`) whose `column` is at
/// most `bound`, [`SWEEP_BATCH`] at a time: each batch is one short
/// statement on the column's index, and the sweep rests between batches
/// (see [`SWEEP_REST_FACTOR`]), so a sweep of a million expired rows never
/// holds a lock or the single SQLite writer for long. Returns how many rows
/// went.
pub async fn delete_in_batches(
    db: &impl ConnectionTrait,
    table: &str,
    key: &str,
    column: &str,
    bound: i64,
) -> Result<u64, DbErr> {
    let sql = format!(
        "DELETE FROM {table} WHERE {key} IN \
         (SELECT {key} FROM {table} WHERE {column} <= $1 LIMIT {SWEEP_BATCH})"
    );
    let mut total = 0;
    loop {
        let started = std::time::Instant::now();
        let deleted = db
            .execute_raw(stmt(db, &sql, vec![bound.into()]))
            .await?
            .rows_affected();
        total += deleted;
        if deleted < SWEEP_BATCH {
            return Ok(total);
        }
        let rest = (started.elapsed() * SWEEP_REST_FACTOR).max(SWEEP_MIN_PAUSE);
        tokio::time::sleep(rest).await;
    }
}

/// Deletes what expired before `now`, and audit entries older than the
/// retention. The tables that grow with the number of people (HTTP
/// sessions, codes, sign-in sessions and so refresh tokens, the audit log)
/// go in bounded batches.
pub async fn sweep(
    db: &DatabaseConnection,
    now: i64,
    audit_retention_secs: i64,
) -> Result<(), DbErr> {
    delete_in_batches(db, "http_sessions", "id_hash", "expires_at", now).await?;
    // Used codes are kept until expiry so that a replay is recognised and
    // revokes what the first use issued; after that they are just noise.
    delete_in_batches(
        db,
        "authorization_codes",
        "code_hash",
        "expires_at",
        now - 3600,
    )
    .await?;
    // An SSO session past its absolute expiry takes its codes and refresh
    // tokens with it (foreign keys cascade); a day's delay keeps them
    // recognisable for error messages in the meantime.
    delete_in_batches(db, "sso_sessions", "id", "expires_at", now - 86_400).await?;
    // Failure counters nobody has touched for a day, and not suspended.
    ip_throttle::Entity::delete_many()
        .filter(ip_throttle::Column::LastFailureAt.lte(now - OFFENCE_MEMORY_SECS))
        .filter(
            Condition::any()
                .add(ip_throttle::Column::SuspendedUntil.is_null())
                .add(ip_throttle::Column::SuspendedUntil.lte(now - OFFENCE_MEMORY_SECS)),
        )
        .exec(db)
        .await?;
    account_throttle::Entity::delete_many()
        .filter(account_throttle::Column::LastFailureAt.lte(now - OFFENCE_MEMORY_SECS))
        .exec(db)
        .await?;
    // No rate limit's window is longer than a day.
    rate_limit::Entity::delete_many()
        .filter(rate_limit::Column::WindowStartedAt.lte(now - OFFENCE_MEMORY_SECS))
        .exec(db)
        .await?;
    // Expired mailed links: unconfirmed registrations go with them.
    crate::domain::links::sweep(db, now).await?;
    crate::mail::queue::sweep(db, now).await?;
    crate::domain::backchannel::sweep(db, now).await?;
    crate::domain::device_grant::sweep(db, now).await?;
    crate::domain::audit::sweep(db, now - audit_retention_secs).await?;
    Ok(())
}
