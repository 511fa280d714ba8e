//! Passkeys, through webauthn-rs (Kanidm's WebAuthn library): registered
//! on the security page as discoverable credentials with user verification,
//! used as the second step after a password, or alone from the login page
//! ("Sign in with a passkey"). The relying party is the host of
//! `AUTH_PUBLIC_URL`, which must be a domain name (`localhost` will do):
//! with an IP address there are no passkeys, and the pages do not offer them.
//!
//! A credential is stored as webauthn-rs keeps it (its public key and
//! signature counter, nothing secret) in `mfa_factors.secret`, found at
//! sign-in by its id. The ceremony state between options and answer waits
//! in the HTTP session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::config::Config;
use crate::domain::mfa::{self, PASSKEY};
use crate::entities::{mfa_factor, user};
use crate::error::{AppError, AppResult};

/// The relying party, if passkeys can work at this public URL.
pub struct Passkeys {
    webauthn: Webauthn,
}

/// Why a passkey ceremony failed, for the person ("did not work") and the log.
#[derive(Debug, thiserror::Error)]
#[error("passkey: {0}")]
pub struct PasskeyError(String);

impl From<webauthn_rs::prelude::WebauthnError> for PasskeyError {
    fn from(err: webauthn_rs::prelude::WebauthnError) -> Self {
        PasskeyError(err.to_string())
    }
}

fn user_uuid(user: &user::Model) -> Uuid {
    // Account ids are UUIDs; an older one that is not gets a stable one.
    Uuid::parse_str(&user.id).unwrap_or_else(|_| {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, user.id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest.as_ref()[..16]);
        Uuid::from_bytes(bytes)
    })
}

/// A credential id as stored (base64url).
pub fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

impl Passkeys {
    /// The relying party of `AUTH_PUBLIC_URL`: `None` when its host is an
    /// IP address (WebAuthn needs a domain) or it cannot be one.
    pub fn from_config(config: &Config) -> Option<Passkeys> {
        let origin = Url::parse(&config.issuer).ok()?;
        let host = match origin.host()? {
            url::Host::Domain(domain) => domain.to_owned(),
            _ => return None,
        };
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .ok()?
            .rp_name(&config.site_name)
            .build()
            .ok()?;
        Some(Passkeys { webauthn })
    }

    /// Options for registering a passkey for `user` (not one they have):
    /// discoverable, so it can sign in without a username later.
    pub fn start_registration(
        &self,
        user: &user::Model,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), PasskeyError> {
        let exclude =
            (!existing.is_empty()).then(|| existing.iter().map(|p| p.cred_id().clone()).collect());
        let (mut options, state) = self.webauthn.start_passkey_registration(
            user_uuid(user),
            &user.username,
            &user.username,
            exclude,
        )?;
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((options, state))
    }

    pub fn finish_registration(
        &self,
        credential: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Passkey, PasskeyError> {
        Ok(self
            .webauthn
            .finish_passkey_registration(credential, state)?)
    }

    /// Options for signing in with any passkey of this site (the browser
    /// offers the person's).
    pub fn start_sign_in(
        &self,
    ) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), PasskeyError> {
        let (mut options, state) = self.webauthn.start_discoverable_authentication()?;
        // Asked for by a button, not offered while typing a username.
        options.mediation = None;
        Ok((options, state))
    }

    /// The account a passwordless answer names, and the credential it used.
    pub fn identify<'a>(
        &self,
        answer: &'a PublicKeyCredential,
    ) -> Result<(Uuid, &'a [u8]), PasskeyError> {
        Ok(self.webauthn.identify_discoverable_authentication(answer)?)
    }

    pub fn finish_sign_in(
        &self,
        answer: &PublicKeyCredential,
        state: DiscoverableAuthentication,
        passkey: &mut Passkey,
    ) -> Result<(), PasskeyError> {
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, &*passkey)?;
        if !result.user_verified() {
            return Err(PasskeyError(
                "the authenticator did not verify the person".into(),
            ));
        }
        passkey.update_credential(&result);
        Ok(())
    }

    /// Options for the second step with one of `passkeys`.
    pub fn start_second_step(
        &self,
        passkeys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, PasskeyAuthentication), PasskeyError> {
        Ok(self.webauthn.start_passkey_authentication(passkeys)?)
    }

    /// The credential id the second step's answer used, after checking it.
    pub fn finish_second_step(
        &self,
        answer: &PublicKeyCredential,
        state: &PasskeyAuthentication,
    ) -> Result<webauthn_rs::prelude::AuthenticationResult, PasskeyError> {
        Ok(self.webauthn.finish_passkey_authentication(answer, state)?)
    }
}

/// An account's passkeys, with their rows.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<(mfa_factor::Model, Passkey)>, DbErr> {
    Ok(mfa::factors(db, user_id)
        .await?
        .into_iter()
        .filter(|f| f.kind == PASSKEY)
        .filter_map(|f| {
            let key = serde_json::from_str(&f.secret).ok()?;
            Some((f, key))
        })
        .collect())
}

/// The passkey a credential id names, and its row.
pub async fn by_credential(
    db: &impl ConnectionTrait,
    credential_id: &[u8],
) -> Result<Option<(mfa_factor::Model, Passkey)>, DbErr> {
    let row = mfa_factor::Entity::find()
        .filter(mfa_factor::Column::Kind.eq(PASSKEY))
        .filter(mfa_factor::Column::CredentialId.eq(credential_key(credential_id)))
        .one(db)
        .await?;
    Ok(row.and_then(|f| {
        let key = serde_json::from_str(&f.secret).ok()?;
        Some((f, key))
    }))
}

/// Stores a newly registered passkey.
pub async fn add(
    db: &impl ConnectionTrait,
    user_id: &str,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> AppResult<mfa_factor::Model> {
    let json =
        serde_json::to_string(passkey).map_err(|e| AppError::internal(format!("passkey: {e}")))?;
    Ok(mfa_factor::ActiveModel {
        id: Set(crate::crypto::random_id()),
        user_id: Set(user_id.to_owned()),
        kind: Set(PASSKEY.to_owned()),
        name: Set(name.to_owned()),
        secret: Set(json),
        credential_id: Set(Some(credential_key(passkey.cred_id()))),
        last_step: Set(None),
        created_at: Set(now),
        last_used_at: Set(Some(now)),
    }
    .insert(db)
    .await?)
}

/// Keeps a passkey's new signature counter after a use.
pub async fn used(
    db: &impl ConnectionTrait,
    factor_id: &str,
    passkey: &Passkey,
    now: i64,
) -> AppResult<()> {
    let json =
        serde_json::to_string(passkey).map_err(|e| AppError::internal(format!("passkey: {e}")))?;
    mfa_factor::Entity::update_many()
        .col_expr(mfa_factor::Column::Secret, Expr::value(json))
        .col_expr(mfa_factor::Column::LastUsedAt, Expr::value(now))
        .filter(mfa_factor::Column::Id.eq(factor_id))
        .exec(db)
        .await?;
    Ok(())
}
