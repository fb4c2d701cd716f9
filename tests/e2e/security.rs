//! Authentication, per-CCU isolation the backend enforces, and bad input.

use backend::metrics::RejectReason;
use serde_json::json;
use system_tests::device::{connack, options};
use system_tests::{spawn_app, wait_until};

async fn refused(app: &system_tests::TestApp, opts: rumqttc::MqttOptions) -> bool {
    let (_c, mut ev) = rumqttc::AsyncClient::new(opts, 10);
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), connack(&mut ev)).await;
    let _ = app;
    matches!(r, Ok(Err(_)))
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    let app = spawn_app().await;
    let (_u, secret, _o) = app.seed().await;
    assert!(
        refused(&app, options(app.mqtt_addr, "02", "wrong")).await,
        "wrong password"
    );
    assert!(
        refused(&app, options(app.mqtt_addr, "99", &secret)).await,
        "unknown CCU"
    );
    let mut other_client_id = options(app.mqtt_addr, "02", &secret);
    other_client_id.set_client_id("someone-else".to_string());
    assert!(
        refused(&app, other_client_id).await,
        "client id must equal the CCU id"
    );
    let mut anonymous =
        rumqttc::MqttOptions::new("02", app.mqtt_addr.ip().to_string(), app.mqtt_addr.port());
    anonymous.set_keep_alive(std::time::Duration::from_secs(5));
    let (_c, mut ev) = rumqttc::AsyncClient::new(anonymous, 10);
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), connack(&mut ev)).await;
    assert!(matches!(r, Ok(Err(_))), "no credentials: {r:?}");
    // A CONNECT without credentials is refused by rumqttd before our hook runs.
    assert_eq!(app.backend().metrics().snapshot().auth_failures, 3);
    // The right secret works.
    let _ok = app.device("02", &secret).await;
}

#[tokio::test]
async fn rotated_secret_replaces_the_old_one() {
    let app = spawn_app().await;
    let (user, secret, _o) = app.seed().await;
    let _first = app.device("02", &secret).await;
    let new = app
        .backend()
        .rotate_ccu_secret(backend::Actor::User(user.id), "02")
        .await
        .unwrap();
    assert!(refused(&app, options(app.mqtt_addr, "02", &secret)).await);
    let _again = app.device("02", &new).await;
}

#[tokio::test]
async fn a_reading_for_another_ccus_outlet_is_rejected_and_counted() {
    let app = spawn_app().await;
    let (_alice, secret, _fe) = app.seed().await;
    let bob = app.add_user("bob").await;
    app.add_ccu(&bob, "03").await;
    let bobs = app.add_outlet("03", "FD", "Bob's lamp").await;
    let dev = app.device("02", &secret).await;

    dev.reading("FD", 1000, 0).await;
    dev.reading("AB", 1000, 0).await;
    let b = app.backend().clone();
    wait_until("both rejects counted", || {
        let b = b.clone();
        async move {
            b.metrics().rejects(RejectReason::ForeignOutlet) == 1
                && b.metrics().rejects(RejectReason::UnknownOutlet) == 1
        }
    })
    .await;
    app.backend().flush().await;
    assert_eq!(app.store().count_readings(bobs.id).await.unwrap(), 0);
    assert!(
        app.backend()
            .state()
            .outlet(bobs.id)
            .unwrap()
            .current_a
            .is_none()
    );
}

#[tokio::test]
async fn bad_input_is_counted_per_reason_and_ingest_goes_on() {
    let app = spawn_app().await;
    let (user, secret, outlet) = app.seed().await;
    let bob = app.add_user("bob").await;
    app.add_ccu(&bob, "03").await;
    let dev = app.device("02", &secret).await;
    let cases: Vec<(Vec<u8>, RejectReason)> = vec![
        (b"not json".to_vec(), RejectReason::MalformedJson),
        (
            br#"{"device_id":"FE","current_a":"abc","current_b":0}"#.to_vec(),
            RejectReason::InvalidPayload,
        ),
        (
            br#"{"current_a":1,"current_b":0}"#.to_vec(),
            RejectReason::InvalidPayload,
        ),
        (
            br#"{"device_id":"FE","current_a":-5,"current_b":0}"#.to_vec(),
            RejectReason::NegativeCurrent,
        ),
        (
            br#"{"device_id":"FE","current_a":60000,"current_b":0}"#.to_vec(),
            RejectReason::AbsurdCurrent,
        ),
        (vec![0xff, 0xfe, b'{'], RejectReason::NotUtf8),
        (
            format!(
                r#"{{"device_id":"FE","current_a":1,"current_b":0,"pad":"{}"}}"#,
                "x".repeat(140_000)
            )
            .into_bytes(),
            RejectReason::Oversize,
        ),
        (
            br#"{"device_id":"FE","current_a":1,"current_b":0,"ts":99999999999999}"#.to_vec(),
            RejectReason::BadTimestamp,
        ),
    ];
    for (payload, _) in &cases {
        dev.publish("sensor", payload.clone(), false).await.unwrap();
    }
    dev.send("breaker", json!({"current_ma": -1})).await;
    dev.send("ack", json!({"id": "no-such-command", "status": "ok"}))
        .await;
    // The loop is still alive: a good reading after all that is stored.
    dev.reading("FE", 777, 0).await;
    app.wait_current_a(outlet.id, 777).await;
    // Acks are looked up in the database and may finish after the later reading: wait until
    // every reject is counted, then require the exact counts (nothing counted twice).
    let expected = [
        (RejectReason::MalformedJson, 1),
        (RejectReason::NotUtf8, 1),
        (RejectReason::AbsurdCurrent, 1),
        (RejectReason::Oversize, 1),
        (RejectReason::BadTimestamp, 1),
        (RejectReason::UnknownCommand, 1),
        (RejectReason::InvalidPayload, 2),
        (RejectReason::NegativeCurrent, 2), // outlet and breaker
    ];
    let b = app.backend().clone();
    wait_until("every reject counted", || {
        let b = b.clone();
        async move { expected.iter().all(|(r, n)| b.metrics().rejects(*r) >= *n) }
    })
    .await;
    for (reason, n) in expected {
        assert_eq!(app.backend().metrics().rejects(reason), n, "{reason:?}");
    }
    let _ = (user, cases);
}

#[tokio::test]
async fn an_ack_for_another_ccus_command_is_rejected() {
    use backend::commands::{Actor, NewCommand};
    use backend::domain::{CommandStatus, Socket};
    let app = spawn_app().await;
    let (alice, _secret, fe) = app.seed().await;
    let bob = app.add_user("bob").await;
    let bob_secret = app.add_ccu(&bob, "03").await;
    let c = app
        .backend()
        .send_command(
            Actor::User(alice.id),
            NewCommand::relay(fe.id, Socket::A, true),
        )
        .await
        .unwrap();
    let bob_dev = app.device("03", &bob_secret).await;
    bob_dev
        .send("ack", json!({"id": c.id, "status": "ok"}))
        .await;
    let b = app.backend().clone();
    wait_until("foreign ack counted", || {
        let b = b.clone();
        async move { b.metrics().rejects(RejectReason::ForeignCommand) == 1 }
    })
    .await;
    assert_eq!(
        app.backend()
            .get_command(backend::Actor::User(alice.id), &c.id)
            .await
            .unwrap()
            .status,
        CommandStatus::Queued
    );
}

#[tokio::test]
async fn rejects_are_exported_as_prometheus_counters() {
    let app = spawn_app().await;
    let (_u, secret, _o) = app.seed().await;
    let dev = app.device("02", &secret).await;
    dev.reading("AB", 1, 0).await;
    let b = app.backend().clone();
    wait_until("reject counted", || {
        let b = b.clone();
        async move { b.metrics().rejects(RejectReason::UnknownOutlet) == 1 }
    })
    .await;
    let body = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        body.contains("smart_outlet_rejects_total{reason=\"unknown_outlet\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("smart_outlet_mqtt_logins_total{result=\"ok\"}"),
        "{body}"
    );
}
