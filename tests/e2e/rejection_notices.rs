//! Rejection notices on `ccu/<id>/error` (docs/mqtt.md, "Rejections"): each rejected message
//! of a CCU is answered on its own error topic with the topic, the reason and a detail, and
//! never on another CCU's. (`unknown_outlet` and the time window have their own tests in
//! `ingest_failures.rs` and `bounds/time_window.rs`.)

use backend::commands::{Actor, NewCommand};
use backend::domain::{CommandKind, Source};
use rumqttc::QoS;
use serde_json::{Value, json};
use system_tests::{Device, TestApp, spawn_app};

/// CCU `id` connected and subscribed to its error topic; the subscription is in place once
/// the device list published after its login has arrived (same session, in order).
async fn listening(app: &TestApp, id: &str, secret: &str) -> Device {
    let mut dev = app.device(id, secret).await;
    dev.client
        .subscribe(format!("ccu/{id}/error"), QoS::AtLeastOnce)
        .await
        .unwrap();
    dev.next_devices().await;
    dev
}

/// The next notice on the device's error topic.
async fn next_notice(dev: &mut Device) -> Value {
    loop {
        let (topic, payload) = dev.next_message().await;
        if topic.ends_with("/error") {
            assert_eq!(topic, format!("ccu/{}/error", dev.id));
            return serde_json::from_slice(&payload).unwrap();
        }
    }
}

#[tokio::test]
async fn every_rejected_message_is_answered_on_the_senders_error_topic_only() {
    let app = spawn_app().await;
    let (_alice, secret, _fe) = app.seed().await;
    let bob = app.add_user("bob").await;
    let bob_secret = app.add_ccu(&bob, "03").await;
    let fd = app.add_outlet("03", "FD", "Bob's lamp").await;
    let mut dev = listening(&app, "02", &secret).await;
    let mut bobs = listening(&app, "03", &bob_secret).await;
    let bobs_command = app
        .backend()
        .send_command(
            Actor::System(Source::Cli),
            NewCommand {
                outlet_id: fd.id,
                command: CommandKind::Ping,
                socket: None,
                value: None,
            },
        )
        .await
        .unwrap();

    let unknown = "9b0c3f7e-0000-4000-8000-000000000000";
    let cases: [(&str, Vec<u8>, &str, &str); 6] = [
        ("sensor", b"{not json".to_vec(), "malformed_json", ""),
        (
            "sensor",
            json!({"device_id":"FE","current_a":"lots"})
                .to_string()
                .into(),
            "invalid_payload",
            "",
        ),
        (
            "sensor",
            json!({"device_id":"FD","current_a":1,"current_b":1})
                .to_string()
                .into(),
            "foreign_outlet",
            "FD",
        ),
        (
            "breaker",
            json!({"current_ma": -5}).to_string().into(),
            "negative_current",
            "",
        ),
        (
            "ack",
            json!({"id": unknown, "status": "ok"}).to_string().into(),
            "unknown_command",
            unknown,
        ),
        (
            "ack",
            json!({"id": bobs_command.id, "status": "ok"})
                .to_string()
                .into(),
            "foreign_command",
            &bobs_command.id,
        ),
    ];
    for (topic, payload, reason, detail) in cases {
        dev.publish(topic, payload, false).await.unwrap();
        let n = next_notice(&mut dev).await;
        assert_eq!(
            (n["topic"].as_str(), n["reason"].as_str()),
            (Some(topic), Some(reason)),
            "{n}"
        );
        assert!(n["detail"].as_str().unwrap().contains(detail), "{n}");
    }
    // Bob's command was not finished by 02's ack.
    let c = app
        .store()
        .get_command(&bobs_command.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!c.status.is_final() && c.completed_at.is_none(), "{c:?}");

    // 03's first notice is about its own message: none of 02's six reached it.
    bobs.send("breaker", json!({"current_ma": -7})).await;
    let n = next_notice(&mut bobs).await;
    assert_eq!(n["reason"], "negative_current", "{n}");
    assert!(n["detail"].as_str().unwrap().contains("-7"), "{n}");
}
