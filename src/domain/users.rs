//! Accounts: validation of new accounts, creation, lookup for sign-in.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use secrecy::SecretString;

use crate::domain::passwords::Passwords;
use crate::entities::user;
use crate::error::{AppResult, OnConflict};
use crate::i18n::{Lang, Msg};
use crate::resources::{EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN};

/// Per-field messages for a form, keyed by field name (the first message
/// of each field wins).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, Msg>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<Msg>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&Msg> {
        self.0.get(field)
    }

    /// The messages in `lang`, for a page.
    pub fn in_lang(&self, lang: Lang) -> BTreeMap<&'static str, String> {
        self.0.iter().map(|(k, m)| (*k, m.in_lang(lang))).collect()
    }

    /// The messages in English (for the command line).
    pub fn english(&self) -> BTreeMap<&'static str, String> {
        self.in_lang(Lang::En)
    }
}

/// A validated request for a new account.
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: SecretString,
}

/// The least zxcvbn score a new password needs: 3 is "safely unguessable"
/// (more than 10^8 guesses), which resists an online attack outright and an
/// offline one against argon2 for a long while.
const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// The most characters of a password the strength estimator reads: its
/// cost grows faster than the length, and a password whose first 64
/// characters are strong is strong.
const ESTIMATED_CHARS: usize = 64;

fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Usernames: 3–32 of `a-z 0-9 . _ -`, starting with a letter or digit,
/// compared case-insensitively (stored lowercase).
pub fn normalize_username(raw: &str) -> Result<String, Msg> {
    let name = raw.trim().to_lowercase();
    let len = name.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
        return Err(Msg::new("field-username-length"));
    }
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if !name.chars().all(allowed) {
        return Err(Msg::new("field-username-characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(Msg::new("field-username-start"));
    }
    Ok(name)
}

/// Email addresses: a practical subset of RFC 5322 (no quoting, comments or
/// spaces), stored lowercase.
pub fn normalize_email(raw: &str) -> Result<String, Msg> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() || email.len() > EMAIL_MAX {
        return Err(Msg::new("field-email-length"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(Msg::new("field-email-shape"));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&*+/=?^_`{|}~.-".contains(c));
    let domain_ok = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if local_ok && domain_ok {
        Ok(email)
    } else {
        Err(Msg::new("field-email-shape"))
    }
}

/// Password rules: length 8–128, no control characters, and strong enough
/// by zxcvbn's estimate (which knows the 30,000 most common passwords, words,
/// names, keyboard patterns, dates and l33t), with the username and email
/// as words it also knows. No composition rules (NIST SP 800-63B).
pub fn check_password(password: &str, username: &str, email: &str) -> Result<(), Msg> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(Msg::new("field-password-short"));
    }
    if len > PASSWORD_MAX {
        return Err(Msg::new("field-password-long"));
    }
    if has_control_chars(password) {
        return Err(Msg::new("field-password-control"));
    }
    let estimated: String = password.chars().take(ESTIMATED_CHARS).collect();
    let local_part = email.split('@').next().unwrap_or_default();
    let inputs: Vec<&str> = [username, email, local_part]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let entropy = zxcvbn::zxcvbn(&estimated, &inputs);
    if entropy.score() >= MIN_PASSWORD_SCORE {
        return Ok(());
    }
    Err(
        match entropy
            .feedback()
            .and_then(|f| f.warning())
            .and_then(weakness_key)
        {
            Some(why) => Msg::new("field-password-weak-why").key("why", why),
            None => Msg::new("field-password-weak"),
        },
    )
}

/// zxcvbn's warning as a message key of the catalog (its own texts are
/// English only).
fn weakness_key(warning: zxcvbn::feedback::Warning) -> Option<&'static str> {
    use zxcvbn::feedback::Warning as W;
    let key = match warning {
        W::StraightRowsOfKeysAreEasyToGuess => "weak-straight-rows",
        W::ShortKeyboardPatternsAreEasyToGuess => "weak-short-keyboard",
        W::RepeatsLikeAaaAreEasyToGuess => "weak-repeats",
        W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "weak-repeats-abc",
        W::ThisIsATop10Password => "weak-top-10",
        W::ThisIsATop100Password => "weak-top-100",
        W::ThisIsACommonPassword => "weak-common",
        W::ThisIsSimilarToACommonlyUsedPassword => "weak-similar-common",
        W::SequencesLikeAbcAreEasyToGuess => "weak-sequences",
        W::RecentYearsAreEasyToGuess => "weak-recent-years",
        W::AWordByItselfIsEasyToGuess => "weak-word",
        W::DatesAreOftenEasyToGuess => "weak-dates",
        W::NamesAndSurnamesByThemselvesAreEasyToGuess => "weak-names",
        W::CommonNamesAndSurnamesAreEasyToGuess => "weak-common-names",
    };
    Some(key)
}

/// Validates a registration form.
pub fn validate_new_account(
    username: &str,
    email: &str,
    password: &str,
    password_confirm: &str,
) -> Result<NewAccount, FieldErrors> {
    let mut errors = FieldErrors::default();
    let username = normalize_username(username)
        .map_err(|m| errors.add("username", m))
        .ok();
    let email = normalize_email(email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let typed_email = email.as_deref().unwrap_or_default();
    if let Err(m) = check_password(
        password,
        username.as_deref().unwrap_or_default(),
        typed_email,
    ) {
        errors.add("password", m);
    } else if password != password_confirm {
        errors.add("password_confirm", "field-password-mismatch");
    }
    match (username, email, errors.is_empty()) {
        (Some(username), Some(email), true) => Ok(NewAccount {
            username,
            email,
            password: SecretString::from(password.to_owned()),
        }),
        _ => Err(errors),
    }
}

/// Validates a new password for an existing account (strong enough for
/// this person, typed the same twice), as the field errors of the form.
pub fn validate_new_password(
    password: &str,
    password_confirm: &str,
    person: &user::Model,
) -> Result<SecretString, FieldErrors> {
    let mut errors = FieldErrors::default();
    if let Err(m) = check_password(password, &person.username, &person.email) {
        errors.add("password", m);
    } else if password != password_confirm {
        errors.add("password_confirm", "field-password-mismatch");
    }
    match errors.is_empty() {
        true => Ok(SecretString::from(password.to_owned())),
        false => Err(errors),
    }
}

/// Whether an account already has this (normalised) username or email:
/// checked before any hashing, so a flood of taken names costs no argon2.
pub async fn is_taken(
    db: &impl ConnectionTrait,
    username: &str,
    email: &str,
) -> Result<bool, DbErr> {
    Ok(crate::db::first(
        user::Entity::find().filter(
            Condition::any()
                .add(user::Column::Username.eq(username))
                .add(user::Column::Email.eq(email)),
        ),
        db,
    )
    .await?
    .is_some())
}

/// Creates an account (from the command line: its address is verified
/// only if the operator says so). A taken username or email is a
/// [`AppError::Conflict`] whose message does not say which of the two was taken.
pub async fn create(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    account: NewAccount,
    is_admin: bool,
    email_verified: bool,
    now: i64,
) -> AppResult<user::Model> {
    let password_hash = passwords.hash(&account.password).await?;
    let account = Hashed {
        username: account.username,
        email: account.email,
        password_hash,
    };
    insert(db, account, is_admin, email_verified, now).await
}

/// An account to create whose password is already hashed (a confirmed
/// registration: the hash waited in its link).
pub struct Hashed {
    pub username: String,
    pub email: String,
    pub password_hash: String,
}

/// Creates an account from a registration whose address was just
/// verified by following the mailed link.
pub async fn create_confirmed(
    db: &impl ConnectionTrait,
    account: Hashed,
    now: i64,
) -> AppResult<user::Model> {
    insert(db, account, false, true, now).await
}

async fn insert(
    db: &impl ConnectionTrait,
    account: Hashed,
    is_admin: bool,
    email_verified: bool,
    now: i64,
) -> AppResult<user::Model> {
    user::ActiveModel {
        id: Set(crate::crypto::random_id()),
        username: Set(account.username),
        email: Set(account.email),
        password_hash: Set(account.password_hash),
        is_admin: Set(is_admin),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        email_verified: Set(email_verified),
    }
    .insert(db)
    .await
    .on_conflict(Msg::new("register-taken"))
}

/// Gives an account a new password (hashed). Its reset links die with the
/// old one, whichever way the password changed.
pub async fn set_password(
    db: &impl ConnectionTrait,
    user_id: &str,
    password_hash: String,
    now: i64,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    crate::domain::links::forget(db, user_id, crate::domain::links::Purpose::Reset).await
}

/// Gives an account a new, verified address. Taken by another account in
/// the meantime: a [`AppError::Conflict`].
pub async fn set_verified_email(
    db: &impl ConnectionTrait,
    user_id: &str,
    email: &str,
    now: i64,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(email))
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .on_conflict(Msg::new("email-change-taken"))?;
    Ok(())
}

/// Marks an account's address verified (the operator vouches for it).
pub async fn mark_email_verified(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: i64,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The account with this (normalised) username.
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

/// The account with this (normalised) address.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

/// What a person typed in the sign-in form's `username` field, normalised;
/// `None` when it cannot be any account (too long, control characters).
pub fn normalize_login(identifier: &str) -> Option<String> {
    let id = identifier.trim().to_lowercase();
    (!id.is_empty() && id.len() <= EMAIL_MAX && !has_control_chars(&id)).then_some(id)
}

/// Finds the account a (normalised) sign-in identifier names: username or email.
pub async fn find_for_login(
    db: &impl ConnectionTrait,
    login: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Username.eq(login))
                .add(user::Column::Email.eq(login)),
        )
        .one(db)
        .await
}

/// Finds an account by id.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id.to_owned()).one(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_restricted() {
        assert_eq!(normalize_username("  Alice_1 ").unwrap(), "alice_1");
        assert!(normalize_username("al").is_err());
        assert!(normalize_username(&"a".repeat(33)).is_err());
        assert!(normalize_username("admin'; DROP TABLE users;--").is_err());
        assert!(normalize_username("bob\u{0}").is_err());
        assert!(normalize_username("_bob").is_err());
        assert!(normalize_username("bøb").is_err());
    }

    #[test]
    fn emails_are_checked_practically() {
        assert_eq!(
            normalize_email("Alice@Example.COM").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
            "x'; DROP TABLE users;--@example.com",
            "a@b",
            "a@@b.com",
            "a..b@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_need_length_not_composition() {
        let email = "alice@example.com";
        assert!(check_password("correct horse battery staple", "alice", email).is_ok());
        assert!(check_password("short", "alice", email).is_err());
        for weak in [
            "Password1",
            "P@ssw0rd!",
            "qwertyuiop",
            "iloveyou2",
            "12345678",
        ] {
            assert!(
                check_password(weak, "alice", email).is_err(),
                "{weak} accepted"
            );
        }
        assert!(check_password("alice-the-user", "alice-the-user", email).is_err());
        assert!(check_password("alice@example.com", "alice", email).is_err());
        assert!(check_password("with\u{7}bell!", "alice", email).is_err());
        assert!(check_password(&"x".repeat(129), "alice", email).is_err());
        let message = check_password("password", "alice", email).unwrap_err();
        assert_eq!(message.key, "field-password-weak-why");
        assert!(
            message.english().contains("top-10 common password"),
            "{message:?}"
        );
    }

    #[test]
    fn registration_reports_each_field() {
        let errors = validate_new_account("a", "nope", "short", "short")
            .err()
            .unwrap();
        assert!(errors.get("username").is_some());
        assert!(errors.get("email").is_some());
        assert!(errors.get("password").is_some());
        let errors = validate_new_account("alice", "a@example.com", "long enough pw", "different")
            .err()
            .unwrap();
        assert_eq!(
            errors.get("password_confirm"),
            Some(&Msg::new("field-password-mismatch"))
        );
    }
}
