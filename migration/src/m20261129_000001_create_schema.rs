//! The whole data model of the first release.
//!
//! Foreign keys cascade wherever a parent's deletion must take its tokens
//! with it (a deleted user or client site leaves no live token behind).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string(Users::Id).primary_key())
                    .col(string_uniq(Users::Username))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::IsAdmin).default(false))
                    .col(boolean(Users::Disabled).default(false))
                    .col(big_integer(Users::CreatedAt))
                    .col(big_integer(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(string(Clients::ClientId).primary_key())
                    .col(string(Clients::Name))
                    .col(string(Clients::SecretHash))
                    .col(string(Clients::TokenAlg))
                    .col(text_null(Clients::JwtSecretEnc))
                    .col(boolean(Clients::Enabled).default(true))
                    .col(big_integer(Clients::CreatedAt))
                    .col(big_integer(Clients::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientRedirectUris::Table)
                    .col(big_pk_auto(ClientRedirectUris::Id))
                    .col(string(ClientRedirectUris::ClientId))
                    .col(text(ClientRedirectUris::Uri))
                    .foreign_key(&mut cascade(
                        ClientRedirectUris::Table,
                        ClientRedirectUris::ClientId,
                        Clients::Table,
                        Clients::ClientId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_client_redirect_uris_client_uri")
                    .table(ClientRedirectUris::Table)
                    .col(ClientRedirectUris::ClientId)
                    .col(ClientRedirectUris::Uri)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SsoSessions::Table)
                    .col(string(SsoSessions::Id).primary_key())
                    .col(string(SsoSessions::UserId))
                    .col(big_integer(SsoSessions::CreatedAt))
                    .col(big_integer(SsoSessions::ExpiresAt))
                    .col(big_integer_null(SsoSessions::EndedAt))
                    .col(string_null(SsoSessions::Ip))
                    .col(string_null(SsoSessions::UserAgent))
                    .foreign_key(&mut cascade(
                        SsoSessions::Table,
                        SsoSessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_sso_sessions_user",
            SsoSessions::Table,
            SsoSessions::UserId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuthorizationCodes::Table)
                    .col(string(AuthorizationCodes::CodeHash).primary_key())
                    .col(string(AuthorizationCodes::ClientId))
                    .col(string(AuthorizationCodes::UserId))
                    .col(string(AuthorizationCodes::SsoSessionId))
                    .col(text(AuthorizationCodes::RedirectUri))
                    .col(string(AuthorizationCodes::Scope))
                    .col(string(AuthorizationCodes::CodeChallenge))
                    .col(string_null(AuthorizationCodes::Nonce))
                    .col(big_integer(AuthorizationCodes::CreatedAt))
                    .col(big_integer(AuthorizationCodes::ExpiresAt))
                    .col(big_integer_null(AuthorizationCodes::UsedAt))
                    .col(string_null(AuthorizationCodes::FamilyId))
                    .foreign_key(&mut cascade(
                        AuthorizationCodes::Table,
                        AuthorizationCodes::ClientId,
                        Clients::Table,
                        Clients::ClientId,
                    ))
                    .foreign_key(&mut cascade(
                        AuthorizationCodes::Table,
                        AuthorizationCodes::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        AuthorizationCodes::Table,
                        AuthorizationCodes::SsoSessionId,
                        SsoSessions::Table,
                        SsoSessions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_authorization_codes_expires",
            AuthorizationCodes::Table,
            AuthorizationCodes::ExpiresAt,
        )
        .await?;

        create_refresh_tokens(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(IpThrottle::Table)
                    .col(string(IpThrottle::Ip).primary_key())
                    .col(integer(IpThrottle::Failures).default(0))
                    .col(big_integer(IpThrottle::WindowStartedAt))
                    .col(big_integer(IpThrottle::LastFailureAt))
                    .col(big_integer_null(IpThrottle::SuspendedUntil))
                    .col(integer(IpThrottle::Offences).default(0))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_ip_throttle_suspended",
            IpThrottle::Table,
            IpThrottle::SuspendedUntil,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountThrottle::Table)
                    .col(string(AccountThrottle::Account).primary_key())
                    .col(integer(AccountThrottle::Failures).default(0))
                    .col(big_integer(AccountThrottle::WindowStartedAt))
                    .col(big_integer(AccountThrottle::LastFailureAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(string(SigningKeys::Kid).primary_key())
                    .col(string(SigningKeys::Alg))
                    .col(text(SigningKeys::PrivateKeyEnc))
                    .col(text(SigningKeys::PublicJwk))
                    .col(big_integer(SigningKeys::CreatedAt))
                    .col(big_integer_null(SigningKeys::RetiredAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_signing_keys_alg",
            SigningKeys::Table,
            SigningKeys::Alg,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(HttpSessions::Table)
                    .col(string(HttpSessions::IdHash).primary_key())
                    .col(text(HttpSessions::Data))
                    .col(big_integer(HttpSessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_http_sessions_expires",
            HttpSessions::Table,
            HttpSessions::ExpiresAt,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer(AuditLog::At))
                    // No foreign key: the record of what an admin did must
                    // outlive the admin's account.
                    .col(string_null(AuditLog::ActorUserId))
                    .col(string(AuditLog::ActorUsername))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::Target))
                    .col(string_null(AuditLog::Ip))
                    .col(text(AuditLog::Details))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_audit_log_at", AuditLog::Table, AuditLog::At).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            HttpSessions::Table.into_iden(),
            SigningKeys::Table.into_iden(),
            AccountThrottle::Table.into_iden(),
            IpThrottle::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            AuthorizationCodes::Table.into_iden(),
            SsoSessions::Table.into_iden(),
            ClientRedirectUris::Table.into_iden(),
            Clients::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The first release's `refresh_tokens`: one row per token, rotation marking
/// the old row and inserting its successor. Replaced by
/// `m20261130_000001_rotate_in_place`; its `down` recreates this.
pub(crate) async fn create_refresh_tokens(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(string(RefreshTokens::TokenHash).primary_key())
                .col(string(RefreshTokens::FamilyId))
                .col(string(RefreshTokens::UserId))
                .col(string(RefreshTokens::ClientId))
                .col(string(RefreshTokens::SsoSessionId))
                .col(string(RefreshTokens::Scope))
                .col(big_integer(RefreshTokens::CreatedAt))
                .col(big_integer(RefreshTokens::ExpiresAt))
                .col(big_integer_null(RefreshTokens::RotatedAt))
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
        "ix_refresh_tokens_family",
        RefreshTokens::Table,
        RefreshTokens::FamilyId,
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
    // The seed's token model: at most one live refresh token per user per
    // client site. A partial unique index makes the database enforce it, so
    // no race between two code exchanges can leave two live tokens behind.
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX ux_refresh_tokens_live_user_client \
             ON refresh_tokens (user_id, client_id) \
             WHERE rotated_at IS NULL AND revoked_at IS NULL",
        )
        .await?;
    Ok(())
}

/// A foreign key that deletes the child row with its parent.
pub(crate) fn cascade(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(Index::create().name(name).table(table).col(col).to_owned())
        .await
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Username,
    Email,
    PasswordHash,
    IsAdmin,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Clients {
    Table,
    ClientId,
    Name,
    SecretHash,
    TokenAlg,
    JwtSecretEnc,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ClientRedirectUris {
    Table,
    Id,
    ClientId,
    Uri,
}

#[derive(DeriveIden)]
pub(crate) enum SsoSessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    EndedAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    CodeHash,
    ClientId,
    UserId,
    SsoSessionId,
    RedirectUri,
    Scope,
    CodeChallenge,
    Nonce,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    FamilyId,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    FamilyId,
    UserId,
    ClientId,
    SsoSessionId,
    Scope,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum IpThrottle {
    Table,
    Ip,
    Failures,
    WindowStartedAt,
    LastFailureAt,
    SuspendedUntil,
    Offences,
}

#[derive(DeriveIden)]
enum AccountThrottle {
    Table,
    Account,
    Failures,
    WindowStartedAt,
    LastFailureAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    PrivateKeyEnc,
    PublicJwk,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum HttpSessions {
    Table,
    IdHash,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorUsername,
    Action,
    Target,
    Ip,
    Details,
}
