//! Accounts people can keep: whether an account's address was verified, the
//! links mailed for resets, registrations and address changes (stored
//! hashed), and the queue of mails waiting to go out (sealed: they carry
//! those links).
//!
//! Accounts from before this change were never verified: `email_verified`
//! starts false for them, which is what is true.

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
                    .table(Users::Table)
                    .add_column(boolean(Users::EmailVerified).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountLinks::Table)
                    .col(string(AccountLinks::TokenHash).primary_key())
                    .col(string(AccountLinks::Purpose))
                    .col(string_null(AccountLinks::UserId))
                    .col(string(AccountLinks::Email))
                    .col(string_null(AccountLinks::Username))
                    .col(string_null(AccountLinks::PasswordHash))
                    .col(text_null(AccountLinks::ReturnTo))
                    .col(big_integer(AccountLinks::CreatedAt))
                    .col(big_integer(AccountLinks::ExpiresAt))
                    .foreign_key(&mut cascade(
                        AccountLinks::Table,
                        AccountLinks::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_links_user")
                    .table(AccountLinks::Table)
                    .col(AccountLinks::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_links_expires")
                    .table(AccountLinks::Table)
                    .col(AccountLinks::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(big_integer(MailOutbox::Id).auto_increment().primary_key())
                    .col(string(MailOutbox::Recipient))
                    .col(string(MailOutbox::Kind))
                    .col(text(MailOutbox::Message))
                    .col(integer(MailOutbox::Attempts).default(0))
                    .col(big_integer(MailOutbox::NextAttemptAt))
                    .col(big_integer_null(MailOutbox::LockedUntil))
                    .col(text_null(MailOutbox::LastError))
                    .col(boolean(MailOutbox::Failed).default(false))
                    .col(big_integer(MailOutbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_outbox_due")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::Failed)
                    .col(MailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccountLinks::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailVerified)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailVerified,
}

#[derive(DeriveIden)]
enum AccountLinks {
    Table,
    TokenHash,
    Purpose,
    UserId,
    Email,
    Username,
    PasswordHash,
    ReturnTo,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Kind,
    Message,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    Failed,
    CreatedAt,
}
