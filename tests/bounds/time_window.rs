//! The time window of readings: too old or too far ahead is rejected, counted and reported
//! to the CCU.

use super::*;

/// The next `ccu/<id>/error` notice.
async fn next_error(dev: &mut system_tests::Device) -> Value {
    loop {
        let (topic, payload) = dev.next_message().await;
        if topic.ends_with("/error") {
            return serde_json::from_slice(&payload).unwrap();
        }
    }
}

#[tokio::test]
async fn readings_outside_the_time_window_are_rejected_counted_and_reported() {
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let (_user, secret, outlet) = app.seed().await;
    let mut dev = app.device("02", &secret).await;
    dev.client
        .subscribe("ccu/02/error", rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    let now = backend::clock::now_ms();
    let ten_years = now - 3650 * DAY_MS;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1000,"current_b":0,"ts": ten_years}),
    )
    .await;
    let e = next_error(&mut dev).await;
    assert_eq!(e["reason"], "stale_timestamp", "{e}");
    assert_eq!(e["topic"], "sensor", "{e}");
    assert!(
        e["detail"].as_str().unwrap().contains("max_reading_age"),
        "{e}"
    );
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1000,"current_b":0,"ts": now + DAY_MS}),
    )
    .await;
    let e = next_error(&mut dev).await;
    assert_eq!(e["reason"], "bad_timestamp", "{e}");
    dev.send("breaker", json!({"current_ma": 5000, "ts": ten_years}))
        .await;
    let e = next_error(&mut dev).await;
    assert_eq!(
        (e["reason"].as_str(), e["topic"].as_str()),
        (Some("stale_timestamp"), Some("breaker"))
    );

    let hour_ago = now - 3_600_000;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1234,"current_b":0,"ts": hour_ago}),
    )
    .await;
    let store = app.store().clone();
    let rows = wait_for("the reading inside the window", || {
        let store = store.clone();
        async move {
            let rows = store.readings(outlet.id, 0, i64::MAX, 10).await.unwrap();
            (!rows.is_empty()).then_some(rows)
        }
    })
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].ts, rows[0].current_a), (hour_ago, 1234));
    let m = app.backend().metrics();
    assert_eq!(m.rejects(RejectReason::StaleTimestamp), 2);
    assert_eq!(m.rejects(RejectReason::BadTimestamp), 1);
    let metrics = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        metrics.contains("smart_outlet_rejects_total{reason=\"stale_timestamp\"} 2"),
        "{metrics}"
    );
}
