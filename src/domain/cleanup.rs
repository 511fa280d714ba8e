//! Periodic sweeping of rows that can no longer matter: expired HTTP
//! sessions, authorization codes, tokens and sessions long past expiry,
//! expired mailed links (and so unconfirmed registrations), given-up mails.

use std::time::Duration;

use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::clock::Clock;
use crate::entities::{
    account_throttle, authorization_code, http_session, ip_throttle, rate_limit, sso_session,
};
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

/// Deletes what expired before `now`, and audit entries older than the
/// retention.
pub async fn sweep(
    db: &DatabaseConnection,
    now: i64,
    audit_retention_secs: i64,
) -> Result<(), DbErr> {
    http_session::Entity::delete_many()
        .filter(http_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    // Used codes are kept until expiry so that a replay is recognised and
    // revokes what the first use issued; after that they are just noise.
    authorization_code::Entity::delete_many()
        .filter(authorization_code::Column::ExpiresAt.lte(now - 3600))
        .exec(db)
        .await?;
    // An SSO session past its absolute expiry takes its codes and refresh
    // tokens with it (foreign keys cascade); a day's delay keeps them
    // recognisable for error messages in the meantime.
    sso_session::Entity::delete_many()
        .filter(sso_session::Column::ExpiresAt.lte(now - 86_400))
        .exec(db)
        .await?;
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
