//! The audit log: what admins did (`domain::admin`) and what happened to
//! accounts, the security events written here. Each entry says who, what,
//! when and from which address; never a password, token or code, and for a
//! sign-in to an account that does not exist not even the name typed (people
//! type passwords into the wrong field). Entries older than
//! `AUTH_AUDIT_RETENTION_DAYS` are swept.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;

use crate::entities::{audit_log, client, user};

/// A security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    SignIn,
    SignInFailed,
    AddressSuspended,
    Registered,
    RefreshTokenReused,
    CodeReused,
    PasswordChanged,
    SessionEnded,
    /// A reset link was mailed (asked for by the person, or sent by an admin).
    ResetRequested,
    /// The account's address changed (the new one verified).
    EmailChanged,
    /// A second factor was added.
    FactorAdded,
    /// A second factor was removed.
    FactorRemoved,
    /// A recovery code was used to sign in.
    RecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    RecoveryCodesRenewed,
    /// A device (a console, a TV) was signed in with a user code.
    DeviceApproved,
}

/// The `action` prefix of security events (admin actions have their own).
pub const SECURITY: &str = "security.";

impl Event {
    pub const ALL: [Event; 15] = [
        Event::SignIn,
        Event::SignInFailed,
        Event::AddressSuspended,
        Event::Registered,
        Event::RefreshTokenReused,
        Event::CodeReused,
        Event::PasswordChanged,
        Event::SessionEnded,
        Event::ResetRequested,
        Event::EmailChanged,
        Event::FactorAdded,
        Event::FactorRemoved,
        Event::RecoveryCodeUsed,
        Event::RecoveryCodesRenewed,
        Event::DeviceApproved,
    ];

    /// The `action` stored for it.
    pub fn action(self) -> &'static str {
        match self {
            Event::SignIn => "security.sign_in",
            Event::SignInFailed => "security.sign_in_failed",
            Event::AddressSuspended => "security.address_suspended",
            Event::Registered => "security.registered",
            Event::RefreshTokenReused => "security.refresh_token_reused",
            Event::CodeReused => "security.code_reused",
            Event::PasswordChanged => "security.password_changed",
            Event::SessionEnded => "security.session_ended",
            Event::ResetRequested => "security.reset_requested",
            Event::EmailChanged => "security.email_changed",
            Event::FactorAdded => "security.factor_added",
            Event::FactorRemoved => "security.factor_removed",
            Event::RecoveryCodeUsed => "security.recovery_code_used",
            Event::RecoveryCodesRenewed => "security.recovery_codes_renewed",
            Event::DeviceApproved => "security.device_approved",
        }
    }
}

/// What an audit entry's `action` means, as a message key.
pub fn describe(action: &str) -> &'static str {
    match action {
        "client.create" => "audit-client-create",
        "client.update" => "audit-client-update",
        "client.rotate_secret" => "audit-client-rotate-secret",
        "client.enable" => "audit-client-enable",
        "client.disable" => "audit-client-disable",
        "client.delete" => "audit-client-delete",
        "user.create" => "audit-user-create",
        "user.enable" => "audit-user-enable",
        "user.disable" => "audit-user-disable",
        "user.grant_admin" => "audit-user-grant-admin",
        "user.revoke_admin" => "audit-user-revoke-admin",
        "suspension.lift" => "audit-suspension-lift",
        "keys.rotate" => "audit-keys-rotate",
        "user.set_password" => "audit-user-set-password",
        "user.reset_link" => "audit-user-reset-link",
        "user.send_reset" => "audit-user-send-reset",
        "user.verify_email" => "audit-user-verify-email",
        "mail.retry" => "audit-mail-retry",
        "security.reset_requested" => "audit-security-reset-requested",
        "security.email_changed" => "audit-security-email-changed",
        "security.factor_added" => "audit-security-factor-added",
        "security.factor_removed" => "audit-security-factor-removed",
        "security.recovery_code_used" => "audit-security-recovery-code-used",
        "security.recovery_codes_renewed" => "audit-security-recovery-codes-renewed",
        "security.device_approved" => "audit-security-device-approved",
        "user.reset_mfa" => "audit-user-reset-mfa",
        "security.sign_in" => "audit-security-sign-in",
        "security.sign_in_failed" => "audit-security-sign-in-failed",
        "security.address_suspended" => "audit-security-address-suspended",
        "security.registered" => "audit-security-registered",
        "security.refresh_token_reused" => "audit-security-refresh-token-reused",
        "security.code_reused" => "audit-security-code-reused",
        "security.password_changed" => "audit-security-password-changed",
        "security.session_ended" => "audit-security-session-ended",
        _ => "audit-other",
    }
}

/// Whom an event is about: the account, if one is known.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub user_id: &'a str,
    pub username: &'a str,
}

/// Writes a security event.
pub async fn record(
    db: &impl ConnectionTrait,
    event: Event,
    person: Option<Person<'_>>,
    ip: Option<&str>,
    details: &str,
    now: i64,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        at: Set(now),
        actor_user_id: Set(person.map(|p| p.user_id.to_owned())),
        actor_username: Set(person.map_or_else(String::new, |p| p.username.to_owned())),
        action: Set(event.action().to_owned()),
        target: Set(person.map_or_else(
            || ip.unwrap_or_default().to_owned(),
            |p| p.user_id.to_owned(),
        )),
        ip: Set(ip.map(str::to_owned)),
        details: Set(details.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which entries the admin page shows: by kind (`admin`, `security`, or
/// one action), by person (username or id) and by address (exact, or a
/// prefix ending in `.`, `:` or `/`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

impl Filter {
    /// The condition; `person_id` is the id of the account the person
    /// filter names by username or email, whose entries (as the one acting
    /// or the one acted on) match too.
    fn condition(&self, person_id: Option<&str>) -> Condition {
        let mut all = Condition::all();
        match self
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some("security") => {
                all = all.add(audit_log::Column::Action.starts_with(SECURITY));
            }
            Some("admin") => {
                all = all.add(
                    Condition::all()
                        .add(audit_log::Column::Action.starts_with(SECURITY))
                        .not(),
                );
            }
            Some(action) => all = all.add(audit_log::Column::Action.eq(action)),
            None => {}
        }
        if let Some(user) = self
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            let user = user.to_lowercase();
            let mut any = Condition::any()
                .add(audit_log::Column::ActorUsername.eq(user.as_str()))
                .add(audit_log::Column::ActorUserId.eq(user.as_str()))
                .add(audit_log::Column::Target.eq(user.as_str()));
            if let Some(id) = person_id {
                any = any
                    .add(audit_log::Column::ActorUserId.eq(id))
                    .add(audit_log::Column::Target.eq(id));
            }
            all = all.add(any);
        }
        if let Some(ip) = self.ip.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            all = all.add(if ip.ends_with(['.', ':', '/']) {
                audit_log::Column::Ip.starts_with(ip)
            } else {
                audit_log::Column::Ip.eq(ip)
            });
        }
        all
    }
}

/// A page of entries matching `filter`, newest first, and the page count.
pub async fn entries(
    db: &impl ConnectionTrait,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    let person_id = match filter
        .user
        .as_deref()
        .and_then(crate::domain::users::normalize_login)
    {
        Some(login) => crate::domain::users::find_for_login(db, &login)
            .await?
            .map(|u| u.id),
        None => None,
    };
    let select = audit_log::Entity::find()
        .filter(filter.condition(person_id.as_deref()))
        .order_by_desc(audit_log::Column::Id);
    let pages = select
        .clone()
        .paginate(db, per_page)
        .num_pages()
        .await?
        .max(1);
    let rows = select
        .paginate(db, per_page)
        .fetch_page(page.saturating_sub(1))
        .await?;
    Ok((rows, pages))
}

/// What entries act on, for people: an account or a client site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    User { name: String },
    Client { name: String },
}

/// The accounts and client sites `entries` act on, by id (targets that no
/// longer exist are missing).
pub async fn targets(
    db: &impl ConnectionTrait,
    entries: &[audit_log::Model],
) -> Result<std::collections::HashMap<String, Target>, DbErr> {
    let ids: Vec<&str> = entries
        .iter()
        .map(|e| e.target.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    let mut named = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(named);
    }
    for u in user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        named.insert(u.id, Target::User { name: u.username });
    }
    for c in client::Entity::find()
        .filter(client::Column::ClientId.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        named.insert(c.client_id, Target::Client { name: c.name });
    }
    Ok(named)
}

/// Deletes entries older than `before`.
pub async fn sweep(db: &impl ConnectionTrait, before: i64) -> Result<u64, DbErr> {
    crate::domain::cleanup::delete_in_batches(db, "audit_log", "id", "at", before - 1).await
}
