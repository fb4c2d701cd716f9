//! A device deleted while its readings wait in the history writer: the batch cannot store
//! them (their outlet or CCU is gone, and the foreign key refuses them). Those rows are
//! dropped and counted; everyone else's readings in the same batch, and after it, are stored.
//! Before this, the writer retried that batch forever and ingest stalled for every user.

use backend::Actor;
use serde_json::json;
use std::time::Duration;
use system_tests::{TestApp, spawn_app_with, wait_until};

/// A writer that keeps its batch open until flushed, so that the delete lands in between.
async fn slow_writer() -> TestApp {
    spawn_app_with(|s| {
        s.history.interval = Duration::ZERO;
        s.history.flush_interval = Duration::from_secs(60);
        s.history.batch_size = 100_000;
    })
    .await
}

/// Waits until `n` device publishes are ingested (their rows are with the writer).
async fn ingested(app: &TestApp, n: u64) {
    let metrics = app.backend().metrics();
    wait_until(&format!("{n} publishes ingested"), || async {
        metrics.snapshot().ingested_mqtt == n
    })
    .await;
}

/// The writer commits within a few seconds (it would retry forever before the fix).
async fn flushed(app: &TestApp) {
    tokio::time::timeout(Duration::from_secs(20), app.backend().flush())
        .await
        .expect("the writer commits its batch instead of retrying it forever");
}

#[tokio::test]
async fn an_outlet_deleted_with_readings_queued_does_not_stall_the_writer() {
    let app = slow_writer().await;
    let (user, secret, gone) = app.seed().await;
    let stays = app.add_outlet("02", "FD", "Lamp").await;
    let dev = app.device("02", &secret).await;
    for id in ["FE", "FD"] {
        dev.send(
            "sensor",
            json!({"device_id": id, "current_a": 1000, "current_b": 0}),
        )
        .await;
    }
    ingested(&app, 2).await;
    app.backend()
        .delete_outlet(Actor::User(user.id), gone.id)
        .await
        .unwrap();
    flushed(&app).await;

    let m = app.backend().metrics().snapshot();
    assert_eq!(m.history_orphans, 1, "the deleted outlet's row is counted");
    assert_eq!(app.store().count_readings(stays.id).await.unwrap(), 1);
    assert_eq!(app.store().count_readings(gone.id).await.unwrap(), 0);
    let exposition = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        exposition.contains("\nsmart_outlet_history_orphans_total 1\n"),
        "{exposition}"
    );

    // The writer goes on: the next reading is stored at the next flush.
    dev.send(
        "sensor",
        json!({"device_id": "FD", "current_a": 2000, "current_b": 0}),
    )
    .await;
    ingested(&app, 3).await;
    flushed(&app).await;
    assert_eq!(app.store().count_readings(stays.id).await.unwrap(), 2);
}

#[tokio::test]
async fn a_ccu_deleted_with_readings_queued_does_not_stall_anyone_else() {
    let app = slow_writer().await;
    let (alice, secret, outlet) = app.seed().await;
    let bob = app.add_user("bob").await;
    let bob_secret = app.add_ccu(&bob, "03").await;
    let bobs = app.add_outlet("03", "FB", "Fridge").await;
    // Each CCU's breaker reading, then an outlet reading: once both outlet readings are
    // ingested, so are the breaker readings before them on the same connection.
    let mut devices = Vec::new();
    for (ccu, secret, device, ma) in [("02", &secret, "FE", 4000), ("03", &bob_secret, "FB", 5000)]
    {
        let dev = app.device(ccu, secret).await;
        dev.send("breaker", json!({"current_ma": ma})).await;
        dev.reading(device, 1000, 0).await;
        devices.push(dev);
    }
    ingested(&app, 2).await;
    app.backend()
        .delete_ccu(Actor::User(alice.id), "02")
        .await
        .unwrap();
    flushed(&app).await;

    let m = app.backend().metrics().snapshot();
    assert_eq!(m.history_orphans, 2, "Alice's outlet and breaker rows");
    assert_eq!(app.store().count_breaker_readings("03").await.unwrap(), 1);
    assert_eq!(app.store().count_breaker_readings("02").await.unwrap(), 0);
    assert_eq!(app.store().count_readings(outlet.id).await.unwrap(), 0);
    assert_eq!(app.store().count_readings(bobs.id).await.unwrap(), 1);
    let ccu = app.store().get_ccu("03").await.unwrap().unwrap();
    assert_eq!(ccu.breaker_ma, Some(5000), "Bob's latest state is written");
}
