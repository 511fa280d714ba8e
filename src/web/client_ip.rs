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
