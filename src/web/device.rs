//! The device cookie: proof that this browser signed in to an account before.
//! It exempts the browser from the per-account throttle, so that someone
//! guessing at an account cannot lock its owner out (OWASP, "Slow Down Online
//! Guessing Attacks with Device Cookies"). Signed, not stored.

use axum::http::{HeaderMap, HeaderValue};

use crate::crypto::{Keys, constant_time_eq};
use crate::resources::{DEVICE_COOKIE_TTL_SECS, cookies};

/// The `Set-Cookie` header for a device cookie naming `user_id`.
pub fn set_cookie(keys: &Keys, user_id: &str, now: i64, secure: bool) -> Option<HeaderValue> {
    let payload = format!("{user_id}.{now}");
    let mac = keys.device_mac(payload.as_bytes());
    let cookie = tower_sessions::cookie::Cookie::build((
        cookies::named(cookies::DEVICE, secure),
        format!("{payload}.{mac}"),
    ))
    .path("/")
    .http_only(true)
    .secure(secure)
    .same_site(tower_sessions::cookie::SameSite::Lax)
    .max_age(time::Duration::seconds(DEVICE_COOKIE_TTL_SECS))
    .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// The account a valid, unexpired device cookie on this request names.
pub fn user_id(headers: &HeaderMap, keys: &Keys, now: i64, https: bool) -> Option<String> {
    let name = cookies::named(cookies::DEVICE, https);
    let value = crate::http::forms::cookie_value(headers, name)?;
    let (payload, mac) = value.rsplit_once('.')?;
    if !constant_time_eq(
        keys.device_mac(payload.as_bytes()).as_bytes(),
        mac.as_bytes(),
    ) {
        return None;
    }
    let (user_id, issued) = payload.rsplit_once('.')?;
    let issued: i64 = issued.parse().ok()?;
    (now - issued < DEVICE_COOKIE_TTL_SECS).then(|| user_id.to_owned())
}
