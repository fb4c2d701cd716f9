//! The queued → sent claim (fix 8d4504d): two deliverers that both read a command while it
//! was queued (a reconnect flush and a new request's re-check, or two flushes) publish it once,
//! and the one that loses never overwrites what the CCU's ack decided meanwhile.

use super::{Actor, NewCommand};
use crate::app::Backend;
use crate::bus::{Bus, BusSettings};
use crate::domain::{CommandRecord, CommandStatus, Socket, Source, Transport};
use crate::store::Store;
use ccu_core::protocol::Ack;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// A backend on a real SQLite file whose MQTT client never connects: what it publishes stays
/// in the returned event loop, where the test counts it.
async fn backend(dir: &tempfile::TempDir) -> (Backend, rumqttc::EventLoop) {
    let mut s = settings::Settings::for_tests();
    s.data_dir = dir.path().to_path_buf();
    // No timer may finish the command behind the test's back.
    s.commands.ack_timeout = Duration::from_secs(3600);
    let store = Store::open(&s.database_url(), 4).await.unwrap();
    let (bus, wire) = Bus::new(&BusSettings {
        host: "127.0.0.1".into(),
        port: 9,
        username: "backend".into(),
        password: "unused".into(),
        client_id: "backend".into(),
        shared_group: None,
        subscribe_devices: true,
        keep_alive: Duration::from_secs(30),
        max_packet_size: 1 << 16,
        persistent: false,
    });
    let b = Backend::start(s, store, bus, ("backend".into(), "unused".into()))
        .await
        .unwrap();
    (b, wire)
}

/// The commands published on `ccu/02/cmd` so far (the client's queue, drained).
fn published_commands(wire: &mut rumqttc::EventLoop) -> Vec<String> {
    wire.clean();
    wire.pending
        .drain(..)
        .filter_map(|r| match r {
            rumqttc::Request::Publish(p) if p.topic == "ccu/02/cmd" => {
                let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                Some(v["id"].as_str().unwrap().to_string())
            }
            _ => None,
        })
        .collect()
}

/// The CCU's queued command, as a flush reads it.
async fn queued(b: &Backend) -> CommandRecord {
    let mut q = b
        .store()
        .commands_in_status(Some("02"), CommandStatus::Queued)
        .await
        .unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    q.remove(0)
}

#[tokio::test]
async fn a_deliverer_that_read_the_command_queued_cannot_publish_it_again_after_its_ack() {
    let dir = tempfile::tempdir().unwrap();
    let (b, mut wire) = backend(&dir).await;
    let alice = crate::admin::add_user(b.store(), "alice", "correct horse battery")
        .await
        .unwrap();
    b.create_ccu(Actor::CLI, alice.id, "02", None, Transport::Mqtt)
        .await
        .unwrap();
    let fe = b
        .create_outlet(Actor::CLI, "02", "FE", "Desk", "")
        .await
        .unwrap();
    // The CCU is offline: the command waits in the queue.
    let cmd = b
        .send_command(
            Actor::System(Source::Cli),
            NewCommand::relay(fe.id, Socket::A, true),
        )
        .await
        .unwrap();
    assert_eq!(cmd.status, CommandStatus::Queued);
    assert!(published_commands(&mut wire).is_empty());

    // Two deliverers read it while it is queued; the first publishes it and the CCU acks.
    let mut first = queued(&b).await;
    let mut second = queued(&b).await;
    b.publish_command(&mut first).await.unwrap();
    assert_eq!(published_commands(&mut wire), vec![cmd.id.clone()]);
    let ack: Ack =
        serde_json::from_value(serde_json::json!({"id": cmd.id, "status": "ok"})).unwrap();
    b.on_ack("02", ack).await.unwrap();

    // The second deliverer comes late, holding its queued copy.
    b.publish_command(&mut second).await.unwrap();
    assert!(
        published_commands(&mut wire).is_empty(),
        "a command is published once"
    );
    assert_eq!(b.metrics().commands_sent.load(Relaxed), 1);
    let stored = b.store().get_command(&cmd.id).await.unwrap().unwrap();
    // Not `sent` again, which the timer would later turn into a time-out.
    assert_eq!(stored.status, CommandStatus::Ok, "the ack's outcome stays");
    assert_eq!(b.state().outlet(fe.id).unwrap().relay_a, Some(true));
}
