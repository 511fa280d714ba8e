//! A session is one browser: one live refresh token per SSO session per
//! client site, instead of per person per client site.
//!
//! The first release allowed one live family per person and client site, so
//! signing in on a phone revoked the laptop's token at the same site. The
//! spec's "one refresh token per user per client" means one per sign-in
//! session: each device keeps its own. Existing data already has at most one
//! live family per person and site, hence at most one per session and site,
//! so swapping the index loses no live token.
//!
//! Sessions also learn when their person last proved who they are
//! (`authenticated_at`, the id_token's `auth_time`): a re-authentication
//! asked for with `prompt=login` or `max_age` moves it without starting a
//! new session. Existing sessions were authenticated when they began.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ux_refresh_tokens_live_user_client")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_refresh_tokens_live_session_client \
             ON refresh_tokens (sso_session_id, client_id) WHERE revoked_at IS NULL",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SsoSessions::Table)
                    .add_column(big_integer(SsoSessions::AuthenticatedAt).default(0))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("UPDATE sso_sessions SET authenticated_at = created_at")
            .await?;
        // The sweep deletes sessions long past their expiry.
        index(
            manager,
            "ix_sso_sessions_expires",
            SsoSessions::Table,
            SsoSessions::ExpiresAt,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .drop_index(
                Index::drop()
                    .name("ix_sso_sessions_expires")
                    .table(SsoSessions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SsoSessions::Table)
                    .drop_column(SsoSessions::AuthenticatedAt)
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("DROP INDEX ux_refresh_tokens_live_session_client")
            .await?;
        // Back to one live family per person and site: keep each pair's newest.
        db.execute_unprepared(
            "UPDATE refresh_tokens SET revoked_at = created_at \
             WHERE revoked_at IS NULL AND EXISTS (SELECT 1 FROM refresh_tokens n \
               WHERE n.user_id = refresh_tokens.user_id AND n.client_id = refresh_tokens.client_id \
                 AND n.revoked_at IS NULL AND (n.created_at, n.family_id) > (refresh_tokens.created_at, refresh_tokens.family_id))",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_refresh_tokens_live_user_client \
             ON refresh_tokens (user_id, client_id) WHERE revoked_at IS NULL",
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SsoSessions {
    Table,
    AuthenticatedAt,
    ExpiresAt,
}
