//! A CCU's drop reports (`ccu/<id>/status` with `dropped`) add up: the REST API's CCU, the
//! `/metrics` counter and the CCU's event log show the total; an absurd count is rejected
//! as `invalid_payload` and changes nothing.

use backend::metrics::RejectReason;
use serde_json::json;
use system_tests::{ApiClient, PASSWORD, http_get, spawn_app, wait_for, wait_until};

/// The value of the sample `name` (without the `smart_outlet_` prefix) in `/metrics`.
fn sample(metrics: &str, name: &str) -> Option<u64> {
    metrics.lines().find_map(|l| {
        let (n, v) = l.split_once(' ')?;
        (!l.starts_with('#') && n.ends_with(name)).then(|| v.trim().parse().ok())?
    })
}

#[tokio::test]
async fn drop_reports_add_up_in_the_api_metrics_and_event_log() {
    let app = spawn_app().await;
    let (_alice, secret, _outlet) = app.seed().await;
    let api = ApiClient::login(&app, "alice", PASSWORD).await;
    let dev = app.device("02", &secret).await;
    app.wait_online("02").await;

    dev.send("status", json!({"online": true, "dropped": 7}))
        .await;
    dev.send("status", json!({"online": true, "dropped": 5}))
        .await;
    let events = wait_until_events(&api, 2).await;
    let items = events["items"].as_array().unwrap();
    let mut counts: Vec<i64> = items
        .iter()
        .map(|e| e["data"]["dropped"].as_i64().unwrap())
        .collect();
    counts.sort();
    assert_eq!(counts, [5, 7]);
    assert!(
        items
            .iter()
            .all(|e| e["ccu_id"] == "02" && e["source"] == "device")
    );

    let (_, ccu) = api.get("/ccus/02").await;
    assert_eq!(ccu["readings_dropped"], 12, "{ccu}");
    let metrics = http_get(app.http_addr, "/metrics").await;
    assert_eq!(sample(&metrics, "ccu_readings_dropped_total"), Some(12));

    // Absurd counts are the device's fault, counted like any other bad field.
    let before = app
        .backend()
        .metrics()
        .rejects(RejectReason::InvalidPayload);
    dev.send("status", json!({"online": true, "dropped": -3}))
        .await;
    dev.send(
        "status",
        json!({"online": true, "dropped": 4_294_967_296_u64}),
    )
    .await;
    let b = app.backend().clone();
    wait_until("both absurd counts rejected", || {
        let b = b.clone();
        async move { b.metrics().rejects(RejectReason::InvalidPayload) == before + 2 }
    })
    .await;
    let (_, ccu) = api.get("/ccus/02").await;
    assert_eq!(ccu["readings_dropped"], 12, "unchanged: {ccu}");
    let metrics = http_get(app.http_addr, "/metrics").await;
    assert_eq!(sample(&metrics, "ccu_readings_dropped_total"), Some(12));
    let (_, events) = api.get("/events?kind=readings_dropped").await;
    assert_eq!(events["total"], 2);
}

/// Waits until the CCU's event log holds `n` drop events (the last step of a drop report).
async fn wait_until_events(api: &ApiClient, n: u64) -> serde_json::Value {
    wait_for("the drop events", || async move {
        let (_, events) = api.get("/events?kind=readings_dropped").await;
        (events["total"].as_u64() == Some(n)).then_some(events)
    })
    .await
}
