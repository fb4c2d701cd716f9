//! Scenario "instances" (issue 16): the same device load on one server instance, then on two
//! in one shared group of one Mosquitto and on one PostgreSQL database (`src/cluster.rs`).
//! Every reading is kept (`history.interval = "0s"`) and carries its own `ts`, so the database
//! tells how many were stored, how many twice (`duplicates`), and how many the broker
//! acknowledged to the CCUs but nobody stored (`lost`).
//!
//! Each run: a fresh database and broker; a probe CCU publishes until every instance has
//! received a reading (each is then subscribed to the group; its readings are left out of the
//! counts); then the CCUs publish at a paced rate, then as fast as the instances take them
//! (`stamped.rs`); then the bench waits for every PUBACK and every write.

use super::instances_numbers::{InstanceNumbers, RunNumbers};
use super::instances_snapshot::{Counts, Snapshot, postgres_port};
use super::stamped::{Phases, StampedLoad};
use super::{Outcome, mib, progress};
use crate::cluster::{Cluster, total};
use crate::cpu;
use crate::mqtt_ccu::{MqttCcu, now_ms, reading_at};
use crate::profile::Sizes;
use crate::seed::{SeedCcu, Seeder, drop_database, fresh_database};
use crate::server::Counters;
use backend::domain::Transport;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::time::Instant;

/// Outlets per publishing CCU.
const OUTLETS: usize = 8;
/// How long the last PUBACKs, and then the last writes, may take once the load stops.
const SETTLE: Duration = Duration::from_secs(60);
/// The `/metrics` counters reported per instance (those that are not 0).
const METRICS: &[&str] = &[
    "readings_ingested",
    "rejects",
    "history_rows",
    "history_batches",
    "history_errors",
    "ingest_failures",
];

/// One instance, then two; the ratio of what they stored at full speed.
pub async fn run(
    sizes: &Sizes,
    pg: &str,
    mosquitto: &str,
    inflight: u32,
) -> anyhow::Result<Outcome> {
    let one = measure(sizes, pg, (mosquitto, inflight), 1).await?;
    let two = measure(sizes, pg, (mosquitto, inflight), 2).await?;
    let ratio = if one.max.stored_per_s > 0.0 {
        (two.max.stored_per_s / one.max.stored_per_s * 100.0).round() / 100.0
    } else {
        0.0
    };
    let mut rows = vec![(
        "setup".to_string(),
        format!(
            "{} CCUs x {OUTLETS} outlets, QoS 1, Mosquitto (shared group, {inflight} in flight \
             to each instance), PostgreSQL, history interval 0",
            one.ccus
        ),
    )];
    rows.extend(one.rows());
    rows.extend(two.rows());
    rows.push((
        "2 / 1 instances, stored/s at max rate".into(),
        format!("{ratio}x"),
    ));
    Ok(Outcome {
        rows,
        numbers: json!({"one": one, "two": two, "max_stored_ratio": ratio,
            "mosquitto_inflight": inflight}),
    })
}

/// One run with `n` instances on a fresh database and broker (`(binary, in flight)`).
async fn measure(
    sizes: &Sizes,
    pg: &str,
    (bin, inflight): (&str, u32),
    n: usize,
) -> anyhow::Result<RunNumbers> {
    let load_average = cpu::load_average();
    progress(&format!(
        "  {n} instance(s), load average {load_average:.1}"
    ));
    let dir = tempfile::tempdir()?;
    let (url, name) = fresh_database(dir.path(), Some(pg)).await?;
    let result = async {
        let seeder = Seeder::open(&url).await?;
        let user = seeder.user("instances").await?;
        let ccus = seeder
            .ccus(
                user,
                "N",
                sizes.instances_ccus,
                OUTLETS,
                Transport::Mqtt,
                0xFE,
            )
            .await?;
        let probe = seeder.ccus(user, "W", 1, 1, Transport::Mqtt, 0xFE).await?;
        seeder.close().await;
        let db = sea_orm::Database::connect(&url).await?;
        let mut cluster = Cluster::start(bin, dir.path(), &url, n, inflight).await?;
        let counts = Counts {
            db: &db,
            probe_outlet: probe[0].outlets[0].0,
            postmaster: cpu::listener_pid(postgres_port(pg)),
        };
        let result = match drive(sizes, &cluster, &counts, &ccus, &probe[0]).await {
            Ok(n) => recover(n, &mut cluster, &counts).await,
            Err(e) => Err(e),
        };
        // stopped gracefully: anything still in a writer's batch is committed first
        cluster.stop().await;
        let mut n = result?;
        n.load_average_before = load_average;
        let (stored, distinct) = counts.rows_and_distinct().await?;
        let _ = db.close().await;
        n.stored = stored;
        n.distinct_stored = distinct;
        n.duplicates = stored - distinct;
        n.lost = n.acked.saturating_sub(distinct);
        anyhow::Ok(n)
    }
    .await;
    if let Some(name) = name {
        drop_database(pg, &name).await;
    }
    result
}

/// Readings the broker acknowledged but no instance stored once the load had settled
/// (`stuck`): the instances are restarted, so that each resumes its broker session and gets
/// what the session still holds, and the bench waits for the rows (until every acknowledged
/// reading is stored, or nothing changes for 5 s).
async fn recover(
    mut n: RunNumbers,
    cluster: &mut Cluster,
    counts: &Counts<'_>,
) -> anyhow::Result<RunNumbers> {
    let (_, mut last) = counts.rows_and_distinct().await?;
    n.stuck = n.acked.saturating_sub(last);
    if n.stuck == 0 {
        return Ok(n);
    }
    progress(&format!(
        "  {} acknowledged readings not stored: restarting the instances",
        n.stuck
    ));
    cluster.restart().await?;
    n.restarted = true;
    let mut changed = Instant::now();
    while last < n.acked && changed.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (_, distinct) = counts.rows_and_distinct().await?;
        if distinct != last {
            (last, changed) = (distinct, Instant::now());
        }
    }
    Ok(n)
}

async fn drive(
    sizes: &Sizes,
    cluster: &Cluster,
    counts: &Counts<'_>,
    ccus: &[SeedCcu],
    probe: &SeedCcu,
) -> anyhow::Result<RunNumbers> {
    let warmed = warm_up(cluster, probe).await?;
    let base = total(&cluster.counters().await?);
    let acked = Arc::new(AtomicU64::new(0));
    let phases = Phases {
        rate: sizes.instances_rate,
        paced: sizes.instances_paced,
        max: sizes.instances_max,
    };
    let load = StampedLoad::start(cluster.mqtt, ccus, phases, &acked).await?;
    let monitor = keep_taken(cluster, base, load.taken.clone());
    let s0 = Snapshot::take(cluster, counts, &load).await?;
    let paced_end = load.started + phases.paced;
    report_until(cluster, &load, &acked, paced_end).await?;
    let s1 = Snapshot::take(cluster, counts, &load).await?;
    report_until(cluster, &load, &acked, paced_end + phases.max).await?;
    let s2 = Snapshot::take(cluster, counts, &load).await?;
    let (published, paced) = (load.published.clone(), load.paced_published.clone());
    let clients = load.finish().await;
    let (published, paced) = (published.load(Relaxed), paced.load(Relaxed));

    // Every PUBACK in, then every reading taken and written.
    let deadline = Instant::now() + SETTLE;
    while acked.load(Relaxed) < published && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (drained_at, end) = settle(cluster, base, published).await?;
    drop(clients);
    drop(warmed);
    monitor.abort();

    let per = cluster.counters().await?;
    let metrics = cluster.metrics(METRICS).await?;
    let taken = end.accepted + end.rejects - base.accepted - base.rejects;
    let per_instance = cluster
        .servers
        .iter()
        .zip(&per)
        .enumerate()
        .map(|(i, (server, c))| InstanceNumbers {
            id: format!("bench-{}", i + 1),
            accepted: c.accepted,
            stored: c.stored,
            share_pct: share(c.accepted, end.accepted),
            cpu_cores: s1.cores(s2.servers[i] - s1.servers[i], &s2),
            peak_rss_mib: mib(server.memory().1),
        })
        .collect();
    let acked = acked.load(Relaxed);
    Ok(RunNumbers {
        instances: cluster.servers.len(),
        ccus: ccus.len(),
        outlets_per_ccu: OUTLETS,
        paced: s0.phase(&s1, sizes.instances_rate, Some(paced)),
        max: s1.phase(&s2, 0, Some(published - paced)),
        drain_s: ((drained_at - s2.at).as_secs_f64().max(0.0) * 10.0).round() / 10.0,
        published,
        acked,
        unacknowledged: published.saturating_sub(acked),
        accepted: end.accepted - base.accepted,
        rejected: end.rejects - base.rejects,
        redelivered: taken.saturating_sub(published),
        stuck: 0,
        restarted: false,
        stored: 0,
        distinct_stored: 0,
        duplicates: 0,
        lost: 0,
        per_instance,
        cpu_max_phase: s1.cpu_to(&s2),
        load_average_before: 0.0,
        metrics,
    })
}

/// A probe CCU publishes a reading every 20 ms until every instance has received one (each
/// is then subscribed), and until every probe reading is acknowledged and taken (or the count
/// stands still for 500 ms: one published before any instance subscribed is gone). Returns
/// the probe's client (kept until the end: its session stays quiet).
async fn warm_up(cluster: &Cluster, probe: &SeedCcu) -> anyhow::Result<MqttCcu> {
    let acked = Arc::new(AtomicU64::new(0));
    let client = MqttCcu::connect_counting(
        cluster.mqtt,
        &probe.id,
        &probe.secret,
        false,
        Some(acked.clone()),
    )
    .await?;
    let device = &probe.outlets[0].1;
    let deadline = Instant::now() + SETTLE;
    let (mut sent, mut ts) = (0u64, 0u64);
    while !cluster.counters().await?.iter().all(|c| c.accepted > 0) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "not every instance received a reading within {} s (not subscribed to the group?)",
            SETTLE.as_secs()
        );
        ts = now_ms().max(ts + 1);
        client
            .publish("sensor", reading_at(device, 100, 100, ts))
            .await?;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (mut last, mut still) = (0, Instant::now());
    loop {
        let taken = total(&cluster.counters().await?).accepted;
        if acked.load(Relaxed) >= sent && taken >= sent {
            break;
        }
        if taken != last {
            (last, still) = (taken, Instant::now());
        } else if still.elapsed() > Duration::from_millis(500) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    progress(&format!(
        "  every instance subscribed ({sent} probe readings)"
    ));
    Ok(client)
}

/// Keeps `taken` at the readings the instances have taken since `base` (every 10 ms).
fn keep_taken(
    cluster: &Cluster,
    base: Counters,
    taken: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    let servers: Vec<(reqwest::Client, String)> = cluster
        .servers
        .iter()
        .map(|s| (s.client.clone(), s.url("/status")))
        .collect();
    tokio::spawn(async move {
        loop {
            let mut sum = 0;
            for (http, url) in &servers {
                if let Ok(r) = http.get(url).send().await
                    && let Ok(v) = r.json::<serde_json::Value>().await
                {
                    let c = Counters::from_metrics(&v["metrics"]);
                    sum += c.accepted + c.rejects;
                }
            }
            taken.store(sum.saturating_sub(base.accepted + base.rejects), Relaxed);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

/// A progress line every second until `until`.
async fn report_until(
    cluster: &Cluster,
    load: &StampedLoad,
    acked: &AtomicU64,
    until: Instant,
) -> anyhow::Result<()> {
    while Instant::now() < until {
        tokio::time::sleep_until(until.min(Instant::now() + Duration::from_secs(1))).await;
        let per = cluster.counters().await?;
        let t = total(&per);
        let split: Vec<String> = per.iter().map(|c| c.accepted.to_string()).collect();
        progress(&format!(
            "  published {} acked {} accepted {} ({}) stored {}",
            load.published.load(Relaxed),
            acked.load(Relaxed),
            t.accepted,
            split.join(" + "),
            t.stored
        ));
    }
    Ok(())
}

/// Polls the counters until every published reading is taken and every accepted one
/// written (or nothing moves for 5 s); returns when the last change was seen, and the totals.
async fn settle(
    cluster: &Cluster,
    base: Counters,
    published: u64,
) -> anyhow::Result<(Instant, Counters)> {
    let mut last = total(&cluster.counters().await?);
    let (mut changed, deadline) = (Instant::now(), Instant::now() + SETTLE);
    loop {
        let taken = last.accepted + last.rejects - base.accepted - base.rejects;
        let done = taken >= published && last.stored >= last.accepted;
        if done || changed.elapsed() > Duration::from_secs(5) || Instant::now() > deadline {
            return Ok((changed, last));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let c = total(&cluster.counters().await?);
        if (c.accepted, c.stored, c.rejects) != (last.accepted, last.stored, last.rejects) {
            changed = Instant::now();
        }
        last = c;
    }
}

fn share(part: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        (part as f64 / all as f64 * 1000.0).round() / 10.0
    }
}
