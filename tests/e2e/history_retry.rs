//! The history writer retries a failed batch: readings that arrive while the database refuses
//! writes are stored once it accepts them again, none lost and none twice.

use serde_json::json;
use std::collections::BTreeSet;
use system_tests::db_faults::rename_table;
use system_tests::{spawn_app_with, wait_until};

const READINGS: i64 = 40;

#[tokio::test]
async fn readings_survive_a_failing_database_and_are_stored_once() {
    let app = spawn_app_with(|s| s.history.interval = std::time::Duration::ZERO).await;
    let (_user, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let metrics = app.backend().metrics();

    rename_table(&app, "sensor_readings", "sensor_readings_away").await;
    let start = backend::clock::now_ms() - READINGS * 1000;
    let sent: BTreeSet<i64> = (0..READINGS).map(|i| start + i * 1000).collect();
    for ts in &sent {
        dev.send(
            "sensor",
            json!({"device_id":"FE","current_a":1000,"current_b":0,"ts":ts}),
        )
        .await;
    }
    // Every reading is accepted and handed to the writer, whose batch keeps failing.
    wait_until("all readings accepted and a failed batch", || async {
        let m = metrics.snapshot();
        m.ingested_mqtt == READINGS as u64 && m.history_errors >= 2
    })
    .await;
    assert_eq!(metrics.snapshot().history_rows, 0);

    rename_table(&app, "sensor_readings_away", "sensor_readings").await;
    app.backend().flush().await;
    let rows = app
        .store()
        .readings(outlet.id, 0, i64::MAX, 1000)
        .await
        .unwrap();
    let stored: Vec<i64> = rows.iter().map(|r| r.ts).collect();
    assert_eq!(stored.len(), READINGS as usize, "none lost, none twice");
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), sent);
    assert_eq!(metrics.snapshot().ingest_failures, 0);
}
