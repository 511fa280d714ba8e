//! Administration, reachable only through an [`Admin`] handle that exists
//! once the permission check has passed (lldap's access-control shape).
//! Every operation is written to the audit log: who, what, when, from where.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait,
};
use serde::Serialize;

use crate::crypto::Keys;
use crate::domain::clients::{self, ClientCredentials, ClientSite, TokenAlg};
use crate::domain::{sso, throttle};
use crate::entities::{audit_log, user};
use crate::error::{AppError, AppResult};

/// Proof that the holder is a signed-in, enabled admin, or the operator at
/// the command line.
#[derive(Debug, Clone)]
pub struct Admin {
    /// `None` for the operator at the command line.
    user_id: Option<String>,
    username: String,
    ip: Option<String>,
}

/// How the command line is named in the audit log.
pub const OPERATOR: &str = "(command line)";

/// A page of accounts for the admin list.
#[derive(Debug, Serialize)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// One account as the admin list shows it (no password hash).
#[derive(Debug, Serialize)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub email_verified: bool,
}

impl From<user::Model> for UserRow {
    fn from(u: user::Model) -> UserRow {
        UserRow {
            id: u.id,
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
            email_verified: u.email_verified,
        }
    }
}

impl Admin {
    /// The handle, if `user` may administer. `ip` is recorded with each action.
    pub fn authorize(user: &user::Model, ip: Option<String>) -> Option<Admin> {
        (user.is_admin && !user.disabled).then(|| Admin {
            user_id: Some(user.id.clone()),
            username: user.username.clone(),
            ip,
        })
    }

    /// The handle of whoever runs `pattmayne-auth` on the server: holding
    /// the database and the secret key, they may administer; their actions
    /// are audited like any admin's.
    pub fn operator() -> Admin {
        Admin {
            user_id: None,
            username: OPERATOR.to_owned(),
            ip: None,
        }
    }

    /// The admin's account (`None` at the command line).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Writes an audit entry for an action of this admin.
    pub async fn audit(
        &self,
        db: &impl ConnectionTrait,
        action: &str,
        target: &str,
        details: String,
        now: i64,
    ) -> AppResult<()> {
        audit_log::ActiveModel {
            at: Set(now),
            actor_user_id: Set(self.user_id.clone()),
            actor_username: Set(self.username.clone()),
            action: Set(action.to_owned()),
            target: Set(target.to_owned()),
            ip: Set(self.ip.clone()),
            details: Set(details),
            ..Default::default()
        }
        .insert(db)
        .await?;
        tracing::info!(admin = %self.username, action, target, "admin action");
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_client(
        &self,
        db: &(impl TransactionTrait + ConnectionTrait),
        keys: &Keys,
        name: &str,
        redirect_uris: &[String],
        alg: TokenAlg,
        kind: clients::ClientKind,
        allow_http: bool,
        now: i64,
    ) -> AppResult<(ClientSite, ClientCredentials)> {
        let txn = crate::db::begin_write(db).await?;
        let (site, creds) =
            clients::create(&txn, keys, name, redirect_uris, alg, kind, allow_http, now).await?;
        let details = format!(
            "name {:?}, {}{}{}, redirect URIs: {}",
            site.name,
            site.token_alg,
            if kind.public { ", public" } else { "" },
            if kind.device { ", device grant" } else { "" },
            site.redirect_uris.join(" ")
        );
        self.audit(&txn, "client.create", &site.client_id, details, now)
            .await?;
        txn.commit().await?;
        Ok((site, creds))
    }

    pub async fn update_client(
        &self,
        db: &(impl TransactionTrait + ConnectionTrait),
        client_id: &str,
        name: &str,
        redirect_uris: &[String],
        allow_http: bool,
        now: i64,
    ) -> AppResult<()> {
        let txn = crate::db::begin_write(db).await?;
        clients::update(&txn, client_id, name, redirect_uris, allow_http, now).await?;
        let uris: Vec<&str> = redirect_uris
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .collect();
        self.audit(
            &txn,
            "client.update",
            client_id,
            format!("name {name:?}, redirect URIs: {}", uris.join(" ")),
            now,
        )
        .await?;
        Ok(txn.commit().await?)
    }

    pub async fn rotate_client_secret(
        &self,
        db: &impl TransactionTrait,
        client_id: &str,
        now: i64,
    ) -> AppResult<String> {
        let txn = crate::db::begin_write(db).await?;
        let secret = clients::rotate_secret(&txn, client_id, now).await?;
        self.audit(&txn, "client.rotate_secret", client_id, String::new(), now)
            .await?;
        txn.commit().await?;
        Ok(secret)
    }

    pub async fn set_client_enabled(
        &self,
        db: &impl TransactionTrait,
        client_id: &str,
        enabled: bool,
        now: i64,
    ) -> AppResult<()> {
        let txn = crate::db::begin_write(db).await?;
        clients::set_enabled(&txn, client_id, enabled, now).await?;
        let action = if enabled {
            "client.enable"
        } else {
            "client.disable"
        };
        self.audit(&txn, action, client_id, String::new(), now)
            .await?;
        Ok(txn.commit().await?)
    }

    pub async fn delete_client(
        &self,
        db: &impl TransactionTrait,
        client_id: &str,
        now: i64,
    ) -> AppResult<()> {
        let txn = crate::db::begin_write(db).await?;
        let name = clients::find(&txn, client_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        clients::delete(&txn, client_id).await?;
        self.audit(
            &txn,
            "client.delete",
            client_id,
            format!("name {name:?}"),
            now,
        )
        .await?;
        Ok(txn.commit().await?)
    }

    /// Sets (or clears) a client site's back-channel logout URI, audited
    /// when it changes.
    pub async fn set_client_backchannel_uri(
        &self,
        db: &impl TransactionTrait,
        client_id: &str,
        uri: Option<&str>,
        now: i64,
    ) -> AppResult<()> {
        let txn = crate::db::begin_write(db).await?;
        let before = clients::find(&txn, client_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if before.backchannel_logout_uri.as_deref() != uri {
            clients::set_backchannel_uri(&txn, client_id, uri, now).await?;
            let details = format!("back-channel logout URI {}", uri.unwrap_or("(none)"));
            self.audit(&txn, "client.update", client_id, details, now)
                .await?;
        }
        Ok(txn.commit().await?)
    }

    /// Sets a client site's accent colour and, unless `logo` is `None`, its
    /// logo (`Some(None)` removes it).
    pub async fn set_client_branding(
        &self,
        db: &impl TransactionTrait,
        client_id: &str,
        accent: Option<&str>,
        logo: Option<Option<&crate::domain::branding::Logo>>,
        now: i64,
    ) -> AppResult<()> {
        let txn = crate::db::begin_write(db).await?;
        let before = clients::find(&txn, client_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let accent_changed = before.accent_color.as_deref() != accent;
        if accent_changed {
            clients::set_accent(&txn, client_id, accent, now).await?;
        }
        if let Some(logo) = logo {
            crate::domain::branding::set_client_logo(&txn, client_id, logo, now).await?;
        }
        if accent_changed || logo.is_some() {
            let details = format!(
                "accent {}, logo {}",
                accent.unwrap_or("(default)"),
                match logo {
                    Some(Some(l)) => format!("{} ({} bytes)", l.content_type, l.bytes.len()),
                    Some(None) => "removed".to_owned(),
                    None => "kept".to_owned(),
                }
            );
            self.audit(&txn, "client.update", client_id, details, now)
                .await?;
        }
        Ok(txn.commit().await?)
    }

    /// Creates an account (the command line's `user create`).
    pub async fn create_user(
        &self,
        db: &impl TransactionTrait,
        passwords: &crate::domain::passwords::Passwords,
        account: crate::domain::users::NewAccount,
        is_admin: bool,
        email_verified: bool,
        now: i64,
    ) -> AppResult<user::Model> {
        let txn = crate::db::begin_write(db).await?;
        let user =
            crate::domain::users::create(&txn, passwords, account, is_admin, email_verified, now)
                .await?;
        let details = format!(
            "username {}{}",
            user.username,
            if is_admin { ", admin" } else { "" }
        );
        self.audit(&txn, "user.create", &user.id, details, now)
            .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Removes every second factor and recovery code of `person` (a lost
    /// phone, checked by the operator), audited, and tells them by mail.
    pub async fn reset_mfa(
        &self,
        state: &crate::state::AppState,
        person: &user::Model,
        lang: crate::i18n::Lang,
        now: i64,
    ) -> AppResult<u64> {
        let txn = crate::db::begin_write(&state.db).await?;
        let removed = crate::domain::mfa::reset(&txn, &person.id).await?;
        self.audit(
            &txn,
            "user.reset_mfa",
            &person.id,
            format!("{removed} removed"),
            now,
        )
        .await?;
        let letter = crate::mail::Letter::new(crate::mail::Kind::FactorsReset, &person.email, lang)
            .with("username", person.username.clone())
            .link(format!(
                "{}{}",
                state.config.issuer,
                crate::resources::routes::ACCOUNT_SECURITY
            ));
        crate::mail::queue::put(
            &txn,
            &state.keys,
            &state.templates,
            &state.config.site_name,
            &letter,
            now,
        )
        .await?;
        txn.commit().await?;
        state.mailer.wake();
        Ok(removed)
    }

    /// Retires the server's signing keys (see `signing::Signer::rotate`).
    pub async fn rotate_signing_keys(
        &self,
        db: &impl TransactionTrait,
        signer: &crate::domain::signing::Signer,
        now: i64,
    ) -> AppResult<Vec<String>> {
        let txn = crate::db::begin_write(db).await?;
        let retired = signer.rotate(&txn, now).await?;
        self.audit(&txn, "keys.rotate", "", retired.join(" "), now)
            .await?;
        txn.commit().await?;
        Ok(retired)
    }

    /// Accounts matching `query` (username or email contains it), a page at a time.
    pub async fn list_users(
        &self,
        db: &impl ConnectionTrait,
        query: &str,
        page: u64,
        page_size: u64,
    ) -> AppResult<UserPage> {
        let mut select = user::Entity::find().order_by_asc(user::Column::Username);
        let q = query.trim().to_lowercase();
        if !q.is_empty() {
            select = select.filter(
                Condition::any()
                    .add(user::Column::Username.contains(&q))
                    .add(user::Column::Email.contains(&q)),
            );
        }
        let total = select.clone().count(db).await?;
        let pages = total.div_ceil(page_size).max(1);
        let page = page.clamp(1, pages);
        let users = select
            .offset((page - 1) * page_size)
            .limit(page_size)
            .all(db)
            .await?
            .into_iter()
            .map(UserRow::from)
            .collect();
        Ok(UserPage {
            users,
            total,
            page,
            pages,
        })
    }

    async fn target_user(
        &self,
        db: &impl ConnectionTrait,
        user_id: &str,
    ) -> AppResult<user::Model> {
        user::Entity::find_by_id(user_id.to_owned())
            .one(db)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Disables an account (ending its SSO sessions and refresh tokens) or
    /// enables it. Disabling the last enabled admin is refused.
    pub async fn set_user_disabled(
        &self,
        db: &(impl TransactionTrait + ConnectionTrait),
        user_id: &str,
        disabled: bool,
        now: i64,
    ) -> AppResult<()> {
        let target = self.target_user(db, user_id).await?;
        if disabled && self.user_id() == Some(target.id.as_str()) {
            return Err(AppError::bad_request("admin-not-yourself"));
        }
        let txn = crate::db::begin_write(db).await?;
        take_turns_on_admins(&txn).await?;
        user::Entity::update_many()
            .col_expr(user::Column::Disabled, Expr::value(disabled))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        if disabled && !an_admin_is_left(&txn).await? {
            sea_orm::TransactionSession::rollback(txn).await?;
            return Err(last_admin());
        }
        if disabled {
            let ending = sso::Ending {
                reason: "account disabled by an admin",
                ip: self.ip.as_deref(),
            };
            sso::end_all_for_user(&txn, user_id, ending, now).await?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.audit(
            &txn,
            action,
            user_id,
            format!("username {}", target.username),
            now,
        )
        .await?;
        sea_orm::TransactionSession::commit(txn).await?;
        crate::domain::backchannel::wake();
        Ok(())
    }

    /// Grants or removes the admin role. The last admin's right cannot be
    /// removed, so the server always keeps someone who can administer it.
    pub async fn set_user_admin(
        &self,
        db: &(impl TransactionTrait + ConnectionTrait),
        user_id: &str,
        admin: bool,
        now: i64,
    ) -> AppResult<()> {
        let target = self.target_user(db, user_id).await?;
        let txn = crate::db::begin_write(db).await?;
        take_turns_on_admins(&txn).await?;
        user::Entity::update_many()
            .col_expr(user::Column::IsAdmin, Expr::value(admin))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        if !admin && !an_admin_is_left(&txn).await? {
            sea_orm::TransactionSession::rollback(txn).await?;
            return Err(last_admin());
        }
        let action = if admin {
            "user.grant_admin"
        } else {
            "user.revoke_admin"
        };
        self.audit(
            &txn,
            action,
            user_id,
            format!("username {}", target.username),
            now,
        )
        .await?;
        sea_orm::TransactionSession::commit(txn).await?;
        Ok(())
    }

    /// Lifts an IP suspension.
    pub async fn lift_suspension(
        &self,
        db: &impl ConnectionTrait,
        ip: &str,
        now: i64,
    ) -> AppResult<()> {
        if !throttle::lift(db, ip, now).await? {
            return Err(AppError::NotFound);
        }
        self.audit(db, "suspension.lift", ip, String::new(), now)
            .await
    }

    /// The audit log, newest first, filtered.
    pub async fn audit_entries(
        &self,
        db: &impl ConnectionTrait,
        filter: &crate::domain::audit::Filter,
        page: u64,
        page_size: u64,
    ) -> AppResult<(Vec<audit_log::Model>, u64)> {
        Ok(crate::domain::audit::entries(db, filter, page, page_size).await?)
    }
}

/// The advisory lock that changes which can take an admin away hold.
const ADMIN_CHANGES_LOCK: i64 = 7_243_110_002;

/// Makes changes that can take an admin away (demoting, disabling) take
/// turns, so that the check for a remaining admin sees what the others did:
/// under READ COMMITTED two admins demoting each other at once would both
/// still see the other and leave none. PostgreSQL takes a transaction-scoped
/// advisory lock; SQLite needs nothing, since the transaction's first
/// statement is a write and SQLite has one writer at a time.
async fn take_turns_on_admins(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({ADMIN_CHANGES_LOCK})"
        ))
        .await?;
    }
    Ok(())
}

/// Whether an enabled admin is left.
async fn an_admin_is_left(txn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let left = user::Entity::find()
        .filter(user::Column::IsAdmin.eq(true))
        .filter(user::Column::Disabled.eq(false))
        .count(txn)
        .await?;
    Ok(left > 0)
}

fn last_admin() -> AppError {
    AppError::bad_request("admin-last-admin")
}
