//! Sessions the site heard have ended (back-channel logout): their access
//! JWTs are refused until they would have expired anyway.

use std::collections::HashMap;
use std::sync::Mutex;

/// Where a site keeps the sessions (`sid`s) it was told have ended. The
/// default, [`InMemoryRevocations`], serves one process; a site running
/// several instances implements this over what they share (Redis, its
/// database), so that a notice heard by one instance is seen by all.
///
/// `is_revoked` is asked on every signed-in request: keep it fast, and
/// answer `true` when the store cannot be read (fail closed).
#[async_trait::async_trait]
pub trait RevokedSessions: Send + Sync + 'static {
    /// Records that session `sid` ended at `now`; it may be forgotten after
    /// `until`.
    async fn revoke(&self, sid: &str, now: i64, until: i64);
    /// Whether session `sid` ended (and is not yet forgotten) at `now`.
    async fn is_revoked(&self, sid: &str, now: i64) -> bool;
}

/// Ended sessions in this process's memory, forgotten once their tokens
/// would have expired.
#[derive(Debug, Default)]
pub struct InMemoryRevocations {
    until: Mutex<HashMap<String, i64>>,
}

#[async_trait::async_trait]
impl RevokedSessions for InMemoryRevocations {
    async fn revoke(&self, sid: &str, now: i64, until: i64) {
        if let Ok(mut map) = self.until.lock() {
            map.retain(|_, forget_at| *forget_at > now);
            map.insert(sid.to_owned(), until);
        }
    }

    async fn is_revoked(&self, sid: &str, now: i64) -> bool {
        match self.until.lock() {
            Ok(map) => map.get(sid).is_some_and(|forget_at| *forget_at > now),
            // A poisoned lock: fail closed.
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_revoked_session_stays_refused_until_forgotten() {
        let store = InMemoryRevocations::default();
        assert!(!store.is_revoked("s1", 100).await);
        store.revoke("s1", 100, 200).await;
        assert!(store.is_revoked("s1", 100).await);
        assert!(store.is_revoked("s1", 199).await);
        assert!(!store.is_revoked("s2", 150).await);
        assert!(!store.is_revoked("s1", 200).await);
        // Old entries are swept as new ones arrive.
        store.revoke("s2", 300, 400).await;
        assert_eq!(store.until.lock().unwrap().len(), 1);
    }
}
