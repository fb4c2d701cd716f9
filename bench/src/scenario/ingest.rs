//! Scenario 1 (and the base of 5): N CCUs publish readings as fast as the server accepts them
//! (QoS 1, 100 in flight each), history interval 0 so every reading is stored.
//!
//! "As fast as accepted" is a closed loop: a broker acknowledges a QoS 1 publish when it has
//! it, not when the backend has consumed it, so the publishers stay at most [`WINDOW`]
//! readings per CCU ahead of the server's accepted counter. Without that, a flood larger than
//! the broker's per-topic buffer (`mqtt.segment_size` x `mqtt.segment_count`) loses the
//! oldest readings; `lost` reports any.

use super::{Outcome, mib, progress, rate};
use crate::mosquitto::Mosquitto;
use crate::mqtt_ccu::{MqttCcu, reading};
use crate::profile::Sizes;
use crate::seed::{Seeder, drop_database, fresh_database};
use crate::server::{Counters, Server, ServerOpts};
use backend::domain::Transport;
use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Readings per publishing CCU that may be ahead of the server's accepted counter.
pub const WINDOW: u64 = 2_000;

/// What one ingest run measured.
#[derive(Debug, Clone, Serialize)]
pub struct IngestNumbers {
    /// `sqlite` or `postgres`.
    pub database: String,
    /// `embedded` or `mosquitto`.
    pub broker: String,
    /// Publishing CCUs and outlets.
    pub ccus: usize,
    /// Outlets per CCU.
    pub outlets_per_ccu: usize,
    /// Readings published by the CCUs.
    pub published: u64,
    /// Accepted by ingest.
    pub accepted: u64,
    /// Rejected.
    pub rejected: u64,
    /// Published but neither accepted nor rejected.
    pub lost: u64,
    /// Rows in `sensor_readings` afterwards (counted in the database).
    pub stored: u64,
    /// Accepted readings per second (from the first publish to the last acceptance).
    pub accepted_per_s: f64,
    /// Stored readings per second (from the first publish to the last row written).
    pub stored_per_s: f64,
    /// Server CPU, in cores, over the run.
    pub server_cpu_cores: f64,
    /// Server peak resident memory (MiB).
    pub server_peak_rss_mib: f64,
}

impl IngestNumbers {
    /// Table rows.
    pub fn rows(&self) -> Vec<(String, String)> {
        vec![
            (
                "setup".into(),
                format!(
                    "{} CCUs x {} outlets, {} broker, {}",
                    self.ccus, self.outlets_per_ccu, self.broker, self.database
                ),
            ),
            (
                "accepted readings/s".into(),
                format!("{}", self.accepted_per_s),
            ),
            ("stored readings/s".into(), format!("{}", self.stored_per_s)),
            (
                "published / accepted / stored".into(),
                format!("{} / {} / {}", self.published, self.accepted, self.stored),
            ),
            (
                "rejected / lost".into(),
                format!("{} / {}", self.rejected, self.lost),
            ),
            (
                "server CPU / peak RSS".into(),
                format!(
                    "{:.2} cores / {} MiB",
                    self.server_cpu_cores, self.server_peak_rss_mib
                ),
            ),
        ]
    }
}

/// Scenario 1 on SQLite (`pg` = None) or PostgreSQL.
pub async fn run(sizes: &Sizes, pg: Option<&str>) -> anyhow::Result<Outcome> {
    let n = measure(sizes, pg, None).await?;
    Ok(Outcome {
        rows: n.rows(),
        numbers: serde_json::to_value(&n)?,
    })
}

/// One ingest run; `mosquitto` = the binary to use as external broker.
pub async fn measure(
    sizes: &Sizes,
    pg: Option<&str>,
    mosquitto: Option<&str>,
) -> anyhow::Result<IngestNumbers> {
    let dir = tempfile::tempdir()?;
    let (url, pg_name) = fresh_database(dir.path(), pg).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("ingest").await?;
    let ccus = seeder
        .ccus(
            user,
            "I",
            sizes.ingest_ccus,
            sizes.ingest_outlets,
            Transport::Mqtt,
            0xFE,
        )
        .await?;
    seeder.close().await;
    let external = match mosquitto {
        Some(bin) => Some(Mosquitto::start(bin, dir.path()).await?),
        None => None,
    };
    let opts = ServerOpts {
        database_url: url.clone(),
        external_broker: external.as_ref().map(|m| ("127.0.0.1".to_string(), m.port)),
        history_interval_s: 0,
        instance_id: String::new(),
    };
    let server = Server::start(dir.path(), &opts).await?;
    let result = drive(sizes, &server, &ccus).await;
    server.stop().await;
    if let Some(m) = external {
        m.stop().await;
    }
    let mut n = result?;
    n.stored = count_rows(&url).await?;
    n.database = if pg.is_some() { "postgres" } else { "sqlite" }.into();
    n.broker = if mosquitto.is_some() {
        "mosquitto"
    } else {
        "embedded"
    }
    .into();
    if let (Some(admin), Some(name)) = (pg, pg_name) {
        drop_database(admin, &name).await;
    }
    Ok(n)
}

async fn drive(
    sizes: &Sizes,
    server: &Server,
    ccus: &[crate::seed::SeedCcu],
) -> anyhow::Result<IngestNumbers> {
    let mut clients = Vec::new();
    for c in ccus {
        clients.push(MqttCcu::connect(server.mqtt, &c.id, &c.secret, false).await?);
    }
    let before = server.counters().await?;
    let cpu0 = server.cpu_seconds();
    let published = Arc::new(AtomicU64::new(0));
    let taken = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + sizes.ingest_duration;
    let monitor = {
        let (taken, http) = (taken.clone(), server.client.clone());
        let url = server.url("/status");
        let base = before.accepted + before.rejects;
        tokio::spawn(async move {
            loop {
                if let Ok(r) = http.get(&url).send().await
                    && let Ok(v) = r.json::<serde_json::Value>().await
                {
                    let c = Counters::from_metrics(&v["metrics"]);
                    taken.store((c.accepted + c.rejects).saturating_sub(base), Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let window = WINDOW * ccus.len() as u64;
    let mut tasks = Vec::new();
    for (client, seed) in clients.into_iter().zip(ccus) {
        let devices: Vec<String> = seed.outlets.iter().map(|(_, d)| d.clone()).collect();
        let (published, taken) = (published.clone(), taken.clone());
        tasks.push(tokio::spawn(async move {
            let mut k: i64 = 0;
            'publishing: while Instant::now() < deadline {
                while published.load(Relaxed) > taken.load(Relaxed) + window {
                    if Instant::now() >= deadline {
                        break 'publishing;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                for d in &devices {
                    let payload = reading(d, 200 + k % 3000, 150 + (k * 7) % 2000);
                    if client.publish("sensor", payload).await.is_err() {
                        break 'publishing;
                    }
                    published.fetch_add(1, Relaxed);
                    k += 1;
                }
            }
            // handed back: a client still has queued publishes to send
            client
        }));
    }
    let mut last = before;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let c = server.counters().await?;
        progress(&format!(
            "  published {} accepted {} (+{}/s) stored {}",
            published.load(Relaxed),
            c.accepted - before.accepted,
            c.accepted - last.accepted,
            c.stored - before.stored
        ));
        last = c;
    }
    let mut clients = Vec::with_capacity(tasks.len());
    for t in tasks {
        clients.extend(t.await.ok());
    }
    monitor.abort();
    let published = published.load(Relaxed);
    let (accepted_at, after_accept) = settle(server, &before, start, |c, b| {
        c.accepted + c.rejects - b.accepted - b.rejects >= published
    })
    .await?;
    let (stored_at, after) = settle(server, &before, start, |c, _| {
        c.stored >= after_accept.accepted
    })
    .await?;
    drop(clients);
    let cpu = server.cpu_seconds() - cpu0;
    let (_, peak) = server.memory();
    let accepted = after.accepted - before.accepted;
    let rejected = after.rejects - before.rejects;
    Ok(IngestNumbers {
        database: String::new(),
        broker: String::new(),
        ccus: ccus.len(),
        outlets_per_ccu: sizes.ingest_outlets,
        published,
        accepted,
        rejected,
        lost: published.saturating_sub(accepted + rejected),
        stored: after.stored - before.stored,
        accepted_per_s: rate(accepted, accepted_at),
        stored_per_s: rate(after.stored - before.stored, stored_at),
        server_cpu_cores: (cpu / stored_at * 100.0).round() / 100.0,
        server_peak_rss_mib: mib(peak),
    })
}

/// Polls the counters until `done` (or until they stop moving for 5 s); returns the seconds
/// since `start` at which the last change was seen, and the counters.
async fn settle(
    server: &Server,
    before: &Counters,
    start: Instant,
    done: impl Fn(&Counters, &Counters) -> bool,
) -> anyhow::Result<(f64, Counters)> {
    let mut last = server.counters().await?;
    let mut last_change = start.elapsed().as_secs_f64();
    let mut still = Instant::now();
    loop {
        if done(&last, before) || still.elapsed() > Duration::from_secs(5) {
            return Ok((last_change, last));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let c = server.counters().await?;
        if (c.accepted, c.stored, c.rejects) != (last.accepted, last.stored, last.rejects) {
            last_change = start.elapsed().as_secs_f64();
            still = Instant::now();
        }
        last = c;
    }
}

async fn count_rows(url: &str) -> anyhow::Result<u64> {
    let db = sea_orm::Database::connect(url).await?;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM sensor_readings",
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    let _ = db.close().await;
    Ok(n as u64)
}
