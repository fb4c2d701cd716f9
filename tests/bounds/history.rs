//! History queries: ranges, bucket counts and page sizes are checked (400, never 500);
//! back-dated batches add a bounded number of history rows.

use super::*;

#[tokio::test]
async fn history_ranges_and_bucket_counts_are_checked() {
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let (_user, _secret, outlet) = app.seed().await;
    let s = ApiClient::login(&app, "alice", PASSWORD).await;
    let id = outlet.id;
    let now = backend::clock::now_ms();
    let (min, max) = (i64::MIN, i64::MAX);
    let bad = [
        format!("/outlets/{id}/history?from={min}&to={max}"),
        format!("/outlets/{id}/history?from={min}"),
        format!("/outlets/{id}/history?to={min}"),
        format!("/outlets/{id}/history?to={max}"),
        format!("/outlets/{id}/history?from={max}"),
        format!("/outlets/{id}/history?from=0&to=253402300800000"),
        format!("/outlets/{id}/history?from={}", now - 401 * DAY_MS),
        format!("/outlets/{id}/history?from=100&to=50"),
        format!("/outlets/{id}/history?buckets=0"),
        format!("/outlets/{id}/history?buckets=-5"),
        format!("/outlets/{id}/history?buckets={min}"),
        format!("/outlets/{id}/history?buckets=5001"),
        format!("/outlets/{id}/history.csv?from={min}&to={max}"),
        format!("/outlets/{id}/history.csv?from=0"),
        "/ccus/02/breaker-history?from=-9223372036854775808&to=9223372036854775807".into(),
        "/ccus/02/breaker-history?buckets=0".into(),
        "/ccus/02/breaker-history.csv?to=-9223372036854775808".into(),
        format!("/events/stats?to={min}"),
        format!("/events/stats?from={min}&to={max}"),
        "/events?page=18446744073709551615&per_page=500".into(),
        "/events?page=0".into(),
        "/events?per_page=501".into(),
        "/alerts?limit=0".into(),
        "/alerts?limit=1001".into(),
        "/commands?limit=100000".into(),
    ];
    for path in &bad {
        let (status, body) = s.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["code"], "validation", "{path}: {body}");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{path}");
    }
    let ok = [
        format!("/outlets/{id}/history"),
        format!(
            "/outlets/{id}/history?from={}&buckets=5000",
            now - 400 * DAY_MS + 1000
        ),
        format!("/outlets/{id}/history?from=0&to=1&buckets=1"),
        "/ccus/02/breaker-history?buckets=1".into(),
        "/events?page=201&per_page=500".into(),
        "/events/stats".into(),
        "/alerts?limit=1000".into(),
    ];
    for path in &ok {
        let (status, body) = s.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

#[tokio::test]
async fn back_dated_batches_add_a_bounded_number_of_history_rows() {
    let _serial = memory_lock().await;
    // One row per minute; a budget of 60 back-dated rows (1 h / 60 s).
    let app = spawn_app_with(|s| s.ingest.max_reading_age = Duration::from_secs(3600)).await;
    let (_user, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    dev.reading("FE", 500, 0).await;
    let now = backend::clock::now_ms();
    // The same 1000 readings, one a second for the last ~17 minutes, replayed ten times.
    let batch: Vec<Value> = (0..1000)
        .map(|i| json!({"device_id":"FE","current_a":1000,"current_b":0,"ts": now - 1_100_000 + i * 1000}))
        .collect();
    for _ in 0..10 {
        dev.send("sensor", json!(batch)).await;
    }
    dev.reading("FE", 777, 0).await;
    app.wait_current_a(outlet.id, 777).await;
    app.backend().flush().await;
    let rows = app.store().count_readings(outlet.id).await.unwrap();
    eprintln!("10 x 1000 back-dated readings -> {rows} history rows");
    // First pass: one per minute of the 1000 s (17); replays draw on the budget of 60.
    assert!((1 + 17..=1 + 60).contains(&rows), "{rows} rows");
    assert_eq!(
        app.backend()
            .metrics()
            .ingested_total(backend::metrics::Transport::Mqtt),
        10_002,
        "every reading is accepted; only history rows are bounded"
    );
}
