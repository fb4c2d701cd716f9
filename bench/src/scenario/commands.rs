//! Scenario 2: relay commands through the REST API to a connected CCU: API → CCU delivery and
//! API → acknowledged state on a WebSocket, over MQTT and over the old firmware's HTTP loop
//! (`legacy_commands`).

use super::{Outcome, legacy_commands, progress};
use crate::api::Api;
use crate::mqtt_ccu::MqttCcu;
use crate::probe;
use crate::profile::Sizes;
use crate::seed::{Seeder, fresh_database};
use crate::server::{Server, ServerOpts};
use crate::stats::Percentiles;
use backend::domain::Transport;
use ccu_sim::{BrokerAddr, DeviceId, SimCcu, SimCcuConfig};
use rumqttc::QoS;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

/// Commands through the simulated CCU (real core, simulated RF), at most.
const SIM_COMMANDS: usize = 200;

/// Outlets of the legacy CCU: the firmware's table is full.
const LEGACY_OUTLETS: usize = 8;

/// Runs the three paths.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, _) = fresh_database(dir.path(), None).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("commands").await?;
    let fast = seeder.ccus(user, "C", 1, 1, Transport::Mqtt, 0xFE).await?;
    let sim = seeder.ccus(user, "S", 1, 1, Transport::Mqtt, 0xFE).await?;
    let legacy = seeder
        .ccus(user, "L", 1, LEGACY_OUTLETS, Transport::Http, 0xA0)
        .await?;
    seeder.close().await;
    let server = Server::start(dir.path(), &ServerOpts::embedded(url)).await?;
    let result = measure(sizes, &server, &fast[0], &sim[0], &legacy[0]).await;
    server.stop().await;
    result
}

async fn measure(
    sizes: &Sizes,
    server: &Server,
    fast: &crate::seed::SeedCcu,
    sim: &crate::seed::SeedCcu,
    legacy: &crate::seed::SeedCcu,
) -> anyhow::Result<Outcome> {
    let api = Api::login(server, "commands").await?;
    let mut ws = probe::connect(server.http, &api.token).await?;

    // MQTT: a CCU that acks at once, so the numbers are the server's and the broker's.
    let mut delivered = acking_ccu(server, fast).await?;
    wait_online(server, &api, &fast.id).await?;
    let (deliver, acked) = round_trips(
        &api,
        &mut ws,
        &mut delivered,
        fast.outlets[0].0,
        sizes.commands,
    )
    .await?;
    let mqtt_deliver = Percentiles::of(&deliver);
    let mqtt_acked = Percentiles::of(&acked);
    progress(&format!("  MQTT delivery {}", mqtt_deliver.show()));

    // The simulated CCU: the real core with simulated RF (two 8.3 ms frames per command).
    let config = SimCcuConfig::new(&sim.id, &sim.secret, BrokerAddr::from(server.mqtt))
        .with_device_ids([DeviceId(0xFE)])
        .fast();
    let sim_ccu = SimCcu::start(config)?;
    timeout(
        Duration::from_secs(20),
        sim_ccu.wait_until(|s| s.connected && s.outlets == 1),
    )
    .await??;
    wait_online(server, &api, &sim.id).await?;
    let mut sim_acked = Vec::new();
    for i in 0..sizes.commands.min(SIM_COMMANDS) {
        let t0 = Instant::now();
        let id = api.relay(sim.outlets[0].0, i % 2 == 0, "b").await?;
        sim_acked.push(wait_ok(&mut ws, &id).await? - t0);
    }
    let _ = sim_ccu.stop().await;
    let sim_acked = Percentiles::of(&sim_acked);

    // The old firmware's loop: a command waits for its outlet's next read.
    let legacy = legacy_commands::measure(sizes, server, &api, &mut ws, legacy).await?;
    let ratio = |a: f64, b: f64| if b > 0.0 { (a / b).round() } else { 0.0 };
    let over_mqtt = |c: &legacy_commands::Class| {
        let p = c.delivery_ms;
        (
            ratio(p.p50, mqtt_deliver.p50),
            ratio(p.p99, mqtt_deliver.p99),
        )
    };
    let (viewed_p50, viewed_p99) = over_mqtt(&legacy.viewed);
    let (other_p50, other_p99) = over_mqtt(&legacy.other);
    let missed = |c: &legacy_commands::Class| {
        if c.undelivered + c.unconfirmed == 0 {
            String::new()
        } else {
            format!(
                "; of {}: {} not executed, {} not confirmed within {} s",
                c.sent, c.undelivered, c.unconfirmed, legacy.timeout_s
            )
        }
    };
    let mut rows = vec![
        ("MQTT: API -> CCU".into(), mqtt_deliver.show()),
        ("MQTT: API -> acked on WebSocket".into(), mqtt_acked.show()),
        ("ccu-sim (RF): API -> acked on WS".into(), sim_acked.show()),
        (
            "legacy CCU (HTTP loop)".into(),
            format!(
                "{LEGACY_OUTLETS} outlets, 2 s cycle, 30 s round robin, one viewed; {} requests per cycle over {} cycles, {} failed",
                legacy.requests_per_cycle, legacy.cycles, legacy.failed_requests
            ),
        ),
    ];
    for (name, c, p50, p99) in [
        ("viewed outlet", &legacy.viewed, viewed_p50, viewed_p99),
        ("other outlet", &legacy.other, other_p50, other_p99),
    ] {
        rows.push((
            format!("legacy, {name}: API -> CCU"),
            format!("{}{}", c.delivery_ms.show(), missed(c)),
        ));
        rows.push((
            format!("legacy, {name}: API -> confirmed on WS"),
            c.acked_ms.show(),
        ));
        rows.push((
            format!("legacy {name} / MQTT delivery"),
            format!("{p50}x at p50, {p99}x at p99"),
        ));
    }
    Ok(Outcome {
        rows,
        numbers: json!({
            "mqtt_delivery_ms": mqtt_deliver, "mqtt_acked_ms": mqtt_acked,
            "sim_acked_ms": sim_acked,
            "legacy": legacy,
            "legacy_viewed_over_mqtt_p50": viewed_p50, "legacy_viewed_over_mqtt_p99": viewed_p99,
            "legacy_other_over_mqtt_p50": other_p50, "legacy_other_over_mqtt_p99": other_p99,
        }),
    })
}

/// Connects an MQTT CCU that acknowledges every command at once (so the numbers are the
/// server's and the broker's); yields `(command id, delivered at)` for each.
pub(super) async fn acking_ccu(
    server: &Server,
    seed: &crate::seed::SeedCcu,
) -> anyhow::Result<mpsc::UnboundedReceiver<(String, Instant)>> {
    let mut ccu = MqttCcu::connect(server.mqtt, &seed.id, &seed.secret, true).await?;
    let (delivered_tx, delivered) = mpsc::unbounded_channel();
    let client = ccu.client.clone();
    let ack_topic = format!("ccu/{}/ack", seed.id);
    tokio::spawn(async move {
        while let Some((_, payload, at)) = ccu.incoming.recv().await {
            let v: Value = serde_json::from_slice(&payload).unwrap_or_default();
            let id = v["id"].as_str().unwrap_or_default().to_string();
            let ack = json!({"id": id, "status": "ok"}).to_string();
            let _ = client
                .publish(&ack_topic, QoS::AtLeastOnce, false, ack)
                .await;
            let _ = delivered_tx.send((id, at));
        }
    });
    Ok(delivered)
}

/// `n` relay commands to `outlet` of an [`acking_ccu`], one after the other: for each, API ->
/// delivered to the CCU, and API -> `ok` on the WebSocket.
pub(super) async fn round_trips(
    api: &Api,
    ws: &mut mpsc::UnboundedReceiver<(Value, Instant)>,
    delivered: &mut mpsc::UnboundedReceiver<(String, Instant)>,
    outlet: i32,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let (mut deliver, mut acked) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t0 = Instant::now();
        let id = api.relay(outlet, i % 2 == 0, "a").await?;
        let (got, at) = timeout(Duration::from_secs(10), delivered.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("CCU gone"))?;
        anyhow::ensure!(got == id, "delivered {got}, expected {id}");
        deliver.push(at - t0);
        acked.push(wait_ok(ws, &id).await? - t0);
    }
    Ok((deliver, acked))
}

/// Waits for the command's `ok` on the WebSocket; returns when it arrived.
async fn wait_ok(
    ws: &mut mpsc::UnboundedReceiver<(Value, Instant)>,
    id: &str,
) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (v, at) = tokio::time::timeout_at(deadline, ws.recv())
            .await
            .map_err(|_| anyhow::anyhow!("no ok for command {id} on the WebSocket"))?
            .ok_or_else(|| anyhow::anyhow!("WebSocket closed"))?;
        if v["type"] == "command" && v["command"]["id"] == id {
            match v["command"]["status"].as_str() {
                Some("ok") => return Ok(at),
                Some("failed" | "timed_out" | "expired") => {
                    anyhow::bail!("command {id}: {}", v["command"]["status"])
                }
                _ => {}
            }
        }
    }
}

/// Waits until the API shows the CCU online (commands are then published at once).
pub(super) async fn wait_online(server: &Server, api: &Api, ccu: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v: Value = client
            .get(server.url(&format!("/api/v1/ccus/{ccu}")))
            .bearer_auth(&api.token)
            .send()
            .await?
            .json()
            .await?;
        if v["online"] == true {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "CCU {ccu} never came online");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
