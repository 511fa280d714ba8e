//! OpenID Connect Back-Channel Logout: where each client site wants to
//! hear that a session ended, and the queue of logout notices to send
//! (one per session and client site; the `logout_token` is signed when it
//! is sent).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_schema::cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(text_null(Clients::BackchannelLogoutUri))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LogoutDeliveries::Table)
                    .col(
                        big_integer(LogoutDeliveries::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string(LogoutDeliveries::ClientId))
                    .col(string(LogoutDeliveries::SsoSessionId))
                    .col(string(LogoutDeliveries::UserId))
                    .col(integer(LogoutDeliveries::Attempts).default(0))
                    .col(big_integer(LogoutDeliveries::NextAttemptAt))
                    .col(big_integer_null(LogoutDeliveries::LockedUntil))
                    .col(text_null(LogoutDeliveries::LastError))
                    .col(boolean(LogoutDeliveries::Failed).default(false))
                    .col(big_integer(LogoutDeliveries::CreatedAt))
                    .foreign_key(&mut cascade(
                        LogoutDeliveries::Table,
                        LogoutDeliveries::ClientId,
                        Clients::Table,
                        Clients::ClientId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_logout_deliveries_due")
                    .table(LogoutDeliveries::Table)
                    .col(LogoutDeliveries::Failed)
                    .col(LogoutDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LogoutDeliveries::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(Clients::BackchannelLogoutUri)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    ClientId,
    BackchannelLogoutUri,
}

#[derive(DeriveIden)]
enum LogoutDeliveries {
    Table,
    Id,
    ClientId,
    SsoSessionId,
    UserId,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    Failed,
    CreatedAt,
}
