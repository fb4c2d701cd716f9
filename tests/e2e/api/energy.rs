//! Energy over the REST API: an outlet's Wh per hour from its readings at the configured
//! voltage, its cost, the owner-only rule, and the retention: readings older than
//! `energy.keep_readings` are rolled up into hourly energy and deleted, and the energy
//! reported for their hours does not change.

use super::ccu_with_desk;
use backend::store::energy::HOUR_MS;
use backend::store::{Batch, SensorRow};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use system_tests::{ApiClient, spawn_app_with, wait_for};

/// 2 A for a whole hour (a reading every 5 s), then one reading of nothing: 460 Wh at 230 V.
fn one_hour_at_two_amps(t0: i64) -> Vec<(i64, i64)> {
    let mut rows: Vec<(i64, i64)> = (0..720).map(|i| (t0 + i * 5_000, 2_000)).collect();
    rows.push((t0 + HOUR_MS, 0));
    rows
}

#[tokio::test]
async fn energy_per_hour_is_current_times_voltage_and_priced() {
    let app = spawn_app_with(|s| {
        s.history.interval = Duration::ZERO;
        s.energy.price_per_kwh = 0.25;
    })
    .await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (secret, outlet_id) = ccu_with_desk(&alice).await;
    let dev = app.device("02", &secret).await;
    let t0 = (backend::clock::now_ms() - 3 * HOUR_MS) / HOUR_MS * HOUR_MS;
    let batch: Vec<Value> = one_hour_at_two_amps(t0)
        .into_iter()
        .map(|(ts, ma)| json!({"device_id":"FE","current_a": ma,"current_b": 0,"ts": ts}))
        .collect();
    dev.send("sensor", json!(batch)).await;
    let store = app.store().clone();
    wait_for("721 readings", || {
        let s = store.clone();
        async move { (s.count_readings(outlet_id as i32).await.unwrap() == 721).then_some(()) }
    })
    .await;

    let (s, e) = alice
        .get(&format!("/outlets/{outlet_id}/energy?from={t0}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["voltage"], 230.0);
    assert_eq!(e["currency"], "EUR");
    let hours = e["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 2, "{e}");
    assert_eq!(hours[0]["hour"], t0);
    assert_eq!(hours[0]["readings"], 720);
    assert_eq!(hours[0]["covered_s"], 3600.0);
    assert!(
        (hours[0]["wh_a"].as_f64().unwrap() - 460.0).abs() < 1e-9,
        "{e}"
    );
    assert_eq!(hours[0]["wh_b"], 0.0);
    assert!((e["total_wh"].as_f64().unwrap() - 460.0).abs() < 1e-9);
    assert!(
        (e["total_cost"].as_f64().unwrap() - 0.115).abs() < 1e-9,
        "{e}"
    );

    // Only the owner; ranges are checked.
    let bob = ApiClient::signup(&app, "bob").await;
    let (s, _) = bob.get(&format!("/outlets/{outlet_id}/energy")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = alice
        .get(&format!("/outlets/{outlet_id}/energy?from=10&to=5"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let anonymous = reqwest::get(alice.url(&format!("/outlets/{outlet_id}/energy")))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn readings_past_the_retention_become_hourly_energy_and_are_deleted() {
    let app = spawn_app_with(|s| {
        s.history.interval = Duration::ZERO;
        s.ingest.max_reading_age = Duration::from_secs(60);
        s.energy.keep_readings = Duration::from_secs(2 * 3600);
        s.energy.rollup_every = Duration::from_millis(200);
    })
    .await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (_secret, outlet_id) = ccu_with_desk(&alice).await;
    let outlet_id = outlet_id as i32;
    // Readings from before the retention cannot arrive over MQTT (they are stale): written
    // into the store as a CCU's offline buffer would have been, hours ago.
    let t0 = (backend::clock::now_ms() - 5 * HOUR_MS) / HOUR_MS * HOUR_MS;
    let recent = backend::clock::now_ms() - 60_000;
    let mut rows = one_hour_at_two_amps(t0);
    rows.push((recent, 1_000));
    let mut batch = Batch::default();
    batch.sensor.extend(rows.iter().map(|&(ts, ma)| SensorRow {
        outlet_id,
        ts,
        current_a: ma,
        current_b: 0,
        relay_a: Some(true),
        relay_b: None,
        is_overload: false,
        slot: None,
    }));
    app.store().write_batch(&batch).await.unwrap();

    let store = app.store().clone();
    wait_for("the old hours rolled up", || {
        let s = store.clone();
        async move { (s.count_readings(outlet_id).await.unwrap() == 1).then_some(()) }
    })
    .await;
    let m = app.backend().metrics();
    assert_eq!(m.readings_rolled_up.load(Relaxed), 721);

    let (s, e) = alice
        .get(&format!("/outlets/{outlet_id}/energy?from={t0}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let hours = e["hours"].as_array().unwrap();
    assert_eq!(hours[0]["hour"], t0, "{e}");
    assert_eq!(hours[0]["readings"], 720);
    assert!(
        (hours[0]["wh_a"].as_f64().unwrap() - 460.0).abs() < 1e-9,
        "{e}"
    );
    assert_eq!(
        hours.last().unwrap()["readings"],
        1,
        "the recent reading is kept"
    );
    assert!(e["total_cost"].is_null(), "no price configured");
    let exposition = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        exposition.contains("\nsmart_outlet_readings_rolled_up_total 721\n"),
        "{exposition}"
    );
}
