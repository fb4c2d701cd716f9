//! Graceful shutdown of the real binary: on SIGTERM, while a CCU is still publishing, every
//! reading the broker acknowledged is handled and committed before the process exits 0.

use super::cli::{admin, serve};
use backend::Store;
use rumqttc::{AsyncClient, Event, Packet, QoS};
use std::time::Duration;
use system_tests::device::{connack, options};

/// Readings the CCU has queued; the signal comes after the first [`BEFORE_SIGNAL`] acks.
const READINGS: usize = 5000;
const BEFORE_SIGNAL: usize = 200;

#[tokio::test]
async fn sigterm_commits_every_acknowledged_reading_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (ok, _, err) = admin(
        data,
        &["user", "add", "alice"],
        Some("correct horse battery\n"),
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = admin(
        data,
        &["ccu", "add", "07", "--owner", "alice", "--json"],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let secret = creds["password"].as_str().unwrap().to_string();
    let (ok, _, err) = admin(
        data,
        &["outlet", "add", "A1", "--ccu", "07", "--name", "Desk"],
        None,
    )
    .await;
    assert!(ok, "{err}");

    // Every reading gets a history row, and the writer holds rows for a long time: what is
    // in the database after the exit was committed by the shutdown, not by a timer.
    let mqtt = broker::free_local_addr().unwrap();
    let mut server = serve(
        data,
        mqtt,
        &[
            ("SMART_OUTLET_HISTORY__INTERVAL", "0s"),
            ("SMART_OUTLET_HISTORY__FLUSH_INTERVAL", "60s"),
            ("SMART_OUTLET_HISTORY__BATCH_SIZE", "100000"),
        ],
    )
    .await;

    let (client, mut eventloop) = AsyncClient::new(options(mqtt, "07", &secret), READINGS + 10);
    tokio::time::timeout(Duration::from_secs(10), connack(&mut eventloop))
        .await
        .unwrap()
        .unwrap();
    for i in 0..READINGS {
        let body = serde_json::json!({"device_id": "A1", "current_a": 100 + i, "current_b": 0});
        client
            .publish("ccu/07/sensor", QoS::AtLeastOnce, false, body.to_string())
            .await
            .unwrap();
    }
    let mut acked = 0;
    while acked < BEFORE_SIGNAL {
        match tokio::time::timeout(Duration::from_secs(20), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(_)) => {}
            other => panic!("after {acked} acks: {other:?}"),
        }
    }
    let pid = server.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // The CCU goes on publishing until the server closes its session.
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(_) => return,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the CCU's session is closed at shutdown");
    let status = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("exits within 30 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status}");

    let url = format!(
        "sqlite://{}?mode=rw",
        data.join("smart-outlet.db").display()
    );
    let store = Store::open(&url, 1).await.expect("database left behind");
    let outlet = store
        .list_outlets(None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.device_id == "A1")
        .unwrap();
    let rows = store.count_readings(outlet.id).await.unwrap();
    assert!(
        rows >= acked as u64 && rows <= READINGS as u64,
        "{rows} readings committed, {acked} acknowledged to the CCU"
    );
    // The newest state is the newest reading committed (currents count up).
    assert_eq!(
        outlet.current_a,
        Some(100 + rows as i64 - 1),
        "newest state committed"
    );
}
