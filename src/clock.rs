//! Time as Unix seconds, the unit every stored time uses.
//!
//! Domain functions that decide expiry take `now: i64` as an argument;
//! handlers read it from the [`Clock`] in `AppState`, which is the system
//! clock in the server and a hand-moved one in tests, so no test has to
//! sleep to make time pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, by the system clock.
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The server's idea of now: the system clock, or (in tests) a manual one
/// that stands still until it is moved. Cheap to clone; clones share the time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { manual: None }
    }

    /// A clock that reads `start` until it is moved with [`Clock::advance`].
    pub fn manual(start: i64) -> Self {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(start))),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => system_now(),
        }
    }

    /// Moves a manual clock forward by `secs`. Returns whether it moved: the
    /// system clock cannot be moved, so a test that tries learns it at once.
    pub fn advance(&self, secs: i64) -> bool {
        match &self.manual {
            Some(t) => {
                t.fetch_add(secs, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

/// A Unix time formatted for people: `2026-11-29 05:39 UTC`.
pub fn format_utc(ts: i64) -> String {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// A duration for people: `45 seconds`, `12 minutes`, `3 hours`, `2 days`.
pub fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (n, unit) = match secs {
        0..=89 => (secs, "second"),
        90..=5399 => ((secs + 30) / 60, "minute"),
        5400..=129_599 => ((secs + 1800) / 3600, "hour"),
        _ => ((secs + 43_200) / 86_400, "day"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_clones_share_it() {
        let clock = Clock::manual(1_000);
        let clone = clock.clone();
        assert_eq!(clock.now(), 1_000);
        assert!(clone.advance(30));
        assert_eq!(clock.now(), 1_030);
        assert!(!Clock::system().advance(30));
        assert!(Clock::system().now() > 1_700_000_000);
    }

    #[test]
    fn formats_times_for_people() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_duration(1), "1 second");
        assert_eq!(format_duration(900), "15 minutes");
        assert_eq!(format_duration(7200), "2 hours");
        assert_eq!(format_duration(3 * 86_400), "3 days");
    }
}
