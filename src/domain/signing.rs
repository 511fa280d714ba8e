//! Signing access tokens (and, later, id_tokens).
//!
//! HS256 client sites are signed with their own JWT secret. RS256 and EdDSA
//! client sites are signed with the server's keys, which live in
//! `signing_keys` (private half encrypted with a subkey of `AUTH_SECRET_KEY`,
//! public half as a JWK) and are published at `/oauth2/jwks`. Keys are made
//! on first use; retired keys stay published until every token they signed
//! has expired.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::crypto::{Keys, random_token_of};
use crate::domain::clients::{self, TokenAlg};
use crate::entities::{client, signing_key};
use crate::error::{AppError, AppResult};

/// How long an instance trusts its cached idea of the current key before
/// looking again (another instance may have rotated it).
const KEY_CACHE_SECS: i64 = 300;

/// How long an instance serves its JWKS from memory before reading the keys
/// again: the longest it can miss a key another instance has just made.
/// This instance's own new keys are published at once.
pub const JWKS_CACHE_SECS: i64 = 5;

/// The JWKS as served: serialised once, with its ETag.
#[derive(Debug)]
pub struct PublishedJwks {
    pub body: bytes::Bytes,
    /// A strong validator: a hash of the body (an `ETag` header value).
    pub etag: bytes::Bytes,
    kids: Vec<String>,
    built_at: i64,
}

/// Claims of an access JWT.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// `<random>.<tag>`: unique, and carrying the server's tag over the
    /// other claims (see [`AccessClaims::minted_here`]).
    pub jti: String,
    pub sid: String,
    pub scope: String,
    pub preferred_username: String,
}

impl AccessClaims {
    /// The claims of a new access token, with a fresh `jti` that carries
    /// the server's tag over them.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        keys: &Keys,
        issuer: &str,
        sub: &str,
        aud: &str,
        sid: &str,
        scope: &str,
        preferred_username: &str,
        iat: i64,
        exp: i64,
    ) -> Result<Self, crate::crypto::CryptoError> {
        let mut claims = AccessClaims {
            iss: issuer.to_owned(),
            sub: sub.to_owned(),
            aud: aud.to_owned(),
            exp,
            iat,
            jti: random_token_of(12)?,
            sid: sid.to_owned(),
            scope: scope.to_owned(),
            preferred_username: preferred_username.to_owned(),
        };
        let tag = claims.tag(keys);
        claims.jti = format!("{}.{tag}", claims.jti);
        Ok(claims)
    }

    fn tag(&self, keys: &Keys) -> String {
        let (exp, iat) = (self.exp.to_string(), self.iat.to_string());
        let nonce = self.jti.split('.').next().unwrap_or_default();
        keys.access_token_tag(&[
            nonce,
            &self.iss,
            &self.sub,
            &self.aud,
            &exp,
            &iat,
            &self.sid,
            &self.scope,
        ])
    }

    /// Whether the server minted these claims. An HS256 client site holds
    /// the key its tokens are signed with, so it can sign any claims it
    /// likes for itself; only the server can make the tag in `jti`, so the
    /// server believes only tokens that carry it.
    pub fn minted_here(&self, keys: &Keys) -> bool {
        let Some((_, tag)) = self.jti.split_once('.') else {
            return false;
        };
        crate::crypto::constant_time_eq(self.tag(keys).as_bytes(), tag.as_bytes())
    }
}

struct ActiveKey {
    kid: String,
    key: PrivateKey,
    loaded_at: i64,
}

/// A server private key, parsed once when it is loaded. (jsonwebtoken's
/// `EncodingKey` keeps the DER and parses and checks it again for every
/// signature: measured here, 690 µs per RS256 signature against 250 µs with
/// the key parsed once.)
enum PrivateKey {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl PrivateKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::Rsa(_) => Algorithm::RS256,
            PrivateKey::Ed25519(_) => Algorithm::EdDSA,
        }
    }

    /// A JWS compact serialization (RFC 7515 §7.1) of `claims`:
    /// `base64url(header) . base64url(claims) . base64url(signature)`.
    fn sign_jwt<T: Serialize>(&self, kid: &str, typ: Typ, claims: &T) -> AppResult<String> {
        let mut header = Header::new(self.algorithm());
        header.typ = Some(typ.as_str().into());
        header.kid = Some(kid.to_owned());
        let message = format!("{}.{}", base64_json(&header)?, base64_json(claims)?);
        let signature = match self {
            PrivateKey::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message.as_bytes(),
                    &mut signature,
                )
                .map_err(|e| AppError::internal(format!("RS256 signing: {e}")))?;
                signature
            }
            PrivateKey::Ed25519(pair) => pair.sign(message.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

fn base64_json<T: Serialize + ?Sized>(value: &T) -> AppResult<String> {
    let json = serde_json::to_vec(value)
        .map_err(|e| AppError::internal(format!("token serialization: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// What kind of JWT a token is, in its `typ` header: access tokens say
/// `at+jwt` (RFC 9068 §2.1), so that no verifier can take an id_token for
/// an access token or the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typ {
    Access,
    Id,
    /// A back-channel logout_token.
    Logout,
}

impl Typ {
    pub fn as_str(self) -> &'static str {
        match self {
            Typ::Access => "at+jwt",
            Typ::Id => "JWT",
            Typ::Logout => "logout+jwt",
        }
    }
}

/// The server's signing keys, cached per algorithm, and the JWKS that
/// publishes them, kept in memory.
#[derive(Default)]
pub struct Signer {
    active: Mutex<HashMap<&'static str, Arc<ActiveKey>>>,
    jwks: std::sync::RwLock<Option<Arc<PublishedJwks>>>,
}

fn sealing_context(kid: &str) -> String {
    format!("signing-key:{kid}")
}

fn jwt_algorithm(alg: TokenAlg) -> Algorithm {
    match alg {
        TokenAlg::HS256 => Algorithm::HS256,
        TokenAlg::RS256 => Algorithm::RS256,
        TokenAlg::EdDSA => Algorithm::EdDSA,
    }
}

impl Signer {
    /// Signs `claims` as the client site asked: with its own secret (HS256)
    /// or with the server's current key of its algorithm.
    pub async fn sign_for_client<T: Serialize>(
        &self,
        db: &impl ConnectionTrait,
        keys: &Keys,
        client: &client::Model,
        claims: &T,
        now: i64,
    ) -> AppResult<String> {
        let alg: TokenAlg = client.token_alg.parse().map_err(AppError::internal)?;
        match alg {
            TokenAlg::HS256 => {
                let secret = clients::jwt_secret(keys, client)?.ok_or_else(|| {
                    AppError::internal(format!(
                        "HS256 client {} has no JWT secret",
                        client.client_id
                    ))
                })?;
                let mut header = Header::new(Algorithm::HS256);
                header.typ = Some(Typ::Access.as_str().into());
                let key = EncodingKey::from_secret(secret.as_bytes())
                    .map_err(|e| AppError::internal(format!("HS256 key: {e}")))?;
                jsonwebtoken::encode(&header, claims, &key)
                    .map_err(|e| AppError::internal(format!("signing: {e}")))
            }
            server_alg => {
                self.sign_with_server_key(db, keys, server_alg, Typ::Access, claims, now)
                    .await
            }
        }
    }

    /// Signs with the server's current key for `alg` (RS256 or EdDSA).
    pub async fn sign_with_server_key<T: Serialize>(
        &self,
        db: &impl ConnectionTrait,
        keys: &Keys,
        alg: TokenAlg,
        typ: Typ,
        claims: &T,
        now: i64,
    ) -> AppResult<String> {
        let active = self.active_key(db, keys, alg, now).await?;
        active.key.sign_jwt(&active.kid, typ, claims)
    }

    async fn active_key(
        &self,
        db: &impl ConnectionTrait,
        keys: &Keys,
        alg: TokenAlg,
        now: i64,
    ) -> AppResult<Arc<ActiveKey>> {
        let mut cache = self.active.lock().await;
        if let Some(active) = cache
            .get(alg.as_str())
            .filter(|a| now - a.loaded_at < KEY_CACHE_SECS)
        {
            return Ok(active.clone());
        }
        let row = match newest_active(db, alg).await? {
            Some(row) => row,
            None => generate(db, keys, alg, now).await?,
        };
        let active = Arc::new(load(keys, &row, now)?);
        cache.insert(alg.as_str(), active.clone());
        // A key this instance signs with is in its JWKS before any token.
        if self
            .cached_jwks()
            .is_some_and(|jwks| !jwks.kids.contains(&active.kid))
        {
            self.forget_jwks();
        }
        Ok(active)
    }

    fn cached_jwks(&self) -> Option<Arc<PublishedJwks>> {
        self.jwks.read().ok().and_then(|cached| cached.clone())
    }

    fn forget_jwks(&self) {
        if let Ok(mut cached) = self.jwks.write() {
            *cached = None;
        }
    }

    /// The JWKS document, from memory: rebuilt from the database at most
    /// every [`JWKS_CACHE_SECS`], and at once when this instance starts
    /// signing with a key it does not list or rotates its keys.
    pub async fn jwks(
        &self,
        db: &impl ConnectionTrait,
        keys: &Keys,
        now: i64,
        max_token_ttl: i64,
    ) -> AppResult<Arc<PublishedJwks>> {
        if let Some(jwks) = self
            .cached_jwks()
            .filter(|j| (0..JWKS_CACHE_SECS).contains(&(now - j.built_at)))
        {
            return Ok(jwks);
        }
        self.ensure_keys(db, keys, now).await?;
        let published = published_jwks(db, now, max_token_ttl).await?;
        let kids = published
            .iter()
            .filter_map(|k| k["kid"].as_str().map(str::to_owned))
            .collect();
        let body = serde_json::to_vec(&json!({ "keys": published }))
            .map_err(|e| AppError::internal(format!("JWKS: {e}")))?;
        let etag = crate::crypto::etag(&body);
        let jwks = Arc::new(PublishedJwks {
            body: body.into(),
            etag: etag.into(),
            kids,
            built_at: now,
        });
        if let Ok(mut cached) = self.jwks.write() {
            *cached = Some(jwks.clone());
        }
        Ok(jwks)
    }

    /// Retires the current keys (see [`rotate_keys`]) and forgets this
    /// instance's cached ones. Other instances move to the new keys within
    /// `KEY_CACHE_SECS`; the retired keys stay published long enough for that.
    pub async fn rotate(&self, db: &impl ConnectionTrait, now: i64) -> AppResult<Vec<String>> {
        let retired = rotate_keys(db, now).await?;
        self.active.lock().await.clear();
        self.forget_jwks();
        Ok(retired)
    }

    /// Makes sure a key of each server algorithm exists (so the JWKS is
    /// complete before the first token is signed).
    pub async fn ensure_keys(
        &self,
        db: &impl ConnectionTrait,
        keys: &Keys,
        now: i64,
    ) -> AppResult<()> {
        for alg in [TokenAlg::RS256, TokenAlg::EdDSA] {
            self.active_key(db, keys, alg, now).await?;
        }
        Ok(())
    }
}

async fn newest_active(
    db: &impl ConnectionTrait,
    alg: TokenAlg,
) -> Result<Option<signing_key::Model>, sea_orm::DbErr> {
    signing_key::Entity::find()
        .filter(signing_key::Column::Alg.eq(alg.as_str()))
        .filter(signing_key::Column::RetiredAt.is_null())
        .order_by_desc(signing_key::Column::CreatedAt)
        .order_by_desc(signing_key::Column::Kid)
        .one(db)
        .await
}

fn load(keys: &Keys, row: &signing_key::Model, now: i64) -> AppResult<ActiveKey> {
    let der = keys
        .open(&sealing_context(&row.kid), &row.private_key_enc)
        .map_err(|e| AppError::internal(format!("signing key {}: {e}", row.kid)))?;
    let unusable = |e: aws_lc_rs::error::KeyRejected| {
        AppError::internal(format!("signing key {}: {e}", row.kid))
    };
    let key = match row.alg.parse::<TokenAlg>().map_err(AppError::internal)? {
        TokenAlg::RS256 => PrivateKey::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(unusable)?),
        TokenAlg::EdDSA => PrivateKey::Ed25519(Ed25519KeyPair::from_pkcs8(&der).map_err(unusable)?),
        TokenAlg::HS256 => return Err(AppError::internal("HS256 keys are per client")),
    };
    Ok(ActiveKey {
        kid: row.kid.clone(),
        key,
        loaded_at: now,
    })
}

/// Generates and stores a new key for `alg`.
async fn generate(
    db: &impl ConnectionTrait,
    keys: &Keys,
    alg: TokenAlg,
    now: i64,
) -> AppResult<signing_key::Model> {
    let kid = random_token_of(12)?;
    let fail =
        |e: aws_lc_rs::error::Unspecified| AppError::internal(format!("key generation: {e}"));
    let (der, jwk) = match alg {
        TokenAlg::RS256 => {
            let pair = tokio::task::spawn_blocking(|| RsaKeyPair::generate(KeySize::Rsa2048))
                .await
                .map_err(|e| AppError::internal(format!("key generation task: {e}")))?
                .map_err(fail)?;
            let der = AsDer::<Pkcs8V1Der>::as_der(&pair)
                .map_err(fail)?
                .as_ref()
                .to_vec();
            let public = pair.public_key();
            let jwk = json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
                "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
            });
            (der, jwk)
        }
        TokenAlg::EdDSA => {
            let pair = Ed25519KeyPair::generate().map_err(fail)?;
            let der = AsDer::<Pkcs8V1Der>::as_der(&pair)
                .map_err(fail)?
                .as_ref()
                .to_vec();
            let jwk = json!({
                "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            });
            (der, jwk)
        }
        TokenAlg::HS256 => return Err(AppError::internal("HS256 keys are per client")),
    };
    let row = signing_key::ActiveModel {
        kid: Set(kid.clone()),
        alg: Set(alg.as_str().to_owned()),
        private_key_enc: Set(keys.seal(&sealing_context(&kid), &der)?),
        public_jwk: Set(jwk.to_string()),
        created_at: Set(now),
        retired_at: Set(None),
    }
    .insert(db)
    .await?;
    tracing::info!(%kid, alg = %alg, "generated a signing key");
    Ok(row)
}

/// Verifies an access JWT the way a client site would, from the server's
/// side: HS256 with the audience client's own secret, RS256/EdDSA with the
/// published key named by `kid`. Checks signature, issuer, expiry, and the
/// server's tag in `jti` (so a token an HS256 site signed itself is not
/// believed). `None` for anything that is not a valid access token of ours.
/// What the token may still be used for is the grant's to say
/// (`tokens::live_grant`), not the token's.
pub async fn verify_access_token(
    db: &impl ConnectionTrait,
    keys: &Keys,
    issuer: &str,
    token: &str,
    now: i64,
) -> AppResult<Option<(AccessClaims, client::Model)>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(None);
    };
    if header.typ.as_deref() != Some(Typ::Access.as_str()) {
        return Ok(None);
    }
    // The audience, unverified, only to find whose key to verify with.
    let Some(aud) = unverified_audience(token) else {
        return Ok(None);
    };
    let Some(client) = clients::find(db, &aud).await? else {
        return Ok(None);
    };
    let Ok(client_alg) = client.token_alg.parse::<TokenAlg>() else {
        return Ok(None);
    };
    if jwt_algorithm(client_alg) != header.alg {
        return Ok(None);
    }
    let key = match client_alg {
        TokenAlg::HS256 => match clients::jwt_secret(keys, &client)? {
            Some(secret) => jsonwebtoken::DecodingKey::from_secret(secret.as_bytes())
                .map_err(|e| AppError::internal(format!("HS256 key: {e}")))?,
            None => return Ok(None),
        },
        _ => {
            let Some(kid) = header.kid else {
                return Ok(None);
            };
            match published_key(db, &kid).await? {
                Some(key) => key,
                None => return Ok(None),
            }
        }
    };
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[&client.client_id]);
    validation.set_issuer(&[issuer]);
    // Expiry by the server's clock, below, not the library's.
    validation.validate_exp = false;
    let claims = match jsonwebtoken::decode::<AccessClaims>(token, &key, &validation) {
        Ok(data) if data.claims.exp > now && data.claims.minted_here(keys) => data.claims,
        _ => return Ok(None),
    };
    Ok(Some((claims, client)))
}

/// The public key of the server's signing key `kid`, as published, if
/// there is one and its JWK is usable.
async fn published_key(
    db: &impl ConnectionTrait,
    kid: &str,
) -> AppResult<Option<jsonwebtoken::DecodingKey>> {
    let Some(row) = signing_key::Entity::find_by_id(kid.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(
        serde_json::from_str::<jsonwebtoken::jwk::Jwk>(&row.public_jwk)
            .ok()
            .and_then(|jwk| jsonwebtoken::DecodingKey::from_jwk(&jwk).ok()),
    )
}

/// What an `id_token_hint` tells: whose id_token it was, for which client
/// and sign-in session.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct IdTokenHint {
    pub aud: String,
    pub sub: String,
    pub sid: Option<String>,
}

/// Verifies an id_token we issued (RS256, published key, our issuer),
/// accepting an expired one: RP-initiated logout hints are often old.
pub async fn verify_id_token_hint(
    db: &impl ConnectionTrait,
    issuer: &str,
    token: &str,
) -> AppResult<Option<IdTokenHint>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(None);
    };
    // An id_token, not an access token signed with the same key.
    let is_id_token = header.typ.as_deref() != Some(Typ::Access.as_str());
    let Some(kid) = header
        .kid
        .filter(|_| header.alg == Algorithm::RS256 && is_id_token)
    else {
        return Ok(None);
    };
    let Some(key) = published_key(db, &kid).await? else {
        return Ok(None);
    };
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    Ok(
        jsonwebtoken::decode::<IdTokenHint>(token, &key, &validation)
            .ok()
            .map(|data| data.claims),
    )
}

fn unverified_audience(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("aud")?.as_str().map(str::to_owned)
}

/// Retires the current RS256 and EdDSA keys: new tokens are signed with
/// fresh keys at once, while the retired ones stay in the JWKS until every
/// token they signed has expired. Returns the retired key ids.
async fn rotate_keys(db: &impl ConnectionTrait, now: i64) -> AppResult<Vec<String>> {
    let current = signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .all(db)
        .await?;
    signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(db)
        .await?;
    Ok(current.into_iter().map(|k| k.kid).collect())
}

/// The public keys to publish: every active key, and retired keys whose
/// tokens may still be valid.
pub async fn published_jwks(
    db: &impl ConnectionTrait,
    now: i64,
    max_token_ttl: i64,
) -> AppResult<Vec<serde_json::Value>> {
    let rows = signing_key::Entity::find()
        .filter(
            Condition::any()
                .add(signing_key::Column::RetiredAt.is_null())
                // Instances may sign with a key for up to KEY_CACHE_SECS after
                // it was retired elsewhere; its tokens live max_token_ttl more.
                .add(signing_key::Column::RetiredAt.gt(now - max_token_ttl - KEY_CACHE_SECS)),
        )
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            serde_json::from_str(&row.public_jwk)
                .map_err(|e| AppError::internal(format!("stored JWK {}: {e}", row.kid)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    fn round_trip(key: &PrivateKey, decoding: &DecodingKey) {
        let claims = serde_json::json!({"sub": "alice", "aud": "game", "exp": 4_000_000_000i64});
        let token = key.sign_jwt("kid-1", Typ::Access, &claims).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("kid-1"));
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let mut validation = Validation::new(key.algorithm());
        validation.set_audience(&["game"]);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(&token, decoding, &validation)
            .expect("verifies with the public key");
        assert_eq!(decoded.claims, claims);
        // Other claims under the same signature do not verify.
        let parts: Vec<&str> = token.split('.').collect();
        let other = base64_json(
            &serde_json::json!({"sub": "mallory", "aud": "game", "exp": 4_000_000_000i64}),
        )
        .unwrap();
        let forged = format!("{}.{other}.{}", parts[0], parts[2]);
        assert!(jsonwebtoken::decode::<serde_json::Value>(&forged, decoding, &validation).is_err());
    }

    #[test]
    fn rs256_and_eddsa_tokens_verify_with_the_public_key() {
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let public = rsa.public_key();
        let decoding = DecodingKey::from_rsa_raw_components(
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
        );
        let der = AsDer::<Pkcs8V1Der>::as_der(&rsa).unwrap();
        let key = PrivateKey::Rsa(RsaKeyPair::from_pkcs8(der.as_ref()).unwrap());
        round_trip(&key, &decoding);

        let ed = Ed25519KeyPair::generate().unwrap();
        let decoding = DecodingKey::from_ed_der(ed.public_key().as_ref());
        let der = AsDer::<Pkcs8V1Der>::as_der(&ed).unwrap();
        let key = PrivateKey::Ed25519(Ed25519KeyPair::from_pkcs8(der.as_ref()).unwrap());
        round_trip(&key, &decoding);
    }
}
