//! The life of an account beyond signing in: a registration confirmed by
//! mail, password resets, password and address changes, and the mail that
//! tells the person of each. The pages, the admin pages and the command
//! line call these; nothing here knows HTTP.
//!
//! Nothing here tells a stranger whether an account exists: a registration
//! with a taken address or username, and a reset for an unknown address,
//! are answered by the caller exactly as the others, and take as long (one
//! password hash for every registration, a few statements for every reset
//! request). Whoever owns the address learns what happened, by mail.
//! Every mail with a link counts against its recipient's hourly budget
//! (`AUTH_MAILS_PER_ADDRESS_PER_HOUR`): past it, nothing more is sent, and
//! the answer is still the same.

use secrecy::SecretString;

use crate::domain::audit::{self, Event, Person};
use crate::domain::links::{self, NewLink, Purpose};
use crate::domain::users::{self, Hashed, NewAccount};
use crate::domain::{rate_limit, sso};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::queue;
use crate::mail::{Kind, Letter};
use crate::resources::{RESET_LINK_SECS, VERIFY_LINK_SECS, routes};
use crate::state::AppState;

fn person(user: &user::Model) -> Person<'_> {
    Person {
        user_id: &user.id,
        username: &user.username,
    }
}

/// A page of this server as a link in a mail: built from
/// `AUTH_PUBLIC_URL`, never from a request's `Host`.
fn link(state: &AppState, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = format!("{}{path}", state.config.issuer);
    if !query.is_empty() {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
        url.push('?');
        url.push_str(&pairs.finish());
    }
    url
}

/// A page with the return target (a pending authorization request) kept.
fn link_on(state: &AppState, path: &str, return_to: Option<&str>) -> String {
    match return_to {
        Some(next) => link(state, path, &[("next", next)]),
        None => link(state, path, &[]),
    }
}

/// Counts a mail with a link to `address` against its hourly budget:
/// whether it may go.
async fn within_budget(state: &AppState, address: &str, now: i64) -> AppResult<bool> {
    let limit = rate_limit::Limit {
        hits: state.config.mails_per_address_per_hour,
        window_secs: 3600,
    };
    let key = format!("mail:{address}");
    Ok(rate_limit::hit(&state.db, &key, limit, now)
        .await?
        .is_none())
}

/// Sends `letter` if its recipient's budget allows.
async fn send_within_budget(state: &AppState, letter: &Letter, now: i64) -> AppResult<()> {
    if within_budget(state, &letter.to, now).await? {
        queue::send(state, letter).await?;
    } else {
        tracing::info!(
            kind = letter.kind.name(),
            "mail budget of the address spent; not sent"
        );
    }
    Ok(())
}

/// A registration (validated): mails the address a link that starts the
/// account, or, if the address has an account, tells its owner, or, if
/// the username is taken, tells the address to choose another. The caller
/// answers "check your mail" in every case.
pub async fn register(
    state: &AppState,
    account: NewAccount,
    return_to: Option<&str>,
    lang: Lang,
) -> AppResult<()> {
    // One hash, whatever comes next: every answer takes as long.
    let password_hash = state.passwords.hash(&account.password).await?;
    let now = state.clock.now();
    if let Some(owner) = users::find_by_email(&state.db, &account.email).await? {
        let letter = Letter::new(Kind::AlreadyRegistered, &owner.email, lang)
            .link(link_on(state, routes::LOGIN, return_to))
            .with("username", owner.username)
            .with("forgot", link(state, routes::PASSWORD_FORGOT, &[]));
        return send_within_budget(state, &letter, now).await;
    }
    if users::find_by_username(&state.db, &account.username)
        .await?
        .is_some()
    {
        let letter = Letter::new(Kind::UsernameTaken, &account.email, lang)
            .link(link_on(state, routes::REGISTER, return_to))
            .with("username", account.username);
        return send_within_budget(state, &letter, now).await;
    }
    if !within_budget(state, &account.email, now).await? {
        return Ok(());
    }
    let pending = NewLink {
        email: account.email.clone(),
        username: Some(account.username.clone()),
        password_hash: Some(password_hash),
        return_to: return_to.map(str::to_owned),
        ..NewLink::default()
    };
    let token = links::issue(&state.db, Purpose::Register, pending, now).await?;
    let letter = Letter::new(Kind::VerifyRegistration, &account.email, lang)
        .link(link(state, routes::VERIFY_EMAIL, &[("token", &token)]))
        .with("username", account.username)
        .duration("wait", VERIFY_LINK_SECS);
    queue::send(state, &letter).await
}

/// What following a registration's link did.
pub enum Confirmed {
    /// The account exists now; sign the person in and go on.
    Started {
        user: user::Model,
        return_to: Option<String>,
    },
    /// Another registration took the address or the username first.
    Taken,
    /// No such link, used already, or expired.
    Invalid,
}

/// Starts the account a registration link names, its address verified.
pub async fn confirm_registration(state: &AppState, token: &str) -> AppResult<Confirmed> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(pending) = links::redeem(&txn, Purpose::Register, token, now).await? else {
        return Ok(Confirmed::Invalid);
    };
    let (Some(username), Some(password_hash)) = (pending.username, pending.password_hash) else {
        return Ok(Confirmed::Invalid);
    };
    if users::is_taken(&txn, &username, &pending.email).await? {
        txn.commit().await?;
        return Ok(Confirmed::Taken);
    }
    let account = Hashed {
        username,
        email: pending.email,
        password_hash,
    };
    let user = match users::create_confirmed(&txn, account, now).await {
        Ok(user) => user,
        // A registration racing this one took it: this link stays unused.
        Err(AppError::Conflict(_)) => return Ok(Confirmed::Taken),
        Err(err) => return Err(err),
    };
    audit::record(&txn, Event::Registered, Some(person(&user)), None, "", now).await?;
    txn.commit().await?;
    crate::metrics::inc(&state.metrics.registrations);
    tracing::info!(user_id = %user.id, "account registered");
    Ok(Confirmed::Started {
        user,
        return_to: pending.return_to,
    })
}

/// A reset asked for at `/password/forgot` (the address well-formed, the
/// client address within its limit): mails a link if an enabled account
/// has the address, and does nothing else otherwise.
pub async fn request_reset(
    state: &AppState,
    email: &str,
    return_to: Option<&str>,
    lang: Lang,
) -> AppResult<()> {
    match users::find_by_email(&state.db, email).await? {
        Some(person) if !person.disabled => {
            mail_reset_link(state, &person, return_to, lang).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Mails `person` a reset link (within their address's budget): the
/// forgotten-password page, and the admin's "send a reset link". Whether
/// it went.
pub async fn mail_reset_link(
    state: &AppState,
    person: &user::Model,
    return_to: Option<&str>,
    lang: Lang,
) -> AppResult<bool> {
    let now = state.clock.now();
    if !within_budget(state, &person.email, now).await? {
        return Ok(false);
    }
    let url = reset_link(state, person, return_to).await?;
    let letter = Letter::new(Kind::PasswordReset, &person.email, lang)
        .link(url)
        .with("username", person.username.clone())
        .duration("wait", RESET_LINK_SECS);
    queue::send(state, &letter).await?;
    audit::record(
        &state.db,
        Event::ResetRequested,
        Some(self::person(person)),
        None,
        "",
        now,
    )
    .await?;
    Ok(true)
}

/// A new reset link for `person` (mailed by the caller, or printed by the
/// command line's `user reset-link`).
pub async fn reset_link(
    state: &AppState,
    person: &user::Model,
    return_to: Option<&str>,
) -> AppResult<String> {
    let request = NewLink {
        user_id: Some(person.id.clone()),
        email: person.email.clone(),
        return_to: return_to.map(str::to_owned),
        ..NewLink::default()
    };
    let token = links::issue(&state.db, Purpose::Reset, request, state.clock.now()).await?;
    Ok(link(state, routes::PASSWORD_RESET, &[("token", &token)]))
}

/// The enabled account a live reset link is for (the link is not used up).
pub async fn reset_target(state: &AppState, token: &str) -> AppResult<Option<user::Model>> {
    let Some(link) = links::peek(&state.db, Purpose::Reset, token, state.clock.now()).await? else {
        return Ok(None);
    };
    let Some(user_id) = link.user_id else {
        return Ok(None);
    };
    Ok(users::find(&state.db, &user_id)
        .await?
        .filter(|u| !u.disabled))
}

/// How a password came to change, for the audit log, the ending of
/// sessions, and who stays signed in.
pub struct PasswordChange<'a> {
    pub person: &'a user::Model,
    pub password: &'a SecretString,
    /// "reset link", "account page", "command line".
    pub how: &'a str,
    /// The session that changed it stays signed in (the account page);
    /// every other ends.
    pub keep_session: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub lang: Lang,
}

/// Sets a new password: the account's reset links die, its sessions end
/// (but `keep_session`), and the owner is told by mail, in one transaction.
pub async fn change_password(state: &AppState, change: PasswordChange<'_>) -> AppResult<()> {
    let hash = state.passwords.hash(change.password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    apply_password(state, &txn, &change, hash).await?;
    txn.commit().await?;
    state.mailer.wake();
    crate::domain::backchannel::wake();
    Ok(())
}

async fn apply_password(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    change: &PasswordChange<'_>,
    hash: String,
) -> AppResult<()> {
    let now = state.clock.now();
    let who = change.person;
    users::set_password(txn, &who.id, hash, now).await?;
    let reason = format!("password changed ({})", change.how);
    let ending = sso::Ending {
        reason: &reason,
        ip: change.ip,
    };
    match change.keep_session {
        Some(keep) => sso::end_others(txn, &who.id, keep, ending, now).await?,
        None => sso::end_all_for_user(txn, &who.id, ending, now).await?,
    };
    audit::record(
        txn,
        Event::PasswordChanged,
        Some(person(who)),
        change.ip,
        change.how,
        now,
    )
    .await?;
    let letter = Letter::new(Kind::PasswordChanged, &who.email, change.lang)
        .link(link(state, routes::PASSWORD_FORGOT, &[]))
        .with("username", who.username.clone());
    queue::put(
        txn,
        &state.keys,
        &state.templates,
        &state.config.site_name,
        &letter,
        now,
    )
    .await
}

/// Uses a reset link to set `password` (checked by the caller against the
/// account [`reset_target`] gave): every session of the account ends.
/// `None`: the link is no longer good (used meanwhile, expired); else
/// where to continue.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    person: &user::Model,
    password: &SecretString,
    ip: Option<&str>,
    lang: Lang,
) -> AppResult<Option<Option<String>>> {
    let hash = state.passwords.hash(password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(used) = links::redeem(&txn, Purpose::Reset, token, state.clock.now()).await? else {
        return Ok(None);
    };
    if used.user_id.as_deref() != Some(person.id.as_str()) {
        return Ok(None);
    }
    let change = PasswordChange {
        person,
        password,
        how: "reset link",
        keep_session: None,
        ip,
        lang,
    };
    apply_password(state, &txn, &change, hash).await?;
    txn.commit().await?;
    state.mailer.wake();
    crate::domain::backchannel::wake();
    Ok(Some(used.return_to))
}

/// Asks to move `person` to `new_email` (validated, not their own; the
/// caller checked their password): mails the new address a link, or, if
/// another account has it, tells that account's owner instead. The caller
/// answers the same either way.
pub async fn request_email_change(
    state: &AppState,
    person: &user::Model,
    new_email: &str,
    lang: Lang,
) -> AppResult<()> {
    let now = state.clock.now();
    if let Some(owner) = users::find_by_email(&state.db, new_email).await? {
        let letter = Letter::new(Kind::AddressInUse, new_email, lang)
            .link(link(state, routes::LOGIN, &[]))
            .with("username", owner.username);
        return send_within_budget(state, &letter, now).await;
    }
    if !within_budget(state, new_email, now).await? {
        return Ok(());
    }
    // Only the latest request counts.
    links::forget(&state.db, &person.id, Purpose::EmailChange).await?;
    let request = NewLink {
        user_id: Some(person.id.clone()),
        email: new_email.to_owned(),
        ..NewLink::default()
    };
    let token = links::issue(&state.db, Purpose::EmailChange, request, now).await?;
    let letter = Letter::new(Kind::VerifyNewAddress, new_email, lang)
        .link(link(state, routes::VERIFY_EMAIL, &[("token", &token)]))
        .with("username", person.username.clone())
        .duration("wait", VERIFY_LINK_SECS);
    queue::send(state, &letter).await
}

/// What following an address-change link did.
pub enum AddressChange {
    Changed {
        person: user::Model,
    },
    /// Another account took the address meanwhile.
    Taken,
    Invalid,
}

/// Makes the address a link names the account's (verified), and tells the
/// old address.
pub async fn confirm_email_change(
    state: &AppState,
    token: &str,
    lang: Lang,
) -> AppResult<AddressChange> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(change) = links::redeem(&txn, Purpose::EmailChange, token, now).await? else {
        return Ok(AddressChange::Invalid);
    };
    let Some(before) = users::find(&txn, change.user_id.as_deref().unwrap_or_default())
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(AddressChange::Invalid);
    };
    match users::set_verified_email(&txn, &before.id, &change.email, now).await {
        Ok(()) => {}
        Err(AppError::Conflict(_)) => return Ok(AddressChange::Taken),
        Err(err) => return Err(err),
    }
    audit::record(
        &txn,
        Event::EmailChanged,
        Some(person(&before)),
        None,
        "",
        now,
    )
    .await?;
    let letter = Letter::new(Kind::AddressChanged, &before.email, lang)
        .with("username", before.username.clone())
        .with("address", change.email.clone());
    queue::put(
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
    crate::domain::backchannel::wake();
    let person = users::find(&state.db, &before.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(AddressChange::Changed { person })
}
