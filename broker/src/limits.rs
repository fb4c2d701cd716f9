//! Connection admission of the embedded broker: per-IP connection counts, token-bucket
//! connection rates (per source and in total), the CONNECT deadline, and TLS.
//!
//! rumqttd calls [`Gate`] (its `Admission` hook, a vendored patch) for every accepted
//! socket before reading anything, and again, in the connection's own task, to set up the
//! transport. All listeners share one [`Shared`], so the per-IP count spans them.
//!
//! The rates are a hand-written token bucket rather than the `governor` crate: the buckets
//! live in the same map and lock as the per-IP counts, idle ones are pruned there (governor's
//! keyed limiter needs its own `retain_recent` housekeeping and brings dashmap and quanta),
//! and tests can reason about it exactly.

use crate::stats::{Refusal, Stats};
use rumqttd::limits::{Admission, OpenFuture, Stream, Ticket};
use settings::MqttSettings;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::TlsAcceptor;

/// Buckets are pruned (idle ones dropped) when the map grows past this.
const PRUNE_AT: usize = 4096;

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(burst: u32, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(burst),
            last: now,
        }
    }

    fn refill(&mut self, rate: u32, burst: u32, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * f64::from(rate)).min(f64::from(burst));
        self.last = now;
    }

    fn take(&mut self, rate: u32, burst: u32, now: Instant) -> bool {
        self.refill(rate, burst, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn is_full(&self, rate: u32, burst: u32, now: Instant) -> bool {
        let mut b = *self;
        b.refill(rate, burst, now);
        b.tokens >= f64::from(burst)
    }
}

struct State {
    open: HashMap<IpAddr, usize>,
    buckets: HashMap<IpAddr, Bucket>,
    total: Bucket,
}

/// Limits and counters shared by every listener of one broker.
pub(crate) struct Shared {
    max_per_ip: usize,
    rate_ip: (u32, u32),
    rate_total: (u32, u32),
    exempt: Vec<ipnet::IpNet>,
    connect_timeout: Duration,
    state: Mutex<State>,
    stats: Arc<Stats>,
}

/// The key a source is counted under: IPv4 as is, IPv6 by its /64 (one host usually has a
/// whole /64), IPv4-mapped IPv6 as IPv4.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

impl Shared {
    pub(crate) fn new(s: &MqttSettings, stats: Arc<Stats>) -> Arc<Shared> {
        let l = &s.limits;
        let now = Instant::now();
        Arc::new(Shared {
            max_per_ip: l.max_connections_per_ip,
            rate_ip: (l.connection_rate_per_ip, l.connection_burst_per_ip),
            rate_total: (l.connection_rate_total, l.connection_burst_total),
            exempt: l.exempt(),
            connect_timeout: s.connection_timeout,
            state: Mutex::new(State {
                open: HashMap::new(),
                buckets: HashMap::new(),
                total: Bucket::full(l.connection_burst_total, now),
            }),
            stats,
        })
    }

    /// Admits a new socket from `peer` or says which limit refuses it.
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Option<Slot>, Refusal> {
        if self.exempt.iter().any(|n| n.contains(&peer.to_canonical())) {
            return Ok(None);
        }
        let key = source_key(peer);
        let now = Instant::now();
        // A poisoned lock only means another connection's admission panicked; the maps are
        // still consistent (every update is a single insert or decrement).
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.open.get(&key).copied().unwrap_or(0) >= self.max_per_ip {
            return Err(Refusal::PerIp);
        }
        let (rate, burst) = self.rate_ip;
        if st.buckets.len() >= PRUNE_AT && !st.buckets.contains_key(&key) {
            st.buckets.retain(|_, b| !b.is_full(rate, burst, now));
        }
        let bucket = st
            .buckets
            .entry(key)
            .or_insert_with(|| Bucket::full(burst, now));
        if !bucket.take(rate, burst, now) {
            return Err(Refusal::RatePerIp);
        }
        let (trate, tburst) = self.rate_total;
        if !st.total.take(trate, tburst, now) {
            return Err(Refusal::RateTotal);
        }
        *st.open.entry(key).or_default() += 1;
        Ok(Some(Slot {
            shared: self.clone(),
            key,
        }))
    }

    fn release(&self, key: IpAddr) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = st.open.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                st.open.remove(&key);
            }
        }
    }

    /// Open connections counted for `ip` (tests).
    #[cfg(test)]
    pub(crate) fn open_from(&self, ip: IpAddr) -> usize {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.open.get(&source_key(ip)).copied().unwrap_or(0)
    }
}

/// An admitted connection's place in the per-IP count; released on drop.
struct Slot {
    shared: Arc<Shared>,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.release(self.key);
    }
}

/// Admission of one listener: the shared limits, plus TLS for a TLS listener.
pub(crate) struct Gate {
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
}

impl Gate {
    /// A plain-TCP listener's admission.
    pub(crate) fn plain(shared: &Arc<Shared>) -> Arc<Gate> {
        Arc::new(Gate {
            shared: shared.clone(),
            tls: None,
        })
    }

    /// A TLS listener's admission.
    pub(crate) fn tls(shared: &Arc<Shared>, tls: TlsAcceptor) -> Arc<Gate> {
        Arc::new(Gate {
            shared: shared.clone(),
            tls: Some(tls),
        })
    }
}

impl Admission for Gate {
    fn admit(&self, peer: SocketAddr) -> Option<Ticket> {
        match self.shared.admit(peer.ip()) {
            Ok(Some(slot)) => Some(Box::new(slot)),
            Ok(None) => Some(Box::new(())),
            Err(why) => {
                self.shared.stats.refused(why);
                tracing::debug!(%peer, limit = why.as_str(), "MQTT connection refused at accept");
                None
            }
        }
    }

    fn open(&self, stream: TcpStream, peer: SocketAddr) -> OpenFuture {
        let deadline = tokio::time::Instant::now() + self.shared.connect_timeout;
        let stats = self.shared.stats.clone();
        let tls = self.tls.clone();
        Box::pin(async move {
            let Some(tls) = tls else {
                return Ok(Box::new(Deadline::new(stream, deadline, stats)) as Box<dyn Stream>);
            };
            match tokio::time::timeout_at(deadline, tls.accept(stream)).await {
                Ok(Ok(s)) => Ok(Box::new(Deadline::new(s, deadline, stats)) as Box<dyn Stream>),
                Ok(Err(e)) => {
                    // A peer that closes without a word (a port probe) failed nothing.
                    if e.kind() != io::ErrorKind::UnexpectedEof {
                        stats.tls_handshake_failures.fetch_add(1, Relaxed);
                    }
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    Err(e)
                }
                Err(_) => {
                    stats.handshake_timeouts.fetch_add(1, Relaxed);
                    tracing::debug!(%peer, "TLS handshake timed out");
                    Err(io::ErrorKind::TimedOut.into())
                }
            }
        })
    }
}

/// A connection's stream that fails every read once `deadline` has passed, until the broker
/// has written something (the CONNACK): a client trickling its CONNECT byte by byte is cut
/// at the deadline counted from accept, TLS handshake included.
struct Deadline<S> {
    inner: S,
    sleep: Pin<Box<Sleep>>,
    armed: bool,
    expired: bool,
    stats: Arc<Stats>,
}

impl<S> Deadline<S> {
    fn new(inner: S, deadline: tokio::time::Instant, stats: Arc<Stats>) -> Self {
        Deadline {
            inner,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            armed: true,
            expired: false,
            stats,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Deadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.armed && !this.expired && this.sleep.as_mut().poll(cx).is_ready() {
            this.expired = true;
            this.stats.handshake_timeouts.fetch_add(1, Relaxed);
            tracing::debug!("MQTT client cut: no complete CONNECT before the deadline");
        }
        if this.expired {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete CONNECT within mqtt.connection_timeout",
            )));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            self.armed = false;
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(tweak: impl FnOnce(&mut MqttSettings)) -> Arc<Shared> {
        let mut s = settings::Settings::for_tests().mqtt;
        s.limits.exempt_networks.clear();
        tweak(&mut s);
        Shared::new(&s, Arc::new(Stats::default()))
    }

    #[test]
    fn per_ip_count_is_released_on_drop() {
        let g = shared(|s| s.limits.max_connections_per_ip = 2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = g.admit(ip).unwrap();
        let _b = g.admit(ip).unwrap();
        assert_eq!(g.admit(ip).err(), Some(Refusal::PerIp));
        assert!(
            g.admit("10.0.0.2".parse().unwrap()).is_ok(),
            "other sources unaffected"
        );
        drop(a);
        assert_eq!(g.open_from(ip), 1);
        assert!(g.admit(ip).is_ok());
    }

    #[test]
    fn rates_per_ip_and_in_total() {
        let g = shared(|s| {
            s.limits.connection_rate_per_ip = 1;
            s.limits.connection_burst_per_ip = 2;
            s.limits.connection_rate_total = 1;
            s.limits.connection_burst_total = 3;
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let _k: Vec<_> = (0..2).map(|_| g.admit(ip).unwrap()).collect();
        assert_eq!(g.admit(ip).err(), Some(Refusal::RatePerIp));
        let _o = g.admit("10.0.0.2".parse().unwrap()).unwrap();
        assert_eq!(
            g.admit("10.0.0.3".parse().unwrap()).err(),
            Some(Refusal::RateTotal)
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_exempt_networks_pass() {
        let g = shared(|s| {
            s.limits.max_connections_per_ip = 1;
            s.limits.exempt_networks = vec!["192.168.0.0/16".into()];
        });
        let _a = g.admit("2001:db8::1".parse().unwrap()).unwrap();
        assert_eq!(
            g.admit("2001:db8::2".parse().unwrap()).err(),
            Some(Refusal::PerIp)
        );
        let lan: IpAddr = "192.168.1.5".parse().unwrap();
        let _k: Vec<_> = (0..5).map(|_| g.admit(lan).unwrap()).collect();
        assert_eq!(g.open_from(lan), 0);
    }
}
