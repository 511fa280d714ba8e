//! Password hashing with argon2id, off the async runtime and bounded.
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU, so hashing runs on
//! the blocking pool behind a semaphore: a login flood queues instead of
//! exhausting memory or starving the request-serving threads. An unknown
//! account is checked against a dummy hash so that timing and answers are the
//! same whether or not the account exists. A verification reuses the
//! working memory of the one before ([`WorkingMemory`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    memory: Arc<WorkingMemory>,
}

impl Passwords {
    pub fn new(params: Argon2Params, max_concurrent: usize) -> Self {
        Passwords {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: Arc::new(OnceCell::new()),
            computed: Arc::default(),
            memory: Arc::default(),
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
        let memory = Arc::clone(&self.memory);
        let matches = self
            .blocking(move || Ok(matches(password.expose_secret().as_bytes(), &hash, &memory)))
            .await;
        self.memory.release_when_idle();
        Ok(matches? && real)
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

/// Whether `password` hashes to `stored`, a PHC string, under the stored
/// algorithm, version, parameters and salt: what argon2's `verify_password`
/// does, in memory that is reused. A stored hash that cannot be used (none
/// the server writes) matches nothing, as it did with `verify_password`, and
/// is logged.
fn matches(password: &[u8], stored: &str, memory: &WorkingMemory) -> bool {
    match try_matches(password, stored, memory) {
        Ok(matches) => matches,
        Err(err) => {
            tracing::warn!(error = %err, "stored password hash unusable");
            false
        }
    }
}

fn try_matches(
    password: &[u8],
    stored: &str,
    memory: &WorkingMemory,
) -> Result<bool, argon2::password_hash::Error> {
    use argon2::password_hash::Error;
    let stored = PasswordHash::new(stored)?;
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return Err(Error::PasswordInvalid);
    };
    let algorithm = Algorithm::try_from(stored.algorithm.as_str())?;
    let version = match stored.version {
        Some(v) => Version::try_from(v)?,
        None => Version::default(),
    };
    let params = Params::try_from(&stored)?;
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..expected.len()).ok_or(Error::OutputSize)?;
    let mut working = memory.take(params.block_count());
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt,
        out,
        &mut working,
    );
    // Nothing derived from the password outlives the verification (before,
    // the freed block went back to the OS): zeroing is ~1 ms of the ~11 ms
    // that faulting in fresh memory cost.
    working.fill(Block::default());
    memory.give_back(working);
    computed?;
    // Output's equality is constant-time.
    Ok(Output::new(out)? == *expected)
}

/// Argon2's working memory (19 MiB at the default cost), kept from one
/// verification to the next. Allocated afresh, every 4 KiB of it is a page
/// fault and a page the kernel zeroes: about a third of a verification's
/// time (sign-ins 60–63 → 90–101/s on 2 cores, docs/benchmarks.md). The semaphore bounds the blocks in use to one per hashing slot, and
/// once sign-ins pause for [`WorkingMemory::IDLE`] the blocks are freed and
/// go back to the OS.
#[derive(Default)]
struct WorkingMemory {
    free: Mutex<Vec<Vec<Block>>>,
    returned: AtomicU64,
}

impl WorkingMemory {
    const IDLE: Duration = Duration::from_secs(2);

    fn take(&self, blocks: usize) -> Vec<Block> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        match reused {
            Some(memory) if memory.len() >= blocks => memory,
            _ => vec![Block::default(); blocks],
        }
    }

    fn give_back(&self, memory: Vec<Block>) {
        if let Ok(mut free) = self.free.lock() {
            free.push(memory);
        }
        self.returned.fetch_add(1, Ordering::Relaxed);
    }

    /// Frees the kept blocks if nothing was given back for [`Self::IDLE`].
    fn release_when_idle(self: &Arc<Self>) {
        let seen = self.returned.load(Ordering::Relaxed);
        let deadline = tokio::time::Instant::now() + Self::IDLE;
        let memory = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            if memory.returned.load(Ordering::Relaxed) == seen {
                let kept = memory
                    .free
                    .lock()
                    .map(|mut free| std::mem::take(&mut *free));
                drop(kept);
            }
        });
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().map_or(0, |free| free.len())
    }

    #[cfg(test)]
    fn kept_is_zeroed(&self) -> bool {
        self.free.lock().is_ok_and(|free| {
            free.iter()
                .flatten()
                .all(|block| block.as_ref().iter().all(|&word| word == 0))
        })
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

    /// Hashes made by argon2 itself under other algorithms, versions and
    /// costs (older accounts, a changed `AUTH_ARGON2_*`) verify as argon2's
    /// own `verify_password` says, through one reused working memory that
    /// must grow for the bigger costs.
    #[tokio::test]
    async fn reused_memory_verifies_as_argon2_does() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let p = cheap();
        let pw = SecretString::from("correct horse".to_owned());
        let wrong = SecretString::from("correct horsf".to_owned());
        let variants = [
            (Algorithm::Argon2id, Version::V0x13, 1024, 1, 1),
            (Algorithm::Argon2id, Version::V0x13, 64, 3, 1),
            (Algorithm::Argon2id, Version::V0x13, 2048, 1, 2),
            (Algorithm::Argon2i, Version::V0x13, 256, 2, 1),
            (Algorithm::Argon2d, Version::V0x10, 512, 1, 1),
            (Algorithm::Argon2id, Version::V0x13, 128, 1, 1),
        ];
        for (algorithm, version, m, t, lanes) in variants {
            let params = Params::new(m, t, lanes, Some(24)).unwrap();
            let argon2 = Argon2::new(algorithm, version, params);
            let hash = argon2.hash_password(b"correct horse").unwrap().to_string();
            for (candidate, expected) in [(&pw, true), (&wrong, false)] {
                let theirs = argon2
                    .verify_password(candidate.expose_secret().as_bytes(), hash.as_str())
                    .is_ok();
                assert_eq!(theirs, expected, "{hash}");
                assert_eq!(
                    p.verify(candidate, Some(&hash)).await.unwrap(),
                    expected,
                    "{hash}"
                );
            }
        }
        // One at a time: one block of memory kept, big enough for the most,
        // and nothing of the last verification left in it.
        assert_eq!(p.memory.kept(), 1);
        assert!(p.memory.kept_is_zeroed());
    }

    #[tokio::test]
    async fn unusable_stored_hash_matches_nothing() {
        let p = cheap();
        let pw = SecretString::from("anything".to_owned());
        let good = p.hash(&pw).await.unwrap();
        let no_output = good.rsplit_once('$').unwrap().0.to_owned();
        for stored in [
            "",
            "garbage",
            "$argon2id$v=19$m=8,t=1,p=1",
            &no_output,
            "$scrypt$ln=4$c2FsdHNhbHQ$aGFzaA",
        ] {
            assert!(!p.verify(&pw, Some(stored)).await.unwrap(), "{stored:?}");
        }
        assert!(p.verify(&pw, Some(&good)).await.unwrap());
    }

    /// A flood keeps no more blocks of memory than there are hashing slots.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn kept_memory_is_bounded_by_the_hashing_slots() {
        let p = cheap();
        let pw = SecretString::from("correct horse".to_owned());
        let hash = p.hash(&pw).await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(16));
        let flood: Vec<_> = (0..16)
            .map(|_| {
                let (p, pw, hash, barrier) = (p.clone(), pw.clone(), hash.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    p.verify(&pw, Some(&hash)).await.unwrap()
                })
            })
            .collect();
        for verification in flood {
            assert!(verification.await.unwrap());
        }
        let kept = p.memory.kept();
        assert!((1..=2).contains(&kept), "{kept} blocks kept for 2 slots");
    }

    /// The kept memory is freed once nothing was given back for IDLE, and
    /// not while verifications go on.
    #[tokio::test(start_paused = true)]
    async fn kept_memory_is_freed_when_sign_ins_pause() {
        let memory = Arc::new(WorkingMemory::default());
        let settle = || async {
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        };
        memory.give_back(memory.take(8));
        memory.release_when_idle();
        tokio::time::advance(WorkingMemory::IDLE / 2).await;
        memory.give_back(memory.take(8));
        memory.release_when_idle();
        tokio::time::advance(WorkingMemory::IDLE / 2 + Duration::from_millis(1)).await;
        settle().await;
        assert_eq!(memory.kept(), 1, "freed while still in use");
        tokio::time::advance(WorkingMemory::IDLE / 2).await;
        settle().await;
        assert_eq!(memory.kept(), 0, "kept after an idle pause");
        // The next verification allocates afresh.
        assert_eq!(memory.take(8).len(), 8);
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
