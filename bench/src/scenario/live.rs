//! Scenario 3: a reading published by a CCU to a WebSocket client, with many clients
//! connected and a background ingest (of other users' CCUs) running.

use super::{Outcome, progress, rate};
use crate::api::Api;
use crate::mqtt_ccu::{MqttCcu, reading};
use crate::probe;
use crate::profile::Sizes;
use crate::seed::{Seeder, fresh_database};
use crate::server::{Server, ServerOpts};
use crate::stats::Percentiles;
use backend::domain::Transport;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};

/// Background CCUs (8 outlets each).
const BACKGROUND_CCUS: usize = 4;
/// Probe readings per second.
const PROBE_HZ: u64 = 20;

/// Runs it.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, _) = fresh_database(dir.path(), None).await?;
    let seeder = Seeder::open(&url).await?;
    let watcher = seeder.user("live").await?;
    let city = seeder.user("city").await?;
    let probe_ccu = seeder
        .ccus(watcher, "P", 1, 1, Transport::Mqtt, 0xFE)
        .await?;
    let background = seeder
        .ccus(city, "B", BACKGROUND_CCUS, 8, Transport::Mqtt, 0xFE)
        .await?;
    seeder.close().await;
    let server = Server::start(dir.path(), &ServerOpts::embedded(url)).await?;
    let result = measure(sizes, &server, &probe_ccu[0], &background).await;
    server.stop().await;
    result
}

type Sent = Arc<Mutex<HashMap<i64, Instant>>>;

async fn measure(
    sizes: &Sizes,
    server: &Server,
    probe_ccu: &crate::seed::SeedCcu,
    background: &[crate::seed::SeedCcu],
) -> anyhow::Result<Outcome> {
    let api = Api::login(server, "live").await?;
    let sent: Sent = Arc::default();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for _ in 0..sizes.ws_clients {
        let mut rx = probe::connect(server.http, &api.token).await?;
        let (sent, latencies) = (sent.clone(), latencies.clone());
        clients.push(tokio::spawn(async move {
            while let Some((v, at)) = rx.recv().await {
                if v["type"] != "reading" {
                    continue;
                }
                let Some(seq) = v["current_a"].as_i64() else {
                    continue;
                };
                let t0 = sent
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&seq)
                    .copied();
                if let Some(t0) = t0 {
                    latencies
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(at - t0);
                }
            }
        }));
    }

    // Background load from another user's CCUs, spread over 10 ms ticks.
    let before = server.counters().await?;
    let per_tick = (sizes.background_rate / 100 / BACKGROUND_CCUS as u64).max(1);
    let mut load = Vec::new();
    for c in background {
        let ccu = MqttCcu::connect(server.mqtt, &c.id, &c.secret, false).await?;
        let devices: Vec<String> = c.outlets.iter().map(|(_, d)| d.clone()).collect();
        load.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            let mut k = 0usize;
            loop {
                tick.tick().await;
                for _ in 0..per_tick {
                    let d = &devices[k % devices.len()];
                    k += 1;
                    if ccu.publish("sensor", reading(d, 500, 300)).await.is_err() {
                        return;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The probe: unique currents identify each reading.
    let probe = MqttCcu::connect(server.mqtt, &probe_ccu.id, &probe_ccu.secret, false).await?;
    let device = probe_ccu.outlets[0].1.clone();
    let t_start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / PROBE_HZ));
    for i in 0..sizes.probes as i64 {
        tick.tick().await;
        let seq = 1_000 + i;
        sent.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(seq, Instant::now());
        probe.publish("sensor", reading(&device, seq, 0)).await?;
    }
    let want = sizes.probes * sizes.ws_clients;
    let deadline = Instant::now() + Duration::from_secs(5);
    while latencies.lock().unwrap_or_else(|e| e.into_inner()).len() < want
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = t_start.elapsed().as_secs_f64() + 1.0;
    let after = server.counters().await?;
    for t in load.into_iter().chain(clients) {
        t.abort();
    }
    let lat = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let p = Percentiles::of(&lat);
    let background_rate = rate(after.accepted - before.accepted, elapsed);
    progress(&format!(
        "  {} of {want} probe deliveries, {}",
        lat.len(),
        p.show()
    ));
    let rows = vec![
        (
            "setup".into(),
            format!(
                "{} WebSocket clients, background {} readings/s (target {})",
                sizes.ws_clients, background_rate, sizes.background_rate
            ),
        ),
        ("reading -> WebSocket".into(), p.show()),
        (
            "delivered".into(),
            format!("{} of {want} (client x probe)", lat.len()),
        ),
    ];
    Ok(Outcome {
        rows,
        numbers: json!({
            "ws_clients": sizes.ws_clients, "background_per_s": background_rate,
            "latency_ms": p, "delivered": lat.len(), "expected": want,
        }),
    })
}
