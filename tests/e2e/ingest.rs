//! Readings published by a CCU end up in the store.

use serde_json::json;
use system_tests::{spawn_app, spawn_app_with, wait_for, wait_until};

#[tokio::test]
async fn readings_from_an_authenticated_ccu_are_stored() {
    let app = spawn_app_with(|s| s.history.interval = std::time::Duration::ZERO).await;
    let (_user, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;

    dev.send("sensor", json!({"device_id":"FE","current_a":1250,"current_b":80,"relay_a":true,"relay_b":false,"is_overload":false})).await;
    dev.reading("fe", 2000, 300).await;

    app.wait_readings(outlet.id, 2).await;
    let rows = app
        .store()
        .readings(outlet.id, 0, i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(
        (rows[0].current_a, rows[0].current_b),
        (1250, 0),
        "80 mA is under the 100 mA noise floor"
    );
    assert_eq!((rows[1].current_a, rows[1].current_b), (2000, 300));

    app.backend().flush().await;
    let o = app.store().get_outlet(outlet.id).await.unwrap().unwrap();
    assert_eq!(o.current_a, Some(2000), "latest state is current");
    assert_eq!(o.relay_a, Some(true), "relay state reported by the device");
    assert!(o.online && o.last_seen.is_some());
}

#[tokio::test]
async fn a_batch_with_timestamps_keeps_original_times() {
    let app = spawn_app_with(|s| s.history.interval = std::time::Duration::ZERO).await;
    let (_u, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let t0 = backend::clock::now_ms() - 600_000;
    let batch: Vec<_> = (0..5)
        .map(|i| json!({"device_id":"FE","current_a":1000 + i,"current_b":0,"ts": t0 + i * 2000}))
        .collect();
    dev.send("sensor", json!(batch)).await;
    let store = app.store().clone();
    let rows = wait_for("five buffered readings", || {
        let store = store.clone();
        async move {
            let rows = store.readings(outlet.id, 0, i64::MAX, 10).await.unwrap();
            (rows.len() == 5).then_some(rows)
        }
    })
    .await;
    let times: Vec<i64> = rows.iter().map(|r| r.ts).collect();
    assert_eq!(times, (0..5).map(|i| t0 + i * 2000).collect::<Vec<_>>());
}

#[tokio::test]
async fn history_interval_keeps_one_reading_per_interval_but_latest_is_current() {
    let app = spawn_app().await; // default interval: 60 s
    let (_u, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    for i in 0..5 {
        dev.send(
            "sensor",
            json!({"device_id":"FE","current_a":1000 + i,"current_b":0}),
        )
        .await;
    }
    let backend = app.backend().clone();
    wait_until("latest reading applied", || {
        let backend = backend.clone();
        async move { backend.state().outlet(outlet.id).and_then(|s| s.current_a) == Some(1004) }
    })
    .await;
    app.backend().flush().await;
    assert_eq!(app.store().count_readings(outlet.id).await.unwrap(), 1);
    let o = app.store().get_outlet(outlet.id).await.unwrap().unwrap();
    assert_eq!(o.current_a, Some(1004));
}

#[tokio::test]
async fn breaker_readings_are_stored_with_noise_floor() {
    let app = spawn_app_with(|s| s.history.interval = std::time::Duration::ZERO).await;
    let (_u, secret, _o) = app.seed().await;
    let dev = app.device("02", &secret).await;
    dev.send("breaker", json!({"current_ma": 4312})).await;
    dev.send("breaker", json!({"current_ma": 200})).await;
    let store = app.store().clone();
    let rows = wait_for("two breaker rows", || {
        let store = store.clone();
        async move {
            let rows = store.breaker_readings("02", 0, i64::MAX, 10).await.unwrap();
            (rows.len() == 2).then_some(rows)
        }
    })
    .await;
    assert_eq!(rows[0].current_ma, 4312);
    assert_eq!(rows[1].current_ma, 0, "under the 280 mA floor");
    app.backend().flush().await;
    let ccu = app.store().get_ccu("02").await.unwrap().unwrap();
    assert_eq!(ccu.breaker_ma, Some(0));
    assert!(ccu.online);
}
