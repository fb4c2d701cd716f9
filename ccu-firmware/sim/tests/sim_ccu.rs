//! A simulated CCU (core + runner + simulated PICs) against a fake server, in paused time.

mod common;

use ccu_sim::{BrokerAddr, DeviceId, SimCcu, SimCcuConfig, Socket, device_ids};
use common::{Server, fake};
use serde_json::{Value, json};
use std::time::Duration;

const FE: DeviceId = DeviceId(0xFE);
const FD: DeviceId = DeviceId(0xFD);
const DEVICES: &str =
    r#"{"devices":[{"device_id":"FE","threshold_ma":0},{"device_id":"FD","threshold_ma":0}]}"#;

async fn start(loss_rate: f64) -> (SimCcu, Server) {
    let mut config = SimCcuConfig::new("02", "secret", BrokerAddr::new("unused", 1))
        .with_device_ids(device_ids(2))
        .fast();
    config.rf.loss_rate = loss_rate;
    config.rf.seed = 7;
    let (uplink, events, server) = fake();
    let ccu = SimCcu::start_with(config, uplink, events).unwrap();
    server.send("ccu/02/devices", DEVICES);
    within(ccu.wait_until(|s| s.connected && s.outlets == 2))
        .await
        .unwrap();
    (ccu, server)
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("deadline")
}

fn ack_status(server: &Server, id: &str) -> Option<String> {
    server
        .on("/ack")
        .into_iter()
        .find(|p| p.payload["id"] == id)
        .map(|p| p.payload["status"].as_str().unwrap().to_string())
}

fn command(id: &str, device: &str, kind: &str, socket: &str) -> String {
    json!({"id": id, "device_id": device, "command": kind, "socket": socket, "value": null})
        .to_string()
}

#[tokio::test(start_paused = true)]
async fn relay_commands_switch_the_simulated_relays_and_are_acked() {
    let (ccu, server) = start(0.0).await;
    let status = server.on("/status");
    assert_eq!(status[0].payload["online"], true);
    assert!(status[0].retain);
    assert_eq!(ccu.relays(FD).unwrap(), (false, false), "OFF at boot");

    server.send("ccu/02/cmd", &command("c1", "FD", "relay_on", "b"));
    server.send("ccu/02/cmd", &command("c2", "FE", "relay_on", "a"));
    server.send("ccu/02/cmd", &command("c3", "77", "relay_on", "a"));
    for (id, want) in [("c1", "ok"), ("c2", "ok"), ("c3", "failed")] {
        let got = server.wait_for(id, |s| ack_status(s, id)).await;
        assert_eq!(got, want, "{id}");
    }
    assert_eq!(ccu.relays(FD).unwrap(), (false, true));
    assert_eq!(ccu.relays(FE).unwrap(), (true, false));
    // Later readings carry the acknowledged relay states.
    let reading = server
        .wait_for("a reading of FD with relays", |s| {
            s.on("/sensor")
                .into_iter()
                .map(|p| p.payload)
                .find(|r| r["device_id"] == "FD" && r["relay_b"] == true)
        })
        .await;
    assert_eq!(
        reading["relay_a"],
        Value::Null,
        "never acknowledged: unknown"
    );
    ccu.stop().await.unwrap();
    assert!(ccu.snapshot().stopped);
}

#[tokio::test(start_paused = true)]
async fn an_overload_is_reported_as_65535_and_the_breaker_sees_the_total() {
    let (ccu, server) = start(0.0).await;
    ccu.with_pic(FE, |pic, now| pic.set_relay(Socket::A, true, now))
        .unwrap();
    ccu.set_load(FE, Socket::A, 1_500).unwrap();
    let breaker = server
        .wait_for("breaker near 1.5 A", |s| {
            s.on("/breaker")
                .into_iter()
                .filter_map(|p| p.payload["current_ma"].as_i64())
                .find(|ma| (1_400..=1_600).contains(ma))
        })
        .await;
    assert!((1_400..=1_600).contains(&breaker));

    assert_eq!(ccu.force_overload(FE, Socket::A).unwrap(), 4_000);
    let reading = server
        .wait_for("an overload reading", |s| {
            s.on("/sensor")
                .into_iter()
                .map(|p| p.payload)
                .find(|r| r["is_overload"] == true)
        })
        .await;
    assert_eq!(reading["device_id"], "FE");
    assert_eq!(reading["current_a"], 65535);
    assert!(ccu.is_tripped(FE, Socket::A).unwrap());
}

#[tokio::test(start_paused = true)]
async fn readings_are_buffered_with_timestamps_while_cut_off_and_flushed_on_restore() {
    let (ccu, server) = start(0.0).await;
    server
        .wait_for("a live reading", |s| {
            s.on("/sensor")
                .first()
                .map(|p| assert!(p.payload.get("ts").is_none()))
        })
        .await;
    ccu.cut_network().await.unwrap();
    let cut_at = tokio::time::Instant::now();
    let before = server.on("/sensor").len();
    within(ccu.wait_until(|s| s.buffered_readings >= 10))
        .await
        .unwrap();
    let outage = cut_at.elapsed().as_millis() as u64;
    assert_eq!(
        server.on("/sensor").len(),
        before,
        "nothing goes out while cut off"
    );

    ccu.restore_network().await.unwrap();
    within(ccu.wait_until(|s| s.buffered_readings == 0 && s.connected))
        .await
        .unwrap();
    assert_eq!(
        server.on("/status").len(),
        2,
        "online again after the reconnect"
    );
    let batch: Vec<Value> = server.on("/sensor")[before..]
        .iter()
        .flat_map(|p| p.payload.as_array().cloned().unwrap_or_default())
        .collect();
    assert!(batch.len() >= 10, "{batch:?}");
    let ts: Vec<u64> = batch.iter().map(|r| r["ts"].as_u64().unwrap()).collect();
    assert!(
        ts.windows(2).all(|w| w[0] < w[1]),
        "in measurement order: {ts:?}"
    );
    let span = ts[ts.len() - 1] - ts[0];
    assert!(
        span + 200 >= outage && span <= outage,
        "{span} ms of {outage} ms"
    );
}

#[tokio::test(start_paused = true)]
async fn commands_get_through_a_lossy_link_thanks_to_retries() {
    let (ccu, server) = start(0.2).await;
    for (i, (device, socket)) in [("FE", "a"), ("FE", "b"), ("FD", "a"), ("FD", "b")]
        .into_iter()
        .enumerate()
    {
        let id = format!("c{i}");
        server.send("ccu/02/cmd", &command(&id, device, "relay_on", socket));
        let status = server.wait_for(&id, |s| ack_status(s, &id)).await;
        assert_eq!(status, "ok", "{id}");
    }
    assert_eq!(ccu.relays(FE).unwrap(), (true, true));
    assert_eq!(ccu.relays(FD).unwrap(), (true, true));
    assert!(ccu.snapshot().air.lost > 0, "some frames were lost");
}
