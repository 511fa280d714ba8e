//! The few cryptographic primitives the server uses, in one place, on aws-lc-rs.
//!
//! - random tokens (256 bits) and their SHA-256 hashes, which is all the
//!   database ever sees of a token: a fast hash is right for high-entropy
//!   secrets (it is passwords that need argon2);
//! - subkeys derived from `AUTH_SECRET_KEY`, one per purpose (device cookies,
//!   refresh-token successors, sealing);
//! - AES-256-GCM for the secrets the server must read back (per-client JWT
//!   secrets, private signing keys), bound to their row by associated data.

use aws_lc_rs::{aead, constant_time, digest, hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};

use crate::resources::TOKEN_BYTES;

/// Why a cryptographic operation could not be done. Neither has a
/// fallback: a secret drawn from a failed generator, or a secret left in
/// plain text because encryption failed, is worse than a refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the random number generator failed")]
    Random,
    #[error("encryption failed")]
    Seal,
}

/// `n` random bytes from aws-lc's CSPRNG (seeded by the operating system).
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut buf = vec![0u8; n];
    rand::fill(&mut buf).map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// A random URL-safe token of `bytes` random bytes (base64url, no padding).
pub fn random_token_of(bytes: usize) -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(bytes)?))
}

/// A random opaque token with 256 bits of entropy.
pub fn random_token() -> Result<String, CryptoError> {
    random_token_of(TOKEN_BYTES)
}

/// `bytes` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, CryptoError> {
    Ok(random_bytes(bytes)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A random UUID (v4) string: ids that are public but must not be guessable or sequential.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The stored form of a token: base64url(SHA-256(token)).
pub fn hash_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

/// base64url(SHA-256(data)), as PKCE S256 and `at_hash` want.
pub fn sha256_b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, data))
}

/// A strong HTTP validator for `body` (RFC 9110 §8.8.3): 132 bits of its
/// SHA-256, quoted.
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &sha256_b64url(body)[..22])
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    #[allow(deprecated)]
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Purpose-bound subkeys derived from the master secret.
pub struct Keys {
    successor: hmac::Key,
    family_start: hmac::Key,
    access_mac: hmac::Key,
    csrf: hmac::Key,
    device: hmac::Key,
    recovery: hmac::Key,
    user_code: hmac::Key,
    sealing: aead::LessSafeKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

/// Why sealed data could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("stored secret cannot be decrypted (was AUTH_SECRET_KEY changed?)")]
pub struct UnsealError;

impl Keys {
    /// Derives every subkey from `AUTH_SECRET_KEY`.
    pub fn derive(master: &SecretString) -> Keys {
        let root = hmac::Key::new(hmac::HMAC_SHA256, master.expose_secret().as_bytes());
        let sub = |purpose: &str| {
            let tag = hmac::sign(&root, format!("pattmayne-auth/{purpose}/v1").as_bytes());
            tag.as_ref().to_vec()
        };
        let seal_bytes = sub("seal");
        let sealing = aead::UnboundKey::new(&aead::AES_256_GCM, &seal_bytes)
            .map(aead::LessSafeKey::new)
            // 32 bytes is exactly AES-256's key size, so this cannot fail.
            .unwrap_or_else(|_| unreachable_key());
        Keys {
            successor: hmac::Key::new(hmac::HMAC_SHA256, &sub("refresh-successor")),
            family_start: hmac::Key::new(hmac::HMAC_SHA256, &sub("refresh-family-start")),
            access_mac: hmac::Key::new(hmac::HMAC_SHA256, &sub("access-token-mac")),
            csrf: hmac::Key::new(hmac::HMAC_SHA256, &sub("csrf-cookie")),
            device: hmac::Key::new(hmac::HMAC_SHA256, &sub("device")),
            recovery: hmac::Key::new(hmac::HMAC_SHA256, &sub("recovery-code")),
            user_code: hmac::Key::new(hmac::HMAC_SHA256, &sub("user-code-tag")),
            sealing,
        }
    }

    /// The successor of a refresh token: a keyed hash of it. Deterministic,
    /// so a retried or concurrent refresh within the grace window gets the
    /// very same successor without the server storing it in plain text.
    pub fn refresh_successor(&self, token: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.successor, token.as_bytes()))
    }

    /// The secret of a token family's first token: a keyed hash of the
    /// family id. The server can recompute a family's live token from its
    /// row (first token, then `generation` successors), so racing code
    /// exchanges of one session can all be answered with the same family
    /// without any token stored in plain text. Knowing a family id is not
    /// enough: the key is needed too, and whoever holds the key and the
    /// database can already decrypt the signing keys.
    pub fn refresh_family_start(&self, family_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.family_start, family_id.as_bytes()))
    }

    /// A tag over an access token's claims, carried in its `jti`, by which
    /// the server knows a token it minted from one a client site signed
    /// with its own HS256 secret. 128 bits.
    pub fn access_token_tag(&self, claims: &[&str]) -> String {
        let mut ctx = hmac::Context::with_key(&self.access_mac);
        for claim in claims {
            ctx.update(&(claim.len() as u64).to_be_bytes());
            ctx.update(claim.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(&ctx.sign().as_ref()[..16])
    }

    /// The CSRF token bound to an anonymous visitor's CSRF cookie.
    pub fn csrf_token(&self, cookie: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.csrf, cookie.as_bytes()))
    }

    /// The stored form of a recovery code: a keyed hash bound to its
    /// account, so a copy of the database alone cannot test guesses.
    pub fn recovery_code_tag(&self, user_id: &str, code: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.recovery);
        ctx.update(user_id.as_bytes());
        ctx.update(b"\0");
        ctx.update(code.as_bytes());
        URL_SAFE_NO_PAD.encode(ctx.sign())
    }

    /// The stored form of a device grant's user code (RFC 8628): a keyed
    /// hash, since a user code has only about 35 bits and a plain hash of
    /// it would fall to a search the moment the database leaked.
    pub fn user_code_tag(&self, code: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.user_code, code.as_bytes()))
    }

    /// Signs a device cookie payload.
    pub fn device_mac(&self, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.device, data))
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. the row it belongs to).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, CryptoError> {
        let nonce_bytes = random_bytes(aead::NONCE_LEN)?;
        let nonce =
            aead::Nonce::try_assume_unique_for_key(&nonce_bytes).map_err(|_| CryptoError::Seal)?;
        let mut in_out = plaintext.to_vec();
        self.sealing
            .seal_in_place_append_tag(nonce, aead::Aad::from(context.as_bytes()), &mut in_out)
            .map_err(|_| CryptoError::Seal)?;
        let mut out = nonce_bytes;
        out.extend_from_slice(&in_out);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what [`Keys::seal`] produced for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, UnsealError> {
        let raw = STANDARD.decode(sealed).map_err(|_| UnsealError)?;
        if raw.len() < aead::NONCE_LEN {
            return Err(UnsealError);
        }
        let (nonce_bytes, ciphertext) = raw.split_at(aead::NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce_bytes).map_err(|_| UnsealError)?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .sealing
            .open_in_place(nonce, aead::Aad::from(context.as_bytes()), &mut in_out)
            .map_err(|_| UnsealError)?;
        Ok(plain.to_vec())
    }
}

#[cold]
fn unreachable_key() -> aead::LessSafeKey {
    // Only reachable if AES_256_GCM stopped taking 32-byte keys.
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> Keys {
        Keys::derive(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn sealed_secret_opens_only_with_same_key_and_context() {
        let k = keys(&"a".repeat(40));
        let sealed = k.seal("client:abc", b"jwt secret").unwrap();
        assert_eq!(k.open("client:abc", &sealed).unwrap(), b"jwt secret");
        assert!(k.open("client:other", &sealed).is_err());
        assert!(keys(&"b".repeat(40)).open("client:abc", &sealed).is_err());
        assert!(!sealed.contains("jwt secret"));
    }

    #[test]
    fn successor_is_deterministic_and_key_bound() {
        let k = keys(&"a".repeat(40));
        assert_eq!(k.refresh_successor("t1"), k.refresh_successor("t1"));
        assert_ne!(k.refresh_successor("t1"), k.refresh_successor("t2"));
        assert_ne!(
            k.refresh_successor("t1"),
            keys(&"b".repeat(40)).refresh_successor("t1")
        );
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token().unwrap());
        assert_ne!(hash_token(&a), a);
    }
}
