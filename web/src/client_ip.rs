//! Who is on the other end: the TCP peer, or the client a trusted reverse proxy names in
//! `X-Forwarded-For`, read from the right.
//!
//! Each proxy appends the address that connected to it, so only the right end of the header
//! is written by parties we trust. Walking from the peer leftwards, every address inside
//! `http.trusted_proxies` is skipped; the first one outside is the client. A client can put
//! anything at the left end of the header, so the left end is never believed while a trusted
//! hop remains. An unparseable entry reached on that walk means the chain cannot be trusted:
//! the client is unknown (`None`), which the legacy shim refuses.

use ipnet::IpNet;
use poem::web::RemoteAddr;
use poem::{Endpoint, Middleware, Request};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The client's address as the server believes it, put into every request's extensions by
/// [`ClientIpLayer`]. `None` when it cannot be known (not TCP, or a broken proxy chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address of a request that went through [`ClientIpLayer`].
    pub fn of(req: &Request) -> ClientIp {
        req.extensions()
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(None))
    }

    /// The address as text for logs and limiter keys (`?` when unknown).
    pub fn label(&self) -> String {
        self.0.map_or_else(|| "?".to_string(), |ip| ip.to_string())
    }
}

/// `::ffff:a.b.c.d` → `a.b.c.d`, the form the legacy bindings are stored and compared in.
pub use backend::legacy::canonical;

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_entry(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(canonical)
}

/// The client behind `peer`, given every `X-Forwarded-For` header value in order.
pub fn resolve<'a>(
    peer: Option<IpAddr>,
    forwarded: impl IntoIterator<Item = &'a str>,
    proxies: &[IpNet],
) -> Option<IpAddr> {
    let mut current = canonical(peer?);
    let trusted = |ip: &IpAddr| proxies.iter().any(|n| n.contains(ip));
    if !trusted(&current) {
        return Some(current);
    }
    let entries: Vec<&str> = forwarded
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter(|e| !e.trim().is_empty())
        .collect();
    for entry in entries.iter().rev() {
        current = parse_entry(entry)?;
        if !trusted(&current) {
            return Some(current);
        }
    }
    // Every hop is a trusted proxy: the leftmost one is as far as anyone can tell.
    Some(current)
}

/// Middleware that resolves [`ClientIp`] once per request.
#[derive(Debug, Clone)]
pub struct ClientIpLayer {
    proxies: Arc<Vec<IpNet>>,
}

impl ClientIpLayer {
    /// Believes `X-Forwarded-For` only from `proxies`.
    pub fn new(proxies: Vec<IpNet>) -> ClientIpLayer {
        ClientIpLayer {
            proxies: Arc::new(proxies),
        }
    }
}

impl<E: Endpoint> Middleware<E> for ClientIpLayer {
    type Output = ClientIpEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ClientIpEndpoint {
            inner,
            proxies: self.proxies.clone(),
        }
    }
}

/// The endpoint [`ClientIpLayer`] wraps.
#[derive(Debug)]
pub struct ClientIpEndpoint<E> {
    inner: E,
    proxies: Arc<Vec<IpNet>>,
}

impl<E: Endpoint> Endpoint for ClientIpEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let peer = match req.remote_addr() {
            RemoteAddr(poem::Addr::SocketAddr(a)) => Some(a.ip()),
            _ => None,
        };
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let ip = resolve(peer, forwarded, &self.proxies);
        req.extensions_mut().insert(ClientIp(ip));
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(v: &[&str]) -> Vec<IpNet> {
        v.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let p = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("203.0.113.9"), ["192.168.1.5"], &p),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forged_left_entries_are_skipped_from_the_right() {
        let p = nets(&["10.0.0.0/8"]);
        // The attacker sent "192.168.1.5"; the trusted proxy appended the real address.
        assert_eq!(
            resolve(ip("10.0.0.2"), ["192.168.1.5, 203.0.113.9"], &p),
            ip("203.0.113.9")
        );
        // Two trusted hops, headers split over two lines.
        assert_eq!(
            resolve(
                ip("10.0.0.2"),
                ["192.168.1.5, 198.51.100.7", "10.0.0.3"],
                &p
            ),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ports_brackets_and_mapped_addresses() {
        let p = nets(&["127.0.0.0/8"]);
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), ["198.51.100.7:4711"], &p),
            ip("198.51.100.7")
        );
        assert_eq!(
            resolve(ip("127.0.0.1"), ["[2001:db8::1]:80"], &p),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn garbage_on_the_trusted_walk_means_unknown() {
        let p = nets(&["127.0.0.0/8"]);
        assert_eq!(resolve(ip("127.0.0.1"), ["10.0.0.1, not-an-ip"], &p), None);
        // Garbage left of the client does not matter.
        assert_eq!(
            resolve(ip("127.0.0.1"), ["junk, 198.51.100.7"], &p),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn no_header_from_a_proxy_means_the_proxy() {
        let p = nets(&["127.0.0.0/8"]);
        assert_eq!(resolve(ip("127.0.0.1"), [], &p), ip("127.0.0.1"));
        assert_eq!(resolve(ip("127.0.0.1"), ["127.0.0.5"], &p), ip("127.0.0.5"));
        assert_eq!(resolve(None, ["1.2.3.4"], &p), None);
    }
}
