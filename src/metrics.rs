//! Process-local counters, exposed in the Prometheus text format at `/metrics`.
//!
//! Each instance counts what it served; Prometheus sums across instances.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counters. Add a field and a line in [`Metrics::render`] to add one.
#[derive(Debug, Default)]
pub struct Metrics {
    pub http_2xx: AtomicU64,
    pub http_3xx: AtomicU64,
    pub http_4xx: AtomicU64,
    pub http_5xx: AtomicU64,
    pub logins_succeeded: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_refused_suspended: AtomicU64,
    pub ip_suspensions: AtomicU64,
    pub registrations: AtomicU64,
    pub codes_issued: AtomicU64,
    pub tokens_from_code: AtomicU64,
    pub tokens_from_refresh: AtomicU64,
    pub tokens_from_device_code: AtomicU64,
    pub refresh_reuse_detected: AtomicU64,
    pub client_auth_failures: AtomicU64,
    pub mails_sent: AtomicU64,
    pub mail_failures: AtomicU64,
    pub logouts_sent: AtomicU64,
    pub logout_failures: AtomicU64,
}

/// Adds one to a counter.
pub fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// Counts a response by its status class.
    pub fn record_status(&self, status: u16) {
        let counter = match status {
            200..=299 => &self.http_2xx,
            300..=399 => &self.http_3xx,
            400..=499 => &self.http_4xx,
            _ => &self.http_5xx,
        };
        inc(counter);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut family = |name: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, value) in rows {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        family(
            "pattmayne_http_responses_total",
            "HTTP responses by status class.",
            &[
                ("{class=\"2xx\"}", get(&self.http_2xx)),
                ("{class=\"3xx\"}", get(&self.http_3xx)),
                ("{class=\"4xx\"}", get(&self.http_4xx)),
                ("{class=\"5xx\"}", get(&self.http_5xx)),
            ],
        );
        family(
            "pattmayne_logins_total",
            "Sign-in attempts by outcome.",
            &[
                ("{result=\"success\"}", get(&self.logins_succeeded)),
                ("{result=\"failure\"}", get(&self.logins_failed)),
                (
                    "{result=\"suspended\"}",
                    get(&self.logins_refused_suspended),
                ),
            ],
        );
        family(
            "pattmayne_ip_suspensions_total",
            "IP addresses suspended.",
            &[("", get(&self.ip_suspensions))],
        );
        family(
            "pattmayne_registrations_total",
            "Accounts created at /register.",
            &[("", get(&self.registrations))],
        );
        family(
            "pattmayne_mails_total",
            "Mail delivery attempts by outcome.",
            &[
                ("{result=\"sent\"}", get(&self.mails_sent)),
                ("{result=\"failed\"}", get(&self.mail_failures)),
            ],
        );
        family(
            "pattmayne_backchannel_logouts_total",
            "Back-channel logout deliveries to client sites by outcome.",
            &[
                ("{result=\"sent\"}", get(&self.logouts_sent)),
                ("{result=\"failed\"}", get(&self.logout_failures)),
            ],
        );
        family(
            "pattmayne_authorization_codes_total",
            "Authorization codes issued.",
            &[("", get(&self.codes_issued))],
        );
        family(
            "pattmayne_token_grants_total",
            "Successful token grants by grant type.",
            &[
                (
                    "{grant=\"authorization_code\"}",
                    get(&self.tokens_from_code),
                ),
                ("{grant=\"refresh_token\"}", get(&self.tokens_from_refresh)),
                (
                    "{grant=\"device_code\"}",
                    get(&self.tokens_from_device_code),
                ),
            ],
        );
        family(
            "pattmayne_refresh_reuse_detected_total",
            "Rotated refresh tokens presented after the grace window (families revoked).",
            &[("", get(&self.refresh_reuse_detected))],
        );
        family(
            "pattmayne_client_auth_failures_total",
            "Failed client authentications at the API.",
            &[("", get(&self.client_auth_failures))],
        );
        out
    }
}
