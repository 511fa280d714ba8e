//! Second factors: authenticator apps (TOTP, the secret sealed) and
//! passkeys (WebAuthn credentials) per account, single-use recovery codes
//! (stored as keyed hashes), and which methods a sign-in session used
//! (`amr`, RFC 8176) so id_tokens can say.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_schema::cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaFactors::Table)
                    .col(string(MfaFactors::Id).primary_key())
                    .col(string(MfaFactors::UserId))
                    .col(string(MfaFactors::Kind))
                    .col(string(MfaFactors::Name))
                    .col(text(MfaFactors::Secret))
                    .col(string_null(MfaFactors::CredentialId).unique_key())
                    .col(big_integer_null(MfaFactors::LastStep))
                    .col(big_integer(MfaFactors::CreatedAt))
                    .col(big_integer_null(MfaFactors::LastUsedAt))
                    .foreign_key(&mut cascade(
                        MfaFactors::Table,
                        MfaFactors::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_factors_user")
                    .table(MfaFactors::Table)
                    .col(MfaFactors::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(string(RecoveryCodes::CodeTag).primary_key())
                    .col(string(RecoveryCodes::UserId))
                    .col(big_integer(RecoveryCodes::CreatedAt))
                    .foreign_key(&mut cascade(
                        RecoveryCodes::Table,
                        RecoveryCodes::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SsoSessions::Table)
                    .add_column(string(SsoSessions::Amr).default("pwd"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SsoSessions::Table)
                    .drop_column(SsoSessions::Amr)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MfaFactors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SsoSessions {
    Table,
    Amr,
}

#[derive(DeriveIden)]
enum MfaFactors {
    Table,
    Id,
    UserId,
    Kind,
    Name,
    Secret,
    CredentialId,
    LastStep,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    CodeTag,
    UserId,
    CreatedAt,
}
