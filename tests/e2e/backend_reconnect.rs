//! The backend loses its MQTT session and gets it back: the external Mosquitto is killed
//! (every session and every retained message gone) and started again on the same port. The
//! backend reconnects on its own, republishes the device lists (a fresh subscriber finds the
//! retained list again), and the commands sent during the outage reach the CCU when it
//! returns, each exactly once.

use super::external_mosquitto::{Mosquitto, Raw, spawn_on};
use backend::commands::{Actor, NewCommand};
use backend::domain::{CommandKind, CommandStatus, Socket, Source};
use rumqttc::{Packet, SubscribeReasonCode};
use system_tests::device::options;
use system_tests::{Device, TestApp, wait_until};

/// A command for outlet `outlet_id`, sent as the CLI would.
async fn command(
    app: &TestApp,
    outlet_id: i32,
    kind: CommandKind,
    socket: Option<Socket>,
) -> String {
    let c = app
        .backend()
        .send_command(
            Actor::System(Source::Cli),
            NewCommand {
                outlet_id,
                command: kind,
                socket,
                value: None,
            },
        )
        .await
        .unwrap();
    c.id
}

/// The next publish the client receives on `topic`.
async fn next_on(raw: &mut Raw, topic: &str) -> Vec<u8> {
    loop {
        match raw.next(topic).await {
            Some(Packet::Publish(p)) if p.topic == topic => return p.payload.to_vec(),
            Some(_) => {}
            None => panic!("connection closed while waiting on {topic}"),
        }
    }
}

#[tokio::test]
async fn after_a_broker_restart_lists_are_republished_and_queued_commands_delivered_once() {
    let mut m = Mosquitto::start().await;
    let app = spawn_on(&m).await;
    let (_alice, secret, fe) = app.seed().await;
    let addr = ([127, 0, 0, 1], m.port).into();
    let dev = Device::connect(addr, "02", &secret).await.unwrap();
    app.wait_online("02").await;
    // The CCU leaves before the outage, so that what is sent meanwhile waits in the queue.
    dev.publish("status", br#"{"online":false}"#.to_vec(), true)
        .await
        .unwrap();
    let b = app.backend().clone();
    wait_until("CCU 02 offline", || {
        let b = b.clone();
        async move { b.state().ccu("02").is_some_and(|s| !s.online) }
    })
    .await;
    dev.disconnect().await;

    m.kill().await;
    let mut during = Vec::new();
    for (kind, socket) in [
        (CommandKind::RelayOn, Some(Socket::A)),
        (CommandKind::RelayOff, Some(Socket::B)),
        (CommandKind::Ping, None),
    ] {
        during.push(command(&app, fe.id, kind, socket).await);
    }
    m.restart().await;

    // Nothing retained survived the restart: the list a fresh subscriber gets was published
    // again by the backend after it reconnected.
    let mut ccu = Raw::connect(options(addr, "02", &secret)).await.unwrap();
    assert_eq!(
        ccu.subscribe("ccu/02/devices").await,
        SubscribeReasonCode::Success(rumqttc::QoS::AtLeastOnce)
    );
    let list: serde_json::Value =
        serde_json::from_slice(&next_on(&mut ccu, "ccu/02/devices").await).unwrap();
    assert_eq!(list["devices"][0]["device_id"], "FE", "{list}");

    // The CCU comes back: the queued commands arrive; a later one closes the count.
    ccu.subscribe("ccu/02/cmd").await;
    ccu.publish_acked(
        "ccu/02/status",
        r#"{"online":true,"firmware":"test"}"#.into(),
        true,
    )
    .await;
    let mut received = Vec::new();
    while received.len() < during.len() {
        let c: serde_json::Value =
            serde_json::from_slice(&next_on(&mut ccu, "ccu/02/cmd").await).unwrap();
        received.push(c["id"].as_str().unwrap().to_string());
    }
    let marker = command(&app, fe.id, CommandKind::ReadSensors, None).await;
    loop {
        let c: serde_json::Value =
            serde_json::from_slice(&next_on(&mut ccu, "ccu/02/cmd").await).unwrap();
        let id = c["id"].as_str().unwrap().to_string();
        if id == marker {
            break;
        }
        received.push(id);
    }
    assert_eq!(received, during, "each command once, in order");
    for id in &during {
        let c = app.store().get_command(id).await.unwrap().unwrap();
        assert_eq!(c.status, CommandStatus::Sent, "{c:?}");
    }
}
