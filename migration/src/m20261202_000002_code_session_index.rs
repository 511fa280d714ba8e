//! An index on the sign-in session of authorization codes. Deleting a
//! session (a sign-out sweep, a deleted account) cascades to its codes; without
//! this index every deleted session scanned the whole codes table, and a
//! sweep of a million expired sessions under a code-flow load stalled
//! SQLite's one writer for minutes (docs/benchmarks.md, issue 19).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_authorization_codes_session")
                    .table(AuthorizationCodes::Table)
                    .col(AuthorizationCodes::SsoSessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_authorization_codes_session")
                    .table(AuthorizationCodes::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    SsoSessionId,
}
