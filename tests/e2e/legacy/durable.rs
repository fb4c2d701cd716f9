//! The old firmware gets no acknowledgement but the answer to its POST: the answer comes once
//! the reading is committed (so a crash right after it loses nothing), and a database that
//! does not take the reading in time gets the CCU a 500, not a 200.

use super::*;
use std::time::{Duration, Instant};
use system_tests::db_faults::rename_table;

#[tokio::test]
async fn a_legacy_reading_is_answered_once_it_is_stored() {
    // A flush interval far longer than the test: only the commit the answer waits for stores
    // the reading in time.
    let app = spawn_app_with(|s| {
        s.history.flush_interval = Duration::from_secs(600);
        s.history.interval = Duration::ZERO;
    })
    .await;
    http_ccu(&app).await;
    let outlet = app.store().find_outlet("02", "FE").await.unwrap().unwrap();
    let reading = r#"{"device_id":"FE","current_a":1500,"current_b":0}"#;
    let started = Instant::now();
    assert_eq!(post_data(app.http_addr, reading).await.0, 200);
    assert_eq!(
        app.store().count_readings(outlet.id).await.unwrap(),
        1,
        "stored before the answer"
    );
    let breaker = r#"{"ccu_id":"02","current_ma":4312}"#;
    let (status, _) = http_raw(
        app.http_addr,
        "POST",
        "/api/breaker-data/",
        Some(breaker),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.store().count_breaker_readings("02").await.unwrap(),
        1,
        "the breaker reading stored before the answer"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // The database refuses the rows: no 200 for a reading that is not stored.
    rename_table(&app, "sensor_readings", "sensor_readings_away").await;
    let (status, _) = post_data(app.http_addr, reading).await;
    assert_eq!(status, 500);
    rename_table(&app, "sensor_readings_away", "sensor_readings").await;
    // Accepted all the same: stored once the database takes it.
    app.backend().flush().await;
    assert_eq!(app.store().count_readings(outlet.id).await.unwrap(), 2);
}
