//! "Nothing lost": the real binary killed with SIGKILL while a CCU publishes and the writer
//! holds readings it has not committed; restarted on the same data folder, it stores every
//! reading the broker acknowledged, each exactly once, from its spool. And a database that
//! refuses writes under load: the spool holds what the writer cannot take, `/readyz` says
//! degraded, and every reading is stored once it accepts writes again.

use super::cli::{Data, serve_cmd, serve_logged};
use reqwest::StatusCode;
use rumqttc::{AsyncClient, Event, Outgoing, Packet, QoS};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use system_tests::db_faults::rename_table;
use system_tests::device::{Device, connack, options};
use system_tests::{ApiClient, http_raw, spawn_app_with, wait_until};

/// Readings the CCU queues; the kill comes after [`BEFORE_KILL`] acknowledgements.
const READINGS: usize = 4000;
const BEFORE_KILL: usize = 1500;
/// Reading `i` carries `current_a = BASE + i` mA.
const BASE: i64 = 1000;

/// Settings for both runs: every reading gets a history row, and the writer holds rows for
/// a long time, so at the kill most acknowledged readings are not in the database yet.
const ENV: [(&str, &str); 3] = [
    ("SMART_OUTLET_HISTORY__INTERVAL", "0s"),
    ("SMART_OUTLET_HISTORY__FLUSH_INTERVAL", "2s"),
    ("SMART_OUTLET_HISTORY__BATCH_SIZE", "100000"),
];

#[tokio::test]
async fn sigkill_mid_ingest_loses_no_acknowledged_reading_and_stores_each_once() {
    let data = Data::new().await;
    let secret = seed(&data).await;
    let mqtt = broker::free_local_addr().unwrap();
    let mut server = serve_cmd(data.cmd(), mqtt, &ENV).await;

    let (client, mut eventloop) = AsyncClient::new(options(mqtt, "07", &secret), READINGS + 10);
    tokio::time::timeout(Duration::from_secs(10), connack(&mut eventloop))
        .await
        .unwrap()
        .unwrap();
    for i in 0..READINGS {
        // above the noise floor, so that the stored value names the reading
        let body =
            serde_json::json!({"device_id": "A1", "current_a": BASE + i as i64, "current_b": 0});
        client
            .publish("ccu/07/sensor", QoS::AtLeastOnce, false, body.to_string())
            .await
            .unwrap();
    }
    // Packet ids are reused once acknowledged: map each in-flight id to its reading.
    let mut in_flight: HashMap<u16, i64> = HashMap::new();
    let mut next = 0i64;
    let mut acked = BTreeSet::new();
    let mut killed = false;
    loop {
        let polled = tokio::time::timeout(Duration::from_secs(20), eventloop.poll()).await;
        match polled {
            Ok(Ok(Event::Outgoing(Outgoing::Publish(pkid)))) => {
                in_flight.insert(pkid, BASE + next);
                next += 1;
            }
            Ok(Ok(Event::Incoming(Packet::PubAck(ack)))) => {
                let reading = in_flight.remove(&ack.pkid).expect("ack of a sent publish");
                acked.insert(reading);
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) if killed => break,
            other => panic!("after {} acks: {other:?}", acked.len()),
        }
        if !killed && acked.len() >= BEFORE_KILL {
            server.start_kill().unwrap();
            killed = true;
        }
    }
    server.wait().await.unwrap();

    let before = data.store().await;
    let outlet = before
        .list_outlets(None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.device_id == "A1")
        .unwrap();
    let committed_at_kill = before.count_readings(outlet.id).await.unwrap();
    assert!(
        committed_at_kill < acked.len() as u64,
        "the kill came after everything was committed ({committed_at_kill} rows): the test proves nothing"
    );

    let mqtt = broker::free_local_addr().unwrap();
    let _server = serve_cmd(data.cmd(), mqtt, &ENV).await;
    let store = data.store().await;
    let stored_values = || async {
        let rows = store
            .readings(outlet.id, 0, i64::MAX, 100_000)
            .await
            .unwrap();
        rows.iter().map(|r| r.current_a).collect::<Vec<i64>>()
    };
    let all_there = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let values = stored_values().await;
            if acked.iter().all(|a| values.contains(a)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let stored = stored_values().await;
    if all_there.is_err() {
        let missing: Vec<_> = acked.iter().filter(|a| !stored.contains(a)).collect();
        panic!(
            "{} of {} acknowledged readings missing after the restart ({} stored, {committed_at_kill} at the kill); first missing: {:?}",
            missing.len(),
            acked.len(),
            stored.len(),
            &missing[..missing.len().min(10)]
        );
    }
    let distinct: BTreeSet<i64> = stored.iter().copied().collect();
    assert_eq!(distinct.len(), stored.len(), "a reading was stored twice");
    assert!(
        distinct
            .iter()
            .all(|v| (BASE..BASE + READINGS as i64).contains(v))
    );
    eprintln!(
        "acknowledged {}, committed at the kill {committed_at_kill}, stored after the restart {}",
        acked.len(),
        stored.len()
    );

    // The restarted server publishes the CCU's device list again (retained).
    let mut ccu = Device::connect(mqtt, "07", &secret).await.unwrap();
    let list = tokio::time::timeout(Duration::from_secs(10), ccu.next_devices())
        .await
        .expect("device list after the restart");
    assert!(
        list.devices.iter().any(|d| d.device_id.to_string() == "A1"),
        "{list:?}"
    );
}

const PASSWORD: &str = "correct horse battery";

/// A user, CCU 07 with outlet A1; the CCU's secret.
async fn seed(data: &Data) -> String {
    let (ok, _, err) = data
        .admin(&["user", "add", "alice"], Some(&format!("{PASSWORD}\n")))
        .await;
    assert!(ok, "{err}");
    let (ok, out, err) = data
        .admin(&["ccu", "add", "07", "--owner", "alice", "--json"], None)
        .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let (ok, _, err) = data
        .admin(
            &["outlet", "add", "A1", "--ccu", "07", "--name", "Desk"],
            None,
        )
        .await;
    assert!(ok, "{err}");
    creds["password"].as_str().unwrap().to_string()
}

/// Messages of [`PER_MESSAGE`] readings sent while the database refuses history writes:
/// 50 000 readings, more than the writer's queue holds (65 536 operations, two per reading),
/// so ingest backs up behind the writer and the spool holds the rest (about 170 messages).
const MESSAGES: i64 = 500;
const PER_MESSAGE: i64 = 100;

#[tokio::test]
async fn a_database_outage_under_load_loses_nothing_and_readyz_says_degraded() {
    let app = spawn_app_with(|s| s.history.interval = Duration::ZERO).await;
    let (_user, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let backend = app.backend();
    let total = MESSAGES * PER_MESSAGE;

    rename_table(&app, "sensor_readings", "sensor_readings_away").await;
    for m in 0..MESSAGES {
        let batch: Vec<_> = (0..PER_MESSAGE)
            .map(|i| {
                let (a, b) = currents(m * PER_MESSAGE + i);
                json!({"device_id": "FE", "current_a": a, "current_b": b})
            })
            .collect();
        dev.send("sensor", json!(batch)).await;
    }
    wait_until(
        "the writer failing and the spool holding what it cannot take",
        || async {
            backend.metrics().snapshot().history_errors > 0
                && backend
                    .spool_stats()
                    .is_some_and(|s| s.backlog > (MESSAGES / 4) as u64)
        },
    )
    .await;
    let (status, body) = http_raw(app.http_addr, "GET", "/readyz", None, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("degraded: database unavailable; spooling device publishes"),
        "{body}"
    );
    assert_eq!(backend.metrics().snapshot().history_rows, 0);

    rename_table(&app, "sensor_readings_away", "sensor_readings").await;
    let store = app.store();
    wait_until("every reading stored", || async {
        store.count_readings(outlet.id).await.unwrap() >= total as u64
    })
    .await;
    backend.flush().await;
    let rows = store
        .readings(outlet.id, 0, i64::MAX, 100_000)
        .await
        .unwrap();
    let values: BTreeSet<(i64, i64)> = rows.iter().map(|r| (r.current_a, r.current_b)).collect();
    assert_eq!(rows.len() as i64, total, "none twice");
    assert_eq!(values, (0..total).map(currents).collect(), "none lost");
    wait_until("ready again, spool drained", || async {
        let (status, body) = http_raw(app.http_addr, "GET", "/readyz", None, &[]).await;
        status == 200 && body == "ready" && backend.spool_stats().is_some_and(|s| s.backlog == 0)
    })
    .await;
}

/// The currents (mA) that name reading `i`: plausible values above the noise floor.
fn currents(i: i64) -> (i64, i64) {
    (1000 + i % 10_000, 1000 + i / 10_000)
}

#[tokio::test]
async fn a_command_in_flight_at_a_kill_is_sent_again_after_the_restart_and_answered() {
    let data = Data::new().await;
    let secret = seed(&data).await;
    let mqtt = broker::free_local_addr().unwrap();
    let mut server = serve_logged(data.cmd(), mqtt, &[]).await;
    let http = server.http.trim_start_matches("http://").parse().unwrap();
    let mut dev = Device::connect(mqtt, "07", &secret).await.unwrap();
    let alice = ApiClient::login_at(http, "alice", PASSWORD).await;
    wait_until("CCU 07 online", || {
        let alice = &alice;
        async move { alice.get("/ccus/07").await.1["online"] == true }
    })
    .await;
    let (_, outlets) = alice.get("/outlets").await;
    let outlet = outlets[0]["id"].as_i64().unwrap();
    let (status, c) = alice.relay(outlet, "a", true).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    // The CCU has it; the server dies before any answer.
    assert_eq!(dev.next_command().await.id.as_str(), id);
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
    dev.kill();

    let mqtt = broker::free_local_addr().unwrap();
    let server = serve_logged(data.cmd(), mqtt, &[]).await;
    let http = server.http.trim_start_matches("http://").parse().unwrap();
    let mut dev = Device::connect(mqtt, "07", &secret).await.unwrap();
    assert_eq!(
        dev.next_command().await.id.as_str(),
        id,
        "the command in flight is sent again"
    );
    dev.send("ack", json!({"id": id, "status": "ok"})).await;
    let alice = ApiClient::login_at(http, "alice", PASSWORD).await;
    wait_until("the command answered", || {
        let (alice, id) = (&alice, &id);
        async move { alice.get(&format!("/commands/{id}")).await.1["status"] == "ok" }
    })
    .await;
}
