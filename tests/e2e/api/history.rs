//! History over the REST API: outlet and breaker history downsampled into buckets and
//! exported as CSV.

use super::ccu_with_desk;
use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{ApiClient, spawn_app_with, wait_for};

#[tokio::test]
async fn history_is_downsampled_and_exported() {
    let app = spawn_app_with(|s| s.history.interval = std::time::Duration::ZERO).await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (secret, outlet_id) = ccu_with_desk(&alice).await;
    let outlet_id = outlet_id as i32;
    let dev = app.device("02", &secret).await;
    let t0 = backend::clock::now_ms() - 3_600_000;
    let batch: Vec<Value> = (0..120)
        .map(|i| json!({"device_id":"FE","current_a": 1000 + i * 10,"current_b": 0,"ts": t0 + i * 30_000}))
        .collect();
    dev.send("sensor", json!(batch)).await;
    let store = app.store().clone();
    wait_for("120 readings", || {
        let s = store.clone();
        async move { (s.count_readings(outlet_id).await.unwrap() == 120).then_some(()) }
    })
    .await;
    let (s, h) = alice
        .get(&format!(
            "/outlets/{outlet_id}/history?from={t0}&to={}&buckets=12",
            t0 + 3_600_000
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let buckets = h["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 12);
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["n"].as_i64().unwrap())
            .sum::<i64>(),
        120
    );
    assert_eq!(buckets[0]["a"]["min"], 1000);
    assert_eq!(buckets[0]["a"]["max"], 1090);
    assert_eq!(buckets[0]["a"]["mean"], 1045.0);

    let r = alice
        .http
        .get(alice.url(&format!("/outlets/{outlet_id}/history.csv?from={t0}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 121);
    assert!(csv.starts_with("timestamp_ms,"));

    let breaker: Vec<Value> = (0..60)
        .map(|i| json!({"current_ma": 5000 + i * 100, "ts": t0 + i * 60_000}))
        .collect();
    dev.send("breaker", json!(breaker)).await;
    wait_for("60 breaker readings", || {
        let s = store.clone();
        async move { (s.count_breaker_readings("02").await.unwrap() == 60).then_some(()) }
    })
    .await;
    let (s, h) = alice
        .get(&format!(
            "/ccus/02/breaker-history?from={t0}&to={}&buckets=6",
            t0 + 3_600_000
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let buckets = h["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 6);
    assert_eq!(buckets[0]["current_ma"]["min"], 5000);
    assert_eq!(buckets[5]["current_ma"]["max"], 10900);
    let r = alice
        .http
        .get(alice.url(&format!("/ccus/02/breaker-history.csv?from={t0}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().lines().count(), 61);
}
