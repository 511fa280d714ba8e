//! Password hashing with argon2id, off the async runtime and bounded.
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU, so hashing runs on
//! the blocking pool behind a semaphore: a login flood queues instead of
//! exhausting memory or starving the request-serving threads. An unknown
//! account is checked against a dummy hash so that timing and answers are the
//! same whether or not the account exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::Argon2Params;
use crate::error::{AppError, AppResult};

/// The password hasher shared by all requests.
#[derive(Clone)]
pub struct Passwords {
    params: Argon2Params,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<OnceCell<String>>,
    computed: Arc<AtomicU64>,
}

impl Passwords {
    pub fn new(params: Argon2Params, max_concurrent: usize) -> Self {
        Passwords {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: Arc::new(OnceCell::new()),
            computed: Arc::default(),
        }
    }

    /// How many argon2 computations (hashes and verifications) ran so far:
    /// the work a flood of requests managed to queue.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// Hashes a new password into a PHC string (salt and parameters included).
    #[tracing::instrument(skip_all)]
    pub async fn hash(&self, password: &SecretString) -> AppResult<String> {
        let params = self.params;
        let password = password.clone();
        self.blocking(move || {
            hasher(params)?
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(format!("argon2 hash: {e}")))
        })
        .await
    }

    /// Checks a password against a stored hash, or against a dummy hash when
    /// there is no account, so both cases cost the same.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> AppResult<bool> {
        let (hash, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let password = password.clone();
        let matches = self
            .blocking(move || {
                Ok(Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(matches && real)
    }

    async fn dummy_hash(&self) -> AppResult<String> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let random = SecretString::from(crate::crypto::random_token()?);
                self.hash(&random).await
            })
            .await
            .cloned()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::internal("password hasher closed"))?;
        self.computed.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::internal(format!("password task: {e}")))?
    }
}

fn hasher(p: Argon2Params) -> AppResult<Argon2<'static>> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| AppError::internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(
            Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
    }

    #[tokio::test]
    async fn hash_verifies_and_is_argon2id() {
        let p = cheap();
        let pw = SecretString::from("correct horse".to_owned());
        let hash = p.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(p.verify(&pw, Some(&hash)).await.unwrap());
        let wrong = SecretString::from("wrong horse".to_owned());
        assert!(!p.verify(&wrong, Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let p = cheap();
        let pw = SecretString::from("anything".to_owned());
        assert!(!p.verify(&pw, None).await.unwrap());
    }

    #[test]
    fn owasp_parameters_are_the_default() {
        assert_eq!(
            Argon2Params::default(),
            Argon2Params {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
    }
}
