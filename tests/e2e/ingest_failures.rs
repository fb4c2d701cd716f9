//! A valid device message the server fails to handle (here: the database lost a table) is
//! the server's failure: counted apart, logged as an error, never sent back to the device as
//! its fault nor counted as a reject.

use backend::metrics::RejectReason;
use rumqttc::QoS;
use sea_orm::ConnectionTrait;
use serde_json::json;
use system_tests::{spawn_app, wait_until};

#[tokio::test]
async fn a_database_failure_on_an_ack_is_not_blamed_on_the_ccu() {
    let app = spawn_app().await;
    let (_user, secret, _outlet) = app.seed().await;
    let mut dev = app.device("02", &secret).await;
    dev.client
        .subscribe("ccu/02/error", QoS::AtLeastOnce)
        .await
        .unwrap();
    // The subscription is in place once the device list (published after CONNACK) arrives
    // and a first rejection comes back.
    dev.send(
        "sensor",
        json!({"device_id":"AA","current_a":1,"current_b":1}),
    )
    .await;
    let first = next_error(&mut dev).await;
    assert_eq!(first["reason"], "unknown_outlet", "{first}");

    app.store()
        .db()
        .execute_unprepared("DROP TABLE commands")
        .await
        .unwrap();
    dev.send(
        "ack",
        json!({"id": "9b0c3f7e-0000-4000-8000-000000000000", "status": "ok"}),
    )
    .await;
    let metrics = app.backend().metrics();
    wait_until("the ack counted as a server failure", || async {
        metrics.snapshot().ingest_failures == 1
    })
    .await;
    assert_eq!(metrics.rejects(RejectReason::UnknownCommand), 0);
    let exposition = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        exposition.contains("\nsmart_outlet_ingest_failures_total 1\n"),
        "{exposition}"
    );

    // The next notice the CCU gets is about its next bad message: none came for the ack.
    dev.send(
        "sensor",
        json!({"device_id":"AB","current_a":1,"current_b":1}),
    )
    .await;
    let next = next_error(&mut dev).await;
    assert_eq!(next["reason"], "unknown_outlet", "{next}");
    assert!(next["detail"].as_str().unwrap().contains("AB"), "{next}");
}

/// The next message on the CCU's error topic.
async fn next_error(dev: &mut system_tests::Device) -> serde_json::Value {
    loop {
        let (topic, payload) = dev.next_message().await;
        if topic == "ccu/02/error" {
            return serde_json::from_slice(&payload).unwrap();
        }
    }
}
