//! Counters of what the backend did and refused; `web` exports them for Prometheus.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why a device message was refused. Each reason has its own counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Payload over `ingest.max_payload_size`.
    Oversize,
    /// Payload is not UTF-8.
    NotUtf8,
    /// Payload is not JSON.
    MalformedJson,
    /// JSON with missing fields or wrong types.
    InvalidPayload,
    /// Topic is not `ccu/<id>/<kind>` for a device kind.
    BadTopic,
    /// The CCU in the topic is not registered.
    UnknownCcu,
    /// The outlet is not registered.
    UnknownOutlet,
    /// The outlet belongs to another CCU than the topic names.
    ForeignOutlet,
    /// A current below zero.
    NegativeCurrent,
    /// A current above the plausible maximum.
    AbsurdCurrent,
    /// A `ts` too far in the future (`ingest.max_clock_skew`).
    BadTimestamp,
    /// A `ts` too far in the past (`ingest.max_reading_age`).
    StaleTimestamp,
    /// A batch longer than `ingest.max_batch`.
    BatchTooLarge,
    /// An ack for a command that does not exist.
    UnknownCommand,
    /// An ack for another CCU's command.
    ForeignCommand,
}

impl RejectReason {
    /// Every reason, in counter order.
    pub const ALL: [RejectReason; 15] = [
        RejectReason::Oversize,
        RejectReason::NotUtf8,
        RejectReason::MalformedJson,
        RejectReason::InvalidPayload,
        RejectReason::BadTopic,
        RejectReason::UnknownCcu,
        RejectReason::UnknownOutlet,
        RejectReason::ForeignOutlet,
        RejectReason::NegativeCurrent,
        RejectReason::AbsurdCurrent,
        RejectReason::BadTimestamp,
        RejectReason::StaleTimestamp,
        RejectReason::BatchTooLarge,
        RejectReason::UnknownCommand,
        RejectReason::ForeignCommand,
    ];

    /// The label used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Oversize => "oversize",
            RejectReason::NotUtf8 => "not_utf8",
            RejectReason::MalformedJson => "malformed_json",
            RejectReason::InvalidPayload => "invalid_payload",
            RejectReason::BadTopic => "bad_topic",
            RejectReason::UnknownCcu => "unknown_ccu",
            RejectReason::UnknownOutlet => "unknown_outlet",
            RejectReason::ForeignOutlet => "foreign_outlet",
            RejectReason::NegativeCurrent => "negative_current",
            RejectReason::AbsurdCurrent => "absurd_current",
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::StaleTimestamp => "stale_timestamp",
            RejectReason::BatchTooLarge => "batch_too_large",
            RejectReason::UnknownCommand => "unknown_command",
            RejectReason::ForeignCommand => "foreign_command",
        }
    }

    fn index(self) -> usize {
        RejectReason::ALL
            .iter()
            .position(|r| *r == self)
            .unwrap_or(0)
    }
}

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// MQTT.
    Mqtt,
    /// The legacy HTTP shim.
    Http,
}

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    rejects: [AtomicU64; RejectReason::ALL.len()],
    ingested_mqtt: AtomicU64,
    ingested_http: AtomicU64,
    /// Readings written to history.
    pub history_rows: AtomicU64,
    /// History rows the database refused as copies of stored ones (same device and slot).
    pub history_duplicates: AtomicU64,
    /// History rows not stored because their outlet or CCU was deleted before the batch.
    pub history_orphans: AtomicU64,
    /// Outlet readings older than `energy.keep_readings` moved into hourly energy and deleted.
    pub readings_rolled_up: AtomicU64,
    /// Breaker readings older than `energy.keep_readings` deleted.
    pub breaker_readings_expired: AtomicU64,
    /// Sockets switched off by the automatic cut-off.
    pub auto_cutoffs: AtomicU64,
    /// Notifications delivered (per target).
    pub notifications_sent: AtomicU64,
    /// Notifications given up after every attempt (per target).
    pub notifications_failed: AtomicU64,
    /// Notifications dropped because the queue was full.
    pub notifications_dropped: AtomicU64,
    /// Batches (PostgreSQL, two in flight) that rolled back their early insert because the
    /// batch before took longer than [`crate::writer`]'s patience to commit.
    pub history_yields: AtomicU64,
    /// Acknowledgements of committed publishes the MQTT client could not send (its
    /// connection gone): the broker delivers those publishes again.
    pub broker_acks_failed: AtomicU64,
    /// Write transactions.
    pub history_batches: AtomicU64,
    /// Write transactions that failed (and were retried).
    pub history_errors: AtomicU64,
    /// The writer's current batch is failing (the database is down or refusing).
    pub history_failing: std::sync::atomic::AtomicBool,
    /// Device publishes the spool refused because it was full (the client was
    /// disconnected without an acknowledgement).
    pub spool_refused: AtomicU64,
    /// Spool writes that failed (disk).
    pub spool_errors: AtomicU64,
    /// Spool records ingest gave up after the database was back (the record keeps failing).
    pub spool_abandoned: AtomicU64,
    /// Valid device messages the server failed to handle (database, broker): never
    /// counted as rejects, never blamed on the device.
    pub ingest_failures: AtomicU64,
    /// Live events shared with the other instances (`fanout`).
    pub live_fanout_sent: AtomicU64,
    /// Live readings and breaker loads not shared: no other instance has a subscriber of
    /// their user.
    pub live_fanout_unwatched: AtomicU64,
    /// Live events received from the other instances.
    pub live_fanout_received: AtomicU64,
    /// Live events not shared or not received (queue full, too large, database refused,
    /// unreadable payload).
    pub live_fanout_lost: AtomicU64,
    /// Times the connection receiving other instances' events was lost (events sent in
    /// the meantime are missed).
    pub live_fanout_reconnects: AtomicU64,
    /// Broker sessions of dead instances this instance adopted (`adopt`).
    pub sessions_adopted: AtomicU64,
    /// Adopted sessions drained (everything the broker kept for them stored and acknowledged).
    pub sessions_drained: AtomicU64,
    /// Adoptions left before drained because the lease was taken (the owner came back).
    pub sessions_left: AtomicU64,
    /// Device publishes received through adopted sessions.
    pub adopted_messages: AtomicU64,
    /// Commands published to a CCU.
    pub commands_sent: AtomicU64,
    /// Alerts raised.
    pub alerts_raised: AtomicU64,
    /// Readings CCUs reported they dropped (offline buffer full), summed over their reports.
    pub ccu_readings_dropped: AtomicU64,
    /// Failed MQTT logins.
    pub auth_failures: AtomicU64,
    /// Successful MQTT logins.
    pub auth_successes: AtomicU64,
    /// Open WebSocket connections.
    pub ws_clients: std::sync::atomic::AtomicI64,
    /// WebSocket messages skipped because a client was too slow.
    pub ws_skipped: AtomicU64,
    /// Requests to `/metrics` or `/status` refused for a missing or wrong token.
    pub ops_refused: AtomicU64,
    /// HTTP requests refused with 413 for a body over `http.body_limit`/`auth_body_limit`.
    pub http_body_too_large: AtomicU64,
    /// Legacy requests refused, by [`crate::legacy::Refusal`].
    pub legacy_refused: [AtomicU64; crate::legacy::refusal::Refusal::ALL.len()],
    /// Command latency (created → acknowledged ok), counts per bucket of [`LATENCY_BUCKETS_MS`].
    pub command_latency: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
    /// Sum of command latencies (ms).
    pub command_latency_sum_ms: AtomicU64,
    /// The embedded broker's refusals and health (shared with the broker).
    pub broker: std::sync::Arc<broker::stats::Stats>,
    /// Password checks refused by the login limiter before any hash ran.
    pub login_limited: AtomicU64,
}

/// Upper bounds (ms) of the command latency histogram buckets.
pub const LATENCY_BUCKETS_MS: [u64; 10] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000];

impl Metrics {
    /// Records one command latency.
    pub fn command_latency(&self, ms: u64) {
        let idx = LATENCY_BUCKETS_MS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        self.command_latency[idx].fetch_add(1, Relaxed);
        self.command_latency_sum_ms.fetch_add(ms, Relaxed);
    }
}

/// A copy of the counters.
#[derive(Debug, Clone, Serialize)]
pub struct MetricsSnapshot {
    /// Rejects by reason.
    pub rejects: Vec<(RejectReason, u64)>,
    /// Accepted readings over MQTT.
    pub ingested_mqtt: u64,
    /// Accepted readings over HTTP.
    pub ingested_http: u64,
    /// History rows written.
    pub history_rows: u64,
    /// See [`Metrics::history_duplicates`].
    pub history_duplicates: u64,
    /// See [`Metrics::history_orphans`].
    pub history_orphans: u64,
    /// See [`Metrics::readings_rolled_up`].
    pub readings_rolled_up: u64,
    /// See [`Metrics::breaker_readings_expired`].
    pub breaker_readings_expired: u64,
    /// See [`Metrics::auto_cutoffs`].
    pub auto_cutoffs: u64,
    /// See [`Metrics::notifications_sent`].
    pub notifications_sent: u64,
    /// See [`Metrics::notifications_failed`].
    pub notifications_failed: u64,
    /// See [`Metrics::notifications_dropped`].
    pub notifications_dropped: u64,
    /// See [`Metrics::history_yields`].
    pub history_yields: u64,
    /// Write transactions.
    pub history_batches: u64,
    /// Failed write transactions.
    pub history_errors: u64,
    /// See [`Metrics::ingest_failures`].
    pub ingest_failures: u64,
    /// Commands published.
    pub commands_sent: u64,
    /// Alerts raised.
    pub alerts_raised: u64,
    /// Failed MQTT logins.
    pub auth_failures: u64,
    /// Successful MQTT logins.
    pub auth_successes: u64,
}

impl Metrics {
    /// Counts a reject and returns the new count for that reason.
    pub fn reject(&self, reason: RejectReason) -> u64 {
        self.rejects[reason.index()].fetch_add(1, Relaxed) + 1
    }

    /// Counts a refused legacy request and returns the new count for that reason.
    pub fn legacy_refusal(&self, reason: crate::legacy::refusal::Refusal) -> u64 {
        self.legacy_refused[reason.index()].fetch_add(1, Relaxed) + 1
    }

    /// Refused legacy requests of one reason.
    pub fn legacy_refusals(&self, reason: crate::legacy::refusal::Refusal) -> u64 {
        self.legacy_refused[reason.index()].load(Relaxed)
    }

    /// The count of one reason.
    pub fn rejects(&self, reason: RejectReason) -> u64 {
        self.rejects[reason.index()].load(Relaxed)
    }

    /// Counts accepted readings.
    pub fn ingested(&self, transport: Transport, n: u64) {
        match transport {
            Transport::Mqtt => self.ingested_mqtt.fetch_add(n, Relaxed),
            Transport::Http => self.ingested_http.fetch_add(n, Relaxed),
        };
    }

    /// Accepted readings so far.
    pub fn ingested_total(&self, transport: Transport) -> u64 {
        match transport {
            Transport::Mqtt => self.ingested_mqtt.load(Relaxed),
            Transport::Http => self.ingested_http.load(Relaxed),
        }
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            rejects: RejectReason::ALL
                .iter()
                .map(|r| (*r, self.rejects(*r)))
                .collect(),
            ingested_mqtt: self.ingested_mqtt.load(Relaxed),
            ingested_http: self.ingested_http.load(Relaxed),
            history_rows: self.history_rows.load(Relaxed),
            history_duplicates: self.history_duplicates.load(Relaxed),
            history_orphans: self.history_orphans.load(Relaxed),
            readings_rolled_up: self.readings_rolled_up.load(Relaxed),
            breaker_readings_expired: self.breaker_readings_expired.load(Relaxed),
            auto_cutoffs: self.auto_cutoffs.load(Relaxed),
            notifications_sent: self.notifications_sent.load(Relaxed),
            notifications_failed: self.notifications_failed.load(Relaxed),
            notifications_dropped: self.notifications_dropped.load(Relaxed),
            history_yields: self.history_yields.load(Relaxed),
            history_batches: self.history_batches.load(Relaxed),
            history_errors: self.history_errors.load(Relaxed),
            ingest_failures: self.ingest_failures.load(Relaxed),
            commands_sent: self.commands_sent.load(Relaxed),
            alerts_raised: self.alerts_raised.load(Relaxed),
            auth_failures: self.auth_failures.load(Relaxed),
            auth_successes: self.auth_successes.load(Relaxed),
        }
    }
}
