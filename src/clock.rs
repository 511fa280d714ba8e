//! Wall-clock time as Unix seconds, the unit every stored time uses.
//!
//! Domain functions that decide expiry take `now: i64` as an argument so
//! tests can move the clock; only handlers call [`now`].

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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
    fn formats_times_for_people() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_duration(1), "1 second");
        assert_eq!(format_duration(900), "15 minutes");
        assert_eq!(format_duration(7200), "2 hours");
        assert_eq!(format_duration(3 * 86_400), "3 days");
    }
}
