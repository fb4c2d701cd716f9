//! `/metrics`: the backend's and the embedded broker's counters in the Prometheus text format
//! (version 0.0.4), encoded by `prometheus-client` from one snapshot taken at each scrape.
//!
//! The counters live in `backend::metrics` and `broker::stats` as atomics; here they are read
//! once into [`Family`] values and handed to the library's encoder as a [`Collector`], which
//! writes names, labels, escaping, `_total` suffixes and histogram buckets.

use crate::ops::ops_refusal;
use backend::Backend;
use poem::web::Data;
use poem::{Response, handler};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering::Relaxed;

/// The prefix of every metric name.
const PREFIX: &str = "smart_outlet";

/// One label pair of a sample (`("reason", "oversize")`), `None` for a sample without labels.
type Label = Option<(&'static str, &'static str)>;

/// The values of one metric at the scrape.
#[derive(Debug)]
enum Values {
    /// Counter samples, one per label (`None`: the one unlabelled sample).
    Counter(Vec<(Label, u64)>),
    /// A gauge without labels.
    Gauge(i64),
    /// A histogram: per-bucket (not cumulative) counts by upper bound, the last one `+Inf`.
    Histogram { buckets: Vec<(f64, u64)>, sum: f64 },
}

/// One metric: its name after the prefix (a counter's with `_total`), its help, its values.
#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    values: Values,
}

impl Family {
    fn counter(name: &'static str, help: &'static str, samples: Vec<(Label, u64)>) -> Family {
        Family {
            name,
            help,
            values: Values::Counter(samples),
        }
    }

    fn single(name: &'static str, help: &'static str, value: u64) -> Family {
        Family::counter(name, help, vec![(None, value)])
    }
}

/// Every metric of one scrape, in exposition order.
#[derive(Debug)]
struct Scrape(Vec<Family>);

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in &self.0 {
            match &f.values {
                Values::Counter(samples) => {
                    // the encoder appends `_total` to a counter's name
                    let name = f.name.strip_suffix("_total").unwrap_or(f.name);
                    let mut metric =
                        encoder.encode_descriptor(name, f.help, None, MetricType::Counter)?;
                    for (label, value) in samples {
                        let labels: &[(&str, &str)] = match label {
                            Some(pair) => std::slice::from_ref(pair),
                            None => &[],
                        };
                        ConstCounter::new(*value).encode(metric.encode_family(&labels)?)?;
                    }
                }
                Values::Gauge(value) => {
                    let metric =
                        encoder.encode_descriptor(f.name, f.help, None, MetricType::Gauge)?;
                    ConstGauge::new(*value).encode(metric)?;
                }
                Values::Histogram { buckets, sum } => {
                    let mut metric =
                        encoder.encode_descriptor(f.name, f.help, None, MetricType::Histogram)?;
                    let count = buckets.iter().map(|(_, n)| n).sum();
                    metric.encode_histogram::<NoLabelSet>(*sum, count, buckets, None)?;
                }
            }
        }
        Ok(())
    }
}

/// The backend's counters.
fn backend_families(backend: &Backend) -> Vec<Family> {
    let m = backend.metrics().snapshot();
    let counters = backend.metrics();
    let spool = backend.spool_stats();
    vec![
        Family::counter(
            "readings_ingested_total",
            "Readings accepted, by transport.",
            vec![
                (Some(("transport", "mqtt")), m.ingested_mqtt),
                (Some(("transport", "http")), m.ingested_http),
            ],
        ),
        Family::counter(
            "rejects_total",
            "Device messages rejected, by reason.",
            m.rejects
                .iter()
                .map(|(r, v)| (Some(("reason", r.as_str())), *v))
                .collect(),
        ),
        Family::counter(
            "legacy_refused_total",
            "Legacy (old firmware) requests refused, by reason: unbound or ambiguous caller address, unknown outlet or CCU, wrong address, no learning window.",
            backend::legacy::Refusal::ALL
                .iter()
                .map(|r| (Some(("reason", r.as_str())), counters.legacy_refusals(*r)))
                .collect(),
        ),
        Family::single(
            "history_batches_total",
            "History write transactions.",
            m.history_batches,
        ),
        Family::single(
            "history_rows_total",
            "History rows written.",
            m.history_rows,
        ),
        Family::single(
            "history_duplicates_total",
            "History rows not stored because the same device already has one for that slot (a redelivered reading, or another instance's row for the same history interval).",
            m.history_duplicates,
        ),
        Family::single(
            "history_orphans_total",
            "History rows not stored because their outlet or CCU was deleted while they waited for the writer.",
            m.history_orphans,
        ),
        Family::single(
            "readings_rolled_up_total",
            "Outlet readings older than energy.keep_readings moved into hourly energy and deleted.",
            m.readings_rolled_up,
        ),
        Family::single(
            "breaker_readings_expired_total",
            "Breaker readings older than energy.keep_readings deleted.",
            m.breaker_readings_expired,
        ),
        Family::single(
            "auto_cutoffs_total",
            "Sockets switched off by the automatic cut-off (a CCU's breaker load reached its auto_cutoff_pct).",
            m.auto_cutoffs,
        ),
        Family::single(
            "notifications_sent_total",
            "Notifications delivered to a user's target (one per target).",
            m.notifications_sent,
        ),
        Family::single(
            "notifications_failed_total",
            "Notifications given up for a target after every attempt.",
            m.notifications_failed,
        ),
        Family::single(
            "notifications_dropped_total",
            "Notifications dropped because the queue (notifications.queue) was full.",
            m.notifications_dropped,
        ),
        Family::single(
            "history_yields_total",
            "History batches that gave up their early insert (two in flight, PostgreSQL) because the batch before was slow to commit: they roll back, releasing their locks, and are written after it.",
            m.history_yields,
        ),
        Family::single(
            "history_errors_total",
            "Failed history transactions (retried).",
            m.history_errors,
        ),
        Family::single(
            "spool_refused_total",
            "Device publishes refused because the spool was full (the device was disconnected without an acknowledgement and keeps them).",
            counters.spool_refused.load(Relaxed),
        ),
        Family::single(
            "spool_errors_total",
            "Spool writes that failed (disk).",
            counters.spool_errors.load(Relaxed),
        ),
        Family::single(
            "spool_abandoned_total",
            "Spooled messages given up because they kept failing with the database up.",
            counters.spool_abandoned.load(Relaxed),
        ),
        Family {
            name: "spool_backlog",
            help: "Device publishes in the spool not yet stored in the database.",
            values: Values::Gauge(spool.map_or(0, |s| gauge(s.backlog))),
        },
        Family {
            name: "spool_bytes",
            help: "Bytes held by the spool.",
            values: Values::Gauge(spool.map_or(0, |s| gauge(s.bytes))),
        },
        Family::single(
            "ingest_failures_total",
            "Valid device messages the server failed to handle (database, broker); never counted as rejects.",
            m.ingest_failures,
        ),
        Family::single(
            "live_fanout_sent_total",
            "Live events shared with the other instances on the database (cluster.fanout).",
            counters.live_fanout_sent.load(Relaxed),
        ),
        Family::single(
            "live_fanout_unwatched_total",
            "Live readings and breaker loads not shared: no other instance has a browser of their user.",
            counters.live_fanout_unwatched.load(Relaxed),
        ),
        Family::single(
            "live_fanout_received_total",
            "Live events received from the other instances.",
            counters.live_fanout_received.load(Relaxed),
        ),
        Family::single(
            "live_fanout_lost_total",
            "Live events not shared or not received (queue full, too large, database refused, unreadable).",
            counters.live_fanout_lost.load(Relaxed),
        ),
        Family::single(
            "broker_acks_sent_total",
            "Acknowledgements of stored device publishes written to the broker (persistent session, external broker).",
            backend.broker_acks_sent(),
        ),
        Family::single(
            "broker_acks_failed_total",
            "Acknowledgements of stored publishes not sent to the broker (its connection was gone); the broker delivers those publishes again.",
            counters.broker_acks_failed.load(Relaxed),
        ),
        Family::single(
            "live_fanout_reconnects_total",
            "Times the connection receiving other instances' live events was lost (events sent meanwhile are missed).",
            counters.live_fanout_reconnects.load(Relaxed),
        ),
        Family::single(
            "sessions_adopted_total",
            "Broker sessions of dead instances this instance adopted (their session lease expired).",
            counters.sessions_adopted.load(Relaxed),
        ),
        Family::single(
            "sessions_drained_total",
            "Adopted sessions drained: everything the broker kept for them stored and acknowledged.",
            counters.sessions_drained.load(Relaxed),
        ),
        Family::single(
            "sessions_left_total",
            "Adoptions left before drained because the lease was taken (the owner came back).",
            counters.sessions_left.load(Relaxed),
        ),
        Family::single(
            "adopted_messages_total",
            "Device publishes received through adopted sessions.",
            counters.adopted_messages.load(Relaxed),
        ),
        Family::single(
            "commands_sent_total",
            "Commands published to CCUs.",
            m.commands_sent,
        ),
        Family::single(
            "broker_provisioning_failures_total",
            "External broker provisioning operations that failed (mosquitto-dynsec).",
            backend.provisioning_failures(),
        ),
        Family::single(
            "http_ops_refused_total",
            "Requests to /metrics or /status refused for a missing or wrong http.metrics_token.",
            counters.ops_refused.load(Relaxed),
        ),
        Family::single(
            "http_body_too_large_total",
            "HTTP requests refused with 413: body over http.body_limit (http.auth_body_limit on /api/v1/auth/*).",
            counters.http_body_too_large.load(Relaxed),
        ),
        Family::single("alerts_raised_total", "Alerts raised.", m.alerts_raised),
        Family::single(
            "ccu_readings_dropped_total",
            "Readings CCUs reported they dropped because their offline buffer was full.",
            counters.ccu_readings_dropped.load(Relaxed),
        ),
        Family::counter(
            "mqtt_logins_total",
            "MQTT logins checked by the auth hook, by result.",
            vec![
                (Some(("result", "ok")), m.auth_successes),
                (Some(("result", "refused")), m.auth_failures),
            ],
        ),
    ]
}

/// WebSockets, command latency and password hashing.
fn live_families(backend: &Backend) -> Vec<Family> {
    let m = backend.metrics();
    let bounds = backend::metrics::LATENCY_BUCKETS_MS
        .iter()
        .map(|b| *b as f64)
        .chain([f64::INFINITY]);
    let buckets = bounds
        .zip(m.command_latency.iter().map(|n| n.load(Relaxed)))
        .collect();
    let p = backend.passwords();
    vec![
        Family {
            name: "websocket_clients",
            help: "Open WebSocket connections.",
            values: Values::Gauge(m.ws_clients.load(Relaxed)),
        },
        Family::single(
            "websocket_skipped_total",
            "Messages skipped for slow WebSocket clients.",
            m.ws_skipped.load(Relaxed),
        ),
        Family {
            name: "command_latency_ms",
            help: "Time from a command's creation to its positive ack.",
            values: Values::Histogram {
                buckets,
                sum: m.command_latency_sum_ms.load(Relaxed) as f64,
            },
        },
        Family::single(
            "password_checks_total",
            "Argon2 checks of people's passwords (login, change password, delete account).",
            p.checks(),
        ),
        Family::single(
            "login_limited_total",
            "Password attempts refused by the login limiter before any hash.",
            m.login_limited.load(Relaxed),
        ),
        Family {
            name: "password_hashes_pending",
            help: "People's password hashes waiting or running (their own budget, apart from CCU logins).",
            values: Values::Gauge(i64::try_from(p.pending()).unwrap_or(i64::MAX)),
        },
        Family::single(
            "password_hashes_refused_total",
            "People's password hashes refused because accounts.password_hash_queue was full.",
            p.refused(),
        ),
    ]
}

/// The exposition text of every metric now.
pub(crate) fn exposition(backend: &Backend) -> Result<String, std::fmt::Error> {
    let mut families = backend_families(backend);
    families.extend(
        backend
            .metrics()
            .broker
            .samples()
            .into_iter()
            .map(|(name, help, samples)| Family::counter(name, help, samples)),
    );
    families.extend(live_families(backend));
    let mut registry = Registry::with_prefix(PREFIX);
    registry.register_collector(Box::new(Scrape(families)));
    let mut text = String::new();
    prometheus_text::encode(&mut text, &registry)?;
    Ok(text)
}

/// Prometheus text exposition of the backend's and the broker's counters.
#[handler]
pub(crate) fn metrics(backend: Data<&Backend>, req: &poem::Request) -> Response {
    if let Some(refused) = ops_refusal(&backend, req) {
        return refused;
    }
    match exposition(&backend) {
        Ok(text) => Response::builder()
            .content_type(prometheus_text::CONTENT_TYPE)
            .body(text),
        Err(e) => {
            tracing::error!(cause = %e, "metrics encoding failed");
            Response::builder()
                .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                .body(())
        }
    }
}

/// A level as a gauge value (saturating).
fn gauge(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
