//! The client's IP address: the socket peer, unless the peer is a trusted
//! reverse proxy (`AUTH_TRUSTED_PROXIES`), in which case the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// Who is asking, as far as the network can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The address as stored (IPv4-mapped IPv6 folded to IPv4).
    pub fn key(&self) -> String {
        self.0.to_canonical().to_string()
    }

    /// The key failed attempts are counted and suspended under: an IPv4
    /// address alone, an IPv6 address with its whole network of
    /// `v6_prefix_len` bits (`2001:db8:1:2::/64`), since one subscriber
    /// holds a whole /64 and could rotate through its addresses.
    pub fn throttle_key(&self, v6_prefix_len: u8) -> String {
        crate::domain::throttle::address_key(self.0, v6_prefix_len)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical())
            .ok_or_else(|| AppError::internal("no peer address on the request"))?;
        Ok(ClientIp(resolve(peer, &parts.headers, &state.config)))
    }
}

/// Applies the trusted-proxy rule to a peer address and the request headers.
pub fn resolve(peer: IpAddr, headers: &axum::http::HeaderMap, config: &Config) -> IpAddr {
    if !config.is_trusted_proxy(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect();
    // Walk back from the hop our own proxy appended; the first address that
    // is not one of our proxies is the client. Anything further left was
    // written by the client and proves nothing.
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if config.is_trusted_proxy(ip.to_canonical()) => continue,
            Ok(ip) => return ip.to_canonical(),
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_per_network_and_ipv4_alone() {
        let key = |ip: &str, len| ClientIp(ip.parse().unwrap()).throttle_key(len);
        assert_eq!(key("2001:db8:1:2::1", 64), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3", 64), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1", 64), key("2001:db8:1:2::1", 64));
        assert_eq!(key("2001:db8:1:2::1", 48), "2001:db8:1::/48");
        assert_eq!(key("2001:db8::1", 128), "2001:db8::1");
        assert_eq!(key("192.0.2.7", 64), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7", 64), "192.0.2.7");
    }
}
