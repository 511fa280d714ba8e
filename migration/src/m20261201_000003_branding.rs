//! Branding of client sites: an accent colour on the client row, and a logo
//! in a table of its own (a few KiB each, deleted with the site).

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
                    .add_column(string_null(Clients::AccentColor))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientLogos::Table)
                    .col(string(ClientLogos::ClientId).primary_key())
                    .col(string(ClientLogos::ContentType))
                    .col(blob(ClientLogos::Data))
                    .col(big_integer(ClientLogos::UpdatedAt))
                    .foreign_key(&mut cascade(
                        ClientLogos::Table,
                        ClientLogos::ClientId,
                        Clients::Table,
                        Clients::ClientId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClientLogos::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(Clients::AccentColor)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    ClientId,
    AccentColor,
}

#[derive(DeriveIden)]
enum ClientLogos {
    Table,
    ClientId,
    ContentType,
    Data,
    UpdatedAt,
}
