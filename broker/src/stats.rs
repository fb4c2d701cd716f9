//! Counters the broker keeps about what it refused, read by `/metrics`.

use crate::acl::Denial;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why a connection was refused before anything was read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The source address already has `mqtt.limits.max_connections_per_ip` connections.
    PerIp,
    /// The source address opened connections faster than `connection_rate_per_ip`.
    RatePerIp,
    /// All sources together opened connections faster than `connection_rate_total`.
    RateTotal,
}

impl Refusal {
    /// Every reason, for exposition.
    pub const ALL: [Refusal; 3] = [Refusal::PerIp, Refusal::RatePerIp, Refusal::RateTotal];

    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::PerIp => "per_ip",
            Refusal::RatePerIp => "rate_per_ip",
            Refusal::RateTotal => "rate_total",
        }
    }
}

/// Process-wide broker counters. Shared (`Arc`) between the broker and the metrics page.
#[derive(Debug, Default)]
pub struct Stats {
    acl_denied: [AtomicU64; Denial::ALL.len()],
    /// Clients disconnected for repeated refused publishes.
    pub acl_disconnects: AtomicU64,
    /// Live sessions closed because their credentials were rotated or removed.
    pub sessions_revoked: AtomicU64,
    /// The broker's liveness (router thread, listeners), set by its supervisor.
    pub health: Health,
    refused: [AtomicU64; Refusal::ALL.len()],
    /// Sockets cut for not completing CONNECT (TLS handshake included) within
    /// `mqtt.connection_timeout` of accept.
    pub handshake_timeouts: AtomicU64,
    /// Authentication hook calls that did not answer within `mqtt.connection_timeout`.
    pub auth_timeouts: AtomicU64,
    /// TLS handshakes that failed (plain MQTT on the TLS port, unknown CA, …).
    pub tls_handshake_failures: AtomicU64,
    /// New retained topics not stored because the client had `retained_per_client`.
    pub retained_refused_client: AtomicU64,
    /// New retained topics not stored because the broker had `retained_total`.
    pub retained_refused_total: AtomicU64,
    /// Clients disconnected for more than `qos2_inflight_per_client` QoS 2 publishes
    /// awaiting PUBREL.
    pub qos2_inflight_disconnects: AtomicU64,
}

/// One metric: name, help, and its samples as (label, value); the label is one Prometheus
/// label pair (`("limit", "per_ip")`), `None` for none.
pub type Sample = (
    &'static str,
    &'static str,
    Vec<(Option<(&'static str, &'static str)>, u64)>,
);

impl Stats {
    /// Counts one refusal and returns the new count for that reason.
    pub fn denied(&self, why: Denial) -> u64 {
        self.acl_denied[why as usize].fetch_add(1, Relaxed) + 1
    }

    /// Refusals for one reason so far.
    pub fn denials(&self, why: Denial) -> u64 {
        self.acl_denied[why as usize].load(Relaxed)
    }

    /// Counts one connection refused at accept.
    pub fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Relaxed);
    }

    /// Connections refused at accept for one reason so far.
    pub fn refusals(&self, why: Refusal) -> u64 {
        self.refused[why as usize].load(Relaxed)
    }

    /// Every counter, for `/metrics`: one loop renders them all (all are counters).
    pub fn samples(&self) -> Vec<Sample> {
        let one = |v: &AtomicU64| vec![(None, v.load(Relaxed))];
        vec![
            (
                "mqtt_acl_refused_total",
                "MQTT operations refused by the topic ACL",
                Denial::ALL
                    .iter()
                    .map(|d| (Some(("reason", d.as_str())), self.denials(*d)))
                    .collect(),
            ),
            (
                "mqtt_acl_disconnects_total",
                "MQTT clients disconnected for repeated refused publishes",
                one(&self.acl_disconnects),
            ),
            (
                "mqtt_sessions_revoked_total",
                "MQTT sessions closed because their credentials changed",
                one(&self.sessions_revoked),
            ),
            (
                "mqtt_connections_refused_total",
                "MQTT sockets closed at accept by a connection limit",
                Refusal::ALL
                    .iter()
                    .map(|r| (Some(("limit", r.as_str())), self.refusals(*r)))
                    .collect(),
            ),
            (
                "mqtt_handshake_timeouts_total",
                "MQTT sockets cut for not completing CONNECT in time",
                one(&self.handshake_timeouts),
            ),
            (
                "mqtt_auth_timeouts_total",
                "MQTT authentication hook calls that did not answer in time",
                one(&self.auth_timeouts),
            ),
            (
                "mqtt_tls_handshake_failures_total",
                "Failed TLS handshakes on the MQTT TLS listener",
                one(&self.tls_handshake_failures),
            ),
            (
                "mqtt_retained_refused_total",
                "New retained topics not stored because of a retained limit",
                vec![
                    (
                        Some(("limit", "per_client")),
                        self.retained_refused_client.load(Relaxed),
                    ),
                    (
                        Some(("limit", "total")),
                        self.retained_refused_total.load(Relaxed),
                    ),
                ],
            ),
            (
                "mqtt_qos2_inflight_disconnects_total",
                "MQTT clients disconnected for too many QoS 2 publishes awaiting PUBREL",
                one(&self.qos2_inflight_disconnects),
            ),
        ]
    }
}

impl rumqttd::limits::LimitObserver for Stats {
    fn retained_refused(&self, client_id: &str, total: bool) {
        let n = if total {
            self.retained_refused_total.fetch_add(1, Relaxed)
        } else {
            self.retained_refused_client.fetch_add(1, Relaxed)
        } + 1;
        tracing::debug!(
            client_id,
            total,
            refused = n,
            "retained message not stored: limit"
        );
    }

    fn qos2_inflight_exceeded(&self, client_id: &str) {
        self.qos2_inflight_disconnects.fetch_add(1, Relaxed);
        tracing::warn!(
            client_id,
            "client disconnected: too many QoS 2 publishes awaiting PUBREL"
        );
    }
}

/// Whether the embedded broker still runs, as its supervisor saw it last.
#[derive(Debug, Default)]
pub struct Health {
    failed: std::sync::Mutex<Option<&'static str>>,
    changed: tokio::sync::Notify,
}

impl Health {
    /// Marks the broker as failed (the first reason sticks).
    pub fn fail(&self, part: &'static str) {
        let mut f = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            *f = Some(part);
            tracing::error!(part, "embedded MQTT broker failed");
        }
        drop(f);
        self.changed.notify_waiters();
    }

    /// The part that failed, if any.
    pub fn failed(&self) -> Option<&'static str> {
        *self.failed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Completes when the broker has failed; returns the part.
    pub async fn wait_failed(&self) -> &'static str {
        loop {
            let notified = self.changed.notified();
            if let Some(part) = self.failed() {
                return part;
            }
            notified.await;
        }
    }
}
