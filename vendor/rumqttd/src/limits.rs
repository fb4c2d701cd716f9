//! smart-outlet patch: hooks for the limits a public broker needs.
//!
//! - [`Admission`]: decides on every accepted socket before anything is read (per-IP
//!   connection counts, connection rates) and turns the TCP stream into the transport (TLS
//!   handshake) inside the connection's own task, so a slow handshake never blocks the
//!   accept loop. Set with [`crate::Server::set_admission`].
//! - [`RouterLimits`]: retained messages per client and in total, QoS 2 publishes awaiting
//!   PUBREL per client. Set with [`crate::Router::with_limits`].
//! - [`LimitObserver`]: told about every refusal, so the embedding program can count them.
//!
//! The policy lives in the embedding program; this file only has the hook points.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::TcpStream;

pub use crate::link::network::N as Stream;

/// Held for as long as an admitted connection lives (drop releases its per-IP slot).
pub type Ticket = Box<dyn Send + Sync>;

/// A boxed future of the transport of one connection.
pub type OpenFuture = Pin<Box<dyn Future<Output = io::Result<Box<dyn Stream>>> + Send>>;

/// Admission control of one listener.
pub trait Admission: Send + Sync + 'static {
    /// Called for each accepted socket before anything is read; `None` closes it at once.
    fn admit(&self, peer: SocketAddr) -> Option<Ticket>;
    /// Turns the accepted TCP stream into the connection's transport (plain, or a TLS
    /// handshake). Runs in the connection's task, bounded by `connection_timeout_ms`.
    fn open(&self, stream: TcpStream, peer: SocketAddr) -> OpenFuture;
}

/// Told about what the router refused.
pub trait LimitObserver: Send + Sync + 'static {
    /// A new retained topic was not stored (`total`: the broker-wide limit, else the
    /// client's own). The publish itself still goes to current subscribers.
    fn retained_refused(&self, client_id: &str, total: bool);
    /// A client was disconnected for too many QoS 2 publishes awaiting PUBREL.
    fn qos2_inflight_exceeded(&self, client_id: &str);
}

/// Limits enforced inside the router thread.
#[derive(Clone)]
pub struct RouterLimits {
    /// Retained topics one client may have created (and not cleared).
    pub retained_per_client: usize,
    /// Retained topics in the whole broker.
    pub retained_total: usize,
    /// Clients whose id starts with one of these are exempt from both retained limits
    /// (their topics still count in the total).
    pub retained_exempt_prefixes: Vec<String>,
    /// PUBREC'd QoS 2 publishes awaiting PUBREL per connection; past it, disconnect.
    pub qos2_inflight_per_client: usize,
    /// Told about refusals.
    pub observer: Option<Arc<dyn LimitObserver>>,
}

impl Default for RouterLimits {
    fn default() -> Self {
        RouterLimits {
            retained_per_client: usize::MAX,
            retained_total: usize::MAX,
            retained_exempt_prefixes: Vec::new(),
            qos2_inflight_per_client: usize::MAX,
            observer: None,
        }
    }
}

impl RouterLimits {
    /// True (and counted) when `recorded` QoS 2 publishes of `client_id` exceed the limit.
    pub(crate) fn qos2_over(&self, client_id: &str, recorded: usize) -> bool {
        if recorded <= self.qos2_inflight_per_client {
            return false;
        }
        if let Some(o) = &self.observer {
            o.qos2_inflight_exceeded(client_id);
        }
        true
    }
}

/// Who created which retained topic, for the retained limits.
#[derive(Default)]
pub(crate) struct RetainedBook {
    pub(crate) limits: RouterLimits,
    owners: HashMap<String, String>,
    per_client: HashMap<String, usize>,
}

impl RetainedBook {
    /// May `owner` store a retained message on `topic`? Updates of an existing topic always
    /// may (its owner stays the client that created it).
    pub(crate) fn admit(&mut self, owner: &str, topic: &str, exists: bool, total: usize) -> bool {
        if exists {
            return true;
        }
        let exempt = owner.is_empty()
            || self
                .limits
                .retained_exempt_prefixes
                .iter()
                .any(|p| owner.starts_with(p.as_str()));
        if !exempt {
            let refused_total = total >= self.limits.retained_total;
            let mine = self.per_client.get(owner).copied().unwrap_or(0);
            if refused_total || mine >= self.limits.retained_per_client {
                if let Some(o) = &self.limits.observer {
                    o.retained_refused(owner, refused_total);
                }
                return false;
            }
        }
        self.owners.insert(topic.to_owned(), owner.to_owned());
        *self.per_client.entry(owner.to_owned()).or_default() += 1;
        true
    }

    /// A retained topic was cleared or expired.
    pub(crate) fn removed(&mut self, topic: &str) {
        if let Some(owner) = self.owners.remove(topic) {
            if let Some(n) = self.per_client.get_mut(&owner) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.per_client.remove(&owner);
                }
            }
        }
    }
}
