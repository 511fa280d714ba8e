//! Clients outside the browser: public clients (games that cannot keep a
//! secret, RFC 8252), clients allowed the device authorization grant
//! (RFC 8628), and the pending device authorizations.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_schema::cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [Clients::Public, Clients::DeviceGrant] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .add_column(boolean(column).default(false))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DeviceCodes::Table)
                    .col(string(DeviceCodes::DeviceCodeHash).primary_key())
                    .col(string(DeviceCodes::UserCodeTag))
                    .col(string(DeviceCodes::ClientId))
                    .col(string(DeviceCodes::Scope))
                    .col(string(DeviceCodes::Status))
                    .col(string_null(DeviceCodes::UserId))
                    .col(string_null(DeviceCodes::SsoSessionId))
                    .col(text_null(DeviceCodes::Ip))
                    .col(text_null(DeviceCodes::UserAgent))
                    .col(big_integer(DeviceCodes::IntervalSecs))
                    .col(big_integer_null(DeviceCodes::LastPolledAt))
                    .col(big_integer(DeviceCodes::CreatedAt))
                    .col(big_integer(DeviceCodes::ExpiresAt))
                    .col(big_integer_null(DeviceCodes::UsedAt))
                    .foreign_key(&mut cascade(
                        DeviceCodes::Table,
                        DeviceCodes::ClientId,
                        Clients::Table,
                        Clients::ClientId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_device_codes_user_code")
                    .table(DeviceCodes::Table)
                    .col(DeviceCodes::UserCodeTag)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_device_codes_expires")
                    .table(DeviceCodes::Table)
                    .col(DeviceCodes::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeviceCodes::Table).to_owned())
            .await?;
        for column in [Clients::DeviceGrant, Clients::Public] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    ClientId,
    Public,
    DeviceGrant,
}

#[derive(DeriveIden)]
enum DeviceCodes {
    Table,
    DeviceCodeHash,
    UserCodeTag,
    ClientId,
    Scope,
    Status,
    UserId,
    SsoSessionId,
    Ip,
    UserAgent,
    IntervalSecs,
    LastPolledAt,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
