//! Scenario 8: command latency under ingest load. The MQTT round trip of `commands` (REST
//! relay command -> CCU -> ack -> `ok` on the WebSocket), measured idle and then while other
//! users' CCUs publish a paced background load, with the rate the server actually took.

use super::commands::{acking_ccu, round_trips, wait_online};
use super::load::Load;
use super::{Outcome, progress, rate};
use crate::api::Api;
use crate::probe;
use crate::profile::Sizes;
use crate::seed::{SeedCcu, Seeder, fresh_database};
use crate::server::{Server, ServerOpts};
use crate::stats::Percentiles;
use backend::domain::Transport;
use serde_json::json;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};

/// Background CCUs (8 outlets each).
const BACKGROUND_CCUS: usize = 8;
/// Share of the target rate the server must take for the load to count as achieved.
const ACHIEVED: f64 = 0.95;

/// Runs it.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, _) = fresh_database(dir.path(), None).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("commands").await?;
    let city = seeder.user("city").await?;
    let fast = seeder.ccus(user, "C", 1, 1, Transport::Mqtt, 0xFE).await?;
    let background = seeder
        .ccus(city, "B", BACKGROUND_CCUS, 8, Transport::Mqtt, 0xFE)
        .await?;
    seeder.close().await;
    let server = Server::start(dir.path(), &ServerOpts::embedded(url)).await?;
    let result = measure(sizes, &server, &fast[0], &background).await;
    server.stop().await;
    result
}

async fn measure(
    sizes: &Sizes,
    server: &Server,
    fast: &SeedCcu,
    background: &[SeedCcu],
) -> anyhow::Result<Outcome> {
    let api = Api::login(server, "commands").await?;
    let mut ws = probe::connect(server.http, &api.token).await?;
    let mut delivered = acking_ccu(server, fast).await?;
    wait_online(server, &api, &fast.id).await?;
    let outlet = fast.outlets[0].0;
    let n = sizes.load_commands;

    let (deliver, acked) = round_trips(&api, &mut ws, &mut delivered, outlet, n).await?;
    let (idle_deliver, idle_acked) = (Percentiles::of(&deliver), Percentiles::of(&acked));
    progress(&format!("  idle: API -> acked {}", idle_acked.show()));

    // The background load, until the server has taken a quarter second of it.
    let before = server.counters().await?;
    let load = Load::start(server, background, sizes.load_rate).await?;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let ramp = Instant::now() + Duration::from_secs(10);
    loop {
        tick.tick().await;
        let c = server.counters().await?;
        if c.accepted - before.accepted >= sizes.load_rate / 4 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < ramp,
            "the background load did not reach the server within 10 s"
        );
    }
    let (c0, p0, t0) = (
        server.counters().await?,
        load.published.load(Relaxed),
        Instant::now(),
    );
    let result = round_trips(&api, &mut ws, &mut delivered, outlet, n).await;
    let (c1, p1, secs) = (
        server.counters().await?,
        load.published.load(Relaxed),
        t0.elapsed().as_secs_f64(),
    );
    let (clients, _) = load.stop().await;
    drop(clients);
    let (deliver, acked) = result?;
    let (loaded_deliver, loaded_acked) = (Percentiles::of(&deliver), Percentiles::of(&acked));
    let accepted_per_s = rate(c1.accepted - c0.accepted, secs);
    let published_per_s = rate(p1 - p0, secs);
    let achieved = accepted_per_s >= ACHIEVED * sizes.load_rate as f64;
    progress(&format!(
        "  under {accepted_per_s} readings/s: API -> acked {}",
        loaded_acked.show()
    ));
    let rows = vec![
        (
            "setup".into(),
            format!(
                "{n} commands idle, then {n} under a background load of {BACKGROUND_CCUS} CCUs x 8 outlets (another user's), target {} readings/s",
                sizes.load_rate
            ),
        ),
        (
            "background achieved".into(),
            format!(
                "{} ({accepted_per_s} readings/s taken by the server, {published_per_s} published, over {secs:.1} s)",
                if achieved {
                    "yes".to_string()
                } else {
                    format!("NO (under {:.0} % of the target)", ACHIEVED * 100.0)
                }
            ),
        ),
        ("idle: API -> CCU".into(), idle_deliver.show()),
        ("idle: API -> acked on WebSocket".into(), idle_acked.show()),
        ("loaded: API -> CCU".into(), loaded_deliver.show()),
        (
            "loaded: API -> acked on WebSocket".into(),
            loaded_acked.show(),
        ),
    ];
    Ok(Outcome {
        rows,
        numbers: json!({
            "commands": n,
            "background_target_per_s": sizes.load_rate,
            "background_accepted_per_s": accepted_per_s,
            "background_published_per_s": published_per_s,
            "background_achieved": achieved,
            "measured_s": (secs * 100.0).round() / 100.0,
            "idle_delivery_ms": idle_deliver, "idle_acked_ms": idle_acked,
            "loaded_delivery_ms": loaded_deliver, "loaded_acked_ms": loaded_acked,
        }),
    })
}
