//! Second factors: authenticator apps (TOTP, RFC 6238: SHA-1, 6 digits,
//! 30 s, one step of drift either way, each code good once), passkeys
//! (see [`crate::domain::passkeys`]), and recovery codes (ten, shown once,
//! stored as keyed hashes, each good once).
//!
//! A TOTP secret is sealed with a subkey of `AUTH_SECRET_KEY` bound to its
//! row; a code is accepted only for a time step later than the last one
//! accepted, in one conditional update, so a code (or an older one) cannot
//! be replayed, not even by two requests at once.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::crypto::{Keys, random_bytes};
use crate::db::stmt;
use crate::entities::{mfa_factor, recovery_code};
use crate::error::{AppError, AppResult};

pub const TOTP: &str = "totp";
pub const PASSKEY: &str = "passkey";

/// TOTP parameters (RFC 6238's defaults, what every authenticator app reads).
const DIGITS: usize = 6;
const STEP_SECS: u64 = 30;
const SECRET_BYTES: usize = 20;
/// How many recovery codes a person gets.
pub const RECOVERY_CODES: usize = 10;

/// A new TOTP secret (160 bits, as RFC 4226 recommends).
pub fn new_totp_secret() -> AppResult<Vec<u8>> {
    Ok(random_bytes(SECRET_BYTES)?)
}

/// The `otpauth://` name parts may not hold a colon.
fn label_part(s: &str) -> String {
    s.replace(':', " ").trim().to_owned()
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> AppResult<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(label_part(issuer)))
        .with_account_name(label_part(account))
        .build()
        .map_err(|e| AppError::internal(format!("totp: {e}")))
}

/// The `otpauth://totp/…` URI an authenticator app reads (as text, and as
/// the QR code).
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> AppResult<String> {
    totp(secret, issuer, account)?
        .to_url()
        .map_err(|e| AppError::internal(format!("otpauth: {e}")))
}

/// The secret as people type it into an app by hand (base32).
pub fn secret_text(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// `text` as a QR code, an SVG drawn here (no image service, nothing the
/// Content-Security-Policy would refuse).
pub fn qr_svg(text: &str) -> AppResult<String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::internal(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// The time step `code` is good for at `now` (the current one, or one
/// either side), if any.
pub fn code_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "x", "x").ok()?;
    let now = u64::try_from(now).ok()?;
    totp.check(&code, now).and_then(|s| i64::try_from(s).ok())
}

fn seal_context(factor_id: &str) -> String {
    format!("totp:{factor_id}")
}

/// An account's second factors, oldest first.
pub async fn factors(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<mfa_factor::Model>, DbErr> {
    mfa_factor::Entity::find()
        .filter(mfa_factor::Column::UserId.eq(user_id))
        .order_by_asc(mfa_factor::Column::CreatedAt)
        .all(db)
        .await
}

/// Whether an account has a second factor.
pub async fn has_factor(db: &impl ConnectionTrait, user_id: &str) -> Result<bool, DbErr> {
    Ok(mfa_factor::Entity::find()
        .filter(mfa_factor::Column::UserId.eq(user_id))
        .count(db)
        .await?
        > 0)
}

/// Adds an authenticator app whose code for `step` the person just typed
/// (that step counts as used).
pub async fn add_totp(
    db: &impl ConnectionTrait,
    keys: &Keys,
    user_id: &str,
    name: &str,
    secret: &[u8],
    step: i64,
    now: i64,
) -> AppResult<mfa_factor::Model> {
    let id = crate::crypto::random_id();
    let sealed = keys.seal(&seal_context(&id), secret)?;
    Ok(mfa_factor::ActiveModel {
        id: Set(id),
        user_id: Set(user_id.to_owned()),
        kind: Set(TOTP.to_owned()),
        name: Set(name.to_owned()),
        secret: Set(sealed),
        credential_id: Set(None),
        last_step: Set(Some(step)),
        created_at: Set(now),
        last_used_at: Set(Some(now)),
    }
    .insert(db)
    .await?)
}

/// Whether `code` is a good, unused code of one of the account's
/// authenticator apps; using it, if so.
pub async fn use_totp_code(
    db: &impl ConnectionTrait,
    keys: &Keys,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<bool, DbErr> {
    for factor in factors(db, user_id)
        .await?
        .into_iter()
        .filter(|f| f.kind == TOTP)
    {
        let Ok(secret) = keys.open(&seal_context(&factor.id), &factor.secret) else {
            tracing::warn!(factor_id = %factor.id, "a TOTP secret cannot be opened (was AUTH_SECRET_KEY changed?)");
            continue;
        };
        let Some(step) = code_step(&secret, code, now) else {
            continue;
        };
        let claimed = db
            .execute_raw(stmt(
                db,
                "UPDATE mfa_factors SET last_step = $1, last_used_at = $2 \
                 WHERE id = $3 AND (last_step IS NULL OR last_step < $1)",
                vec![step.into(), now.into(), factor.id.clone().into()],
            ))
            .await?
            .rows_affected();
        if claimed == 1 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Renames nothing, removes one factor of the account: whether it had it.
/// With the last factor gone, the recovery codes go too.
pub async fn remove(
    db: &impl ConnectionTrait,
    user_id: &str,
    factor_id: &str,
) -> Result<Option<mfa_factor::Model>, DbErr> {
    let Some(factor) = mfa_factor::Entity::find_by_id(factor_id.to_owned())
        .filter(mfa_factor::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    mfa_factor::Entity::delete_by_id(factor.id.clone())
        .exec(db)
        .await?;
    if !has_factor(db, user_id).await? {
        forget_recovery_codes(db, user_id).await?;
    }
    Ok(Some(factor))
}

/// Removes every second factor and recovery code of an account (the
/// operator's `user reset-mfa`): how many factors there were.
pub async fn reset(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let removed = mfa_factor::Entity::delete_many()
        .filter(mfa_factor::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    forget_recovery_codes(db, user_id).await?;
    Ok(removed)
}

async fn forget_recovery_codes(db: &impl ConnectionTrait, user_id: &str) -> Result<(), DbErr> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A recovery code as typed: lowercase, without spaces or dashes.
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Ten new recovery codes for the account (`xxxxx-xxxxx`, 50 random bits
/// each), replacing any it had. Returned once, to be shown once.
pub async fn new_recovery_codes(
    db: &impl ConnectionTrait,
    keys: &Keys,
    user_id: &str,
    now: i64,
) -> AppResult<Vec<String>> {
    forget_recovery_codes(db, user_id).await?;
    let alphabet = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let bytes = random_bytes(10)?;
        let chars: String = bytes
            .iter()
            .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
            .collect();
        let code = format!("{}-{}", &chars[..5], &chars[5..]);
        recovery_code::ActiveModel {
            code_tag: Set(keys.recovery_code_tag(user_id, &normalize_code(&code))),
            user_id: Set(user_id.to_owned()),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Uses a recovery code of the account, if it is one (once: the row is
/// deleted in the same statement that finds it).
pub async fn use_recovery_code(
    db: &impl ConnectionTrait,
    keys: &Keys,
    user_id: &str,
    code: &str,
) -> Result<bool, DbErr> {
    let code = normalize_code(code);
    if code.len() != 10 {
        return Ok(false);
    }
    let tag = keys.recovery_code_tag(user_id, &code);
    let used = db
        .execute_raw(stmt(
            db,
            "DELETE FROM recovery_codes WHERE code_tag = $1 AND user_id = $2",
            vec![tag.into(), user_id.into()],
        ))
        .await?
        .rows_affected();
    Ok(used == 1)
}

/// How many unused recovery codes the account has.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .count(db)
        .await
}

/// Marks a factor used now.
pub async fn touch(db: &impl ConnectionTrait, factor_id: &str, now: i64) -> Result<(), DbErr> {
    mfa_factor::Entity::update_many()
        .col_expr(mfa_factor::Column::LastUsedAt, Expr::value(now))
        .filter(mfa_factor::Column::Id.eq(factor_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret and vectors (8 digits there;
    /// the last six are the 6-digit codes).
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_follow_rfc_6238_with_one_step_of_drift_either_way() {
        assert_eq!(code_step(RFC_SECRET, "287082", 59), Some(1));
        assert_eq!(
            code_step(RFC_SECRET, "081804", 1_111_111_109),
            Some(1_111_111_109 / 30)
        );
        assert_eq!(
            code_step(RFC_SECRET, "050471", 1_111_111_111),
            Some(1_111_111_111 / 30)
        );
        // One step late or early is fine; two is not.
        assert_eq!(code_step(RFC_SECRET, "287082", 59 + 30), Some(1));
        assert_eq!(code_step(RFC_SECRET, "287082", 59 + 60), None);
        assert_eq!(code_step(RFC_SECRET, "287 082", 59), Some(1));
        assert_eq!(code_step(RFC_SECRET, "28708", 59), None);
        assert_eq!(code_step(RFC_SECRET, "abcdef", 59), None);
    }

    #[test]
    fn the_uri_and_the_qr_code_carry_the_secret_and_the_names() {
        let uri = otpauth_uri(RFC_SECRET, "Arcade: Login", "alice").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Arcade%20%20Login:alice?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={}", secret_text(RFC_SECRET))));
        assert!(uri.contains("digits=6") || !uri.contains("digits="));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && !svg.contains("style="));
    }
}
