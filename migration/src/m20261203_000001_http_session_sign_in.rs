//! The sign-in session an HTTP session is bound to, as a column beside the
//! session's data (which keeps it too), so that "who is this browser?" is
//! one query joining the HTTP session, its sign-in session and its person,
//! not a read of the HTTP session and then one of the sign-in session
//! (docs/benchmarks.md, issue 19). Existing sessions get the column from
//! their data, so nobody is signed out by the upgrade.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HttpSessions::Table)
                    .add_column(ColumnDef::new(HttpSessions::SsoSessionId).string().null())
                    .to_owned(),
            )
            .await?;
        let from_data = match manager.get_database_backend() {
            DbBackend::Postgres => "data::json ->> 'sso_session_id'",
            _ => "json_extract(data, '$.sso_session_id')",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE http_sessions SET sso_session_id = {from_data}"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HttpSessions::Table)
                    .drop_column(HttpSessions::SsoSessionId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum HttpSessions {
    Table,
    SsoSessionId,
}
