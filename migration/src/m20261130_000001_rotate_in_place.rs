//! Refresh tokens rotate in place: one row per token family.
//!
//! The first release stored a row per token: a rotation marked the old row
//! and inserted its successor, touching five indexes and checking three
//! foreign keys on every refresh. Now a family is one row holding the hash of
//! its live token; a rotation updates that row's hash and rotation times,
//! found by its primary key (the family id travels in the token), and no
//! indexed column changes, so PostgreSQL rewrites it in place on its page (a
//! HOT update: no index work at all). Tokens rotated away are recognised
//! without storing them: each successor is a keyed hash of its predecessor,
//! so walking forward from a presented token reaches the live one.
//!
//! Refresh tokens of the old format cannot be carried over (they do not name
//! their family): client sites holding one get `invalid_grant` once and send
//! the person through `/oauth2/authorize` again, which a live sign-in answers
//! without a login page.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_schema::{
    Clients, SsoSessions, Users, cascade, create_refresh_tokens, index,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(string(RefreshTokens::FamilyId).primary_key())
                    .col(string(RefreshTokens::TokenHash))
                    .col(string(RefreshTokens::UserId))
                    .col(string(RefreshTokens::ClientId))
                    .col(string(RefreshTokens::SsoSessionId))
                    .col(string(RefreshTokens::Scope))
                    .col(big_integer(RefreshTokens::CreatedAt))
                    .col(big_integer(RefreshTokens::ExpiresAt))
                    .col(big_integer(RefreshTokens::Generation).default(0))
                    .col(big_integer_null(RefreshTokens::RotatedAt))
                    .col(big_integer_null(RefreshTokens::PrevRotatedAt))
                    .col(big_integer_null(RefreshTokens::RevokedAt))
                    .foreign_key(&mut cascade(
                        RefreshTokens::Table,
                        RefreshTokens::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        RefreshTokens::Table,
                        RefreshTokens::ClientId,
                        Clients::Table,
                        Clients::ClientId,
                    ))
                    .foreign_key(&mut cascade(
                        RefreshTokens::Table,
                        RefreshTokens::SsoSessionId,
                        SsoSessions::Table,
                        SsoSessions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_refresh_tokens_session",
            RefreshTokens::Table,
            RefreshTokens::SsoSessionId,
        )
        .await?;
        index(
            manager,
            "ix_refresh_tokens_client",
            RefreshTokens::Table,
            RefreshTokens::ClientId,
        )
        .await?;
        index(
            manager,
            "ix_refresh_tokens_user",
            RefreshTokens::Table,
            RefreshTokens::UserId,
        )
        .await?;
        let db = manager.get_connection();
        // The seed's token model: at most one live family per person per
        // client site, enforced by the database against racing exchanges.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_refresh_tokens_live_user_client \
             ON refresh_tokens (user_id, client_id) WHERE revoked_at IS NULL",
        )
        .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            // Room on each page for the rotated row versions, so rotations
            // stay HOT updates instead of moving rows and touching indexes.
            db.execute_unprepared("ALTER TABLE refresh_tokens SET (fillfactor = 70)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await?;
        create_refresh_tokens(manager).await
    }
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    FamilyId,
    TokenHash,
    UserId,
    ClientId,
    SsoSessionId,
    Scope,
    CreatedAt,
    ExpiresAt,
    Generation,
    RotatedAt,
    PrevRotatedAt,
    RevokedAt,
}
