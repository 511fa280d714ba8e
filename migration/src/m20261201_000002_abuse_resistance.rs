//! Abuse resistance: a table of fixed-window rate limits (registrations per
//! address, and whatever else must be counted per key), and indexes for
//! reading the audit log by kind, person and address now that it holds
//! security events (sign-ins, failures, suspensions, token reuse, ended
//! sessions) beside admin actions.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .col(string(RateLimits::Key).primary_key())
                    .col(big_integer(RateLimits::WindowStartedAt))
                    .col(integer(RateLimits::Hits).default(0))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_rate_limits_window",
            RateLimits::Table,
            RateLimits::WindowStartedAt,
        )
        .await?;
        index(
            manager,
            "ix_audit_log_action",
            AuditLog::Table,
            AuditLog::Action,
        )
        .await?;
        index(
            manager,
            "ix_audit_log_actor",
            AuditLog::Table,
            AuditLog::ActorUserId,
        )
        .await?;
        index(manager, "ix_audit_log_ip", AuditLog::Table, AuditLog::Ip).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_audit_log_action",
            "ix_audit_log_actor",
            "ix_audit_log_ip",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(AuditLog::Table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(RateLimits::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    WindowStartedAt,
    Hits,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Action,
    ActorUserId,
    Ip,
}
