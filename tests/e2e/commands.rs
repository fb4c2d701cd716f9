//! Command lifecycle: queued while offline, pushed on connect, followed to the ack.

use backend::commands::{Actor, NewCommand};
use backend::domain::{CommandKind, CommandStatus, Socket};
use backend::live::LiveEvent;
use serde_json::json;
use std::time::Duration;
use system_tests::relays::{send_relay, wait_command};
use system_tests::{spawn_app, spawn_app_with, wait_for_event};

#[tokio::test]
async fn command_for_an_offline_ccu_is_delivered_on_connect_and_its_ack_sets_relay_state() {
    let app = spawn_app().await;
    let (user, secret, outlet) = app.seed().await;

    let c = send_relay(&app, user.id, outlet.id, Socket::A, true).await;
    assert_eq!(c.status, CommandStatus::Queued, "CCU offline: held");
    assert_eq!(
        app.backend().state().outlet(outlet.id).unwrap().relay_a,
        None,
        "no state change on the request"
    );

    let mut dev = app.device("02", &secret).await;
    let cmd = dev.next_command().await;
    assert_eq!(cmd.id.as_str(), c.id);
    assert_eq!(cmd.device_id.to_string(), "FE");
    assert_eq!(cmd.command, CommandKind::RelayOn);
    assert_eq!(cmd.socket, Some(Socket::A));
    wait_command(&app, user.id, &c.id, CommandStatus::Sent).await;
    assert_eq!(
        app.backend().state().outlet(outlet.id).unwrap().relay_a,
        None,
        "sent is not done"
    );

    dev.send("ack", json!({"id": c.id, "status": "ok"})).await;
    let done = wait_command(&app, user.id, &c.id, CommandStatus::Ok).await;
    assert!(done.completed_at.is_some());
    assert_eq!(
        app.backend().state().outlet(outlet.id).unwrap().relay_a,
        Some(true)
    );
    app.backend().flush().await;
    assert_eq!(
        app.store()
            .get_outlet(outlet.id)
            .await
            .unwrap()
            .unwrap()
            .relay_a,
        Some(true)
    );
}

#[tokio::test]
async fn command_to_an_online_ccu_is_pushed_at_once() {
    let app = spawn_app().await;
    let (user, secret, outlet) = app.seed().await;
    let mut dev = app.device("02", &secret).await;
    app.wait_online("02").await;
    let c = send_relay(&app, user.id, outlet.id, Socket::B, false).await;
    assert_eq!(c.status, CommandStatus::Sent);
    let got = dev.next_command().await;
    assert_eq!(
        (got.id.as_str(), got.command),
        (c.id.as_str(), CommandKind::RelayOff)
    );
    dev.send(
        "ack",
        json!({"id": c.id, "status": "failed", "detail": "unknown outlet"}),
    )
    .await;
    let failed = wait_command(&app, user.id, &c.id, CommandStatus::Failed).await;
    assert_eq!(failed.detail.as_deref(), Some("unknown outlet"));
    assert_eq!(
        app.backend().state().outlet(outlet.id).unwrap().relay_b,
        None,
        "a failed ack changes nothing"
    );
}

#[tokio::test]
async fn command_without_ack_times_out() {
    let app = spawn_app_with(|s| s.commands.ack_timeout = Duration::from_millis(300)).await;
    let (user, secret, outlet) = app.seed().await;
    let mut dev = app.device("02", &secret).await;
    let c = send_relay(&app, user.id, outlet.id, Socket::B, true).await;
    let _ = dev.next_command().await;
    let t = wait_command(&app, user.id, &c.id, CommandStatus::TimedOut).await;
    assert!(t.detail.unwrap().contains("no ack"));
    assert_eq!(
        app.backend().state().outlet(outlet.id).unwrap().relay_b,
        None
    );
}

#[tokio::test]
async fn queued_command_expires_when_the_ccu_stays_away() {
    let app = spawn_app_with(|s| s.commands.expiry = Duration::from_millis(300)).await;
    let (user, secret, outlet) = app.seed().await;
    let c = send_relay(&app, user.id, outlet.id, Socket::A, true).await;
    wait_command(&app, user.id, &c.id, CommandStatus::Expired).await;
    // It is not delivered when the CCU comes back later.
    let mut dev = app.device("02", &secret).await;
    let c2 = send_relay(&app, user.id, outlet.id, Socket::A, false).await;
    let got = dev.next_command().await;
    assert_eq!(got.id.as_str(), c2.id, "the expired command was not sent");
}

#[tokio::test]
async fn cut_all_turns_off_every_socket_of_the_user() {
    let app = spawn_app().await;
    let (user, secret, _fe) = app.seed().await;
    app.add_outlet("02", "fd", "Kitchen").await;
    let other = app.add_user("bob").await;
    app.add_ccu(&other, "03").await;
    app.add_outlet("03", "FE", "Bob's").await;
    let mut dev = app.device("02", &secret).await;
    let mut live = app.backend().subscribe();

    let cmds = app
        .backend()
        .cut_all(backend::Actor::User(user.id))
        .await
        .unwrap();
    assert_eq!(cmds.len(), 4, "two outlets × two sockets, none of Bob's");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..4 {
        let c = dev.next_command().await;
        assert_eq!(c.command, CommandKind::RelayOff);
        seen.insert((c.device_id.to_string(), c.socket));
        dev.send("ack", json!({"id": c.id.as_str(), "status": "ok"}))
            .await;
    }
    assert_eq!(seen.len(), 4);
    let mut relays = 0;
    wait_for_event(&mut live, "four relay changes", |e| match e {
        LiveEvent::Relay { on: false, .. } => {
            relays += 1;
            (relays == 4).then_some(())
        }
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn commands_are_validated_and_owned() {
    let app = spawn_app().await;
    let (user, _secret, outlet) = app.seed().await;
    let bob = app.add_user("bob").await;
    let b = app.backend();
    let no_socket = NewCommand {
        socket: None,
        ..NewCommand::relay(outlet.id, Socket::A, true)
    };
    assert!(matches!(
        b.send_command(Actor::User(user.id), no_socket).await,
        Err(backend::Error::Invalid(_))
    ));
    let bad_threshold = NewCommand {
        outlet_id: outlet.id,
        command: CommandKind::SetThreshold,
        socket: None,
        value: Some(0),
    };
    assert!(matches!(
        b.send_command(Actor::User(user.id), bad_threshold).await,
        Err(backend::Error::Invalid(_))
    ));
    assert!(matches!(
        b.send_command(
            Actor::User(bob.id),
            NewCommand::relay(outlet.id, Socket::A, true)
        )
        .await,
        Err(backend::Error::NotFound(_))
    ));
    assert!(matches!(
        b.send_command(
            Actor::User(user.id),
            NewCommand::relay(9999, Socket::A, true)
        )
        .await,
        Err(backend::Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_ccu_that_only_subscribes_still_gets_its_queued_commands() {
    let app = spawn_app().await;
    let (user, secret, outlet) = app.seed().await;
    let c = send_relay(&app, user.id, outlet.id, Socket::A, true).await;
    // A bare client: no status, no will, it only subscribes.
    let mut o =
        rumqttc::MqttOptions::new("02", app.mqtt_addr.ip().to_string(), app.mqtt_addr.port());
    o.set_credentials("02", &secret)
        .set_keep_alive(Duration::from_secs(5));
    let (client, mut ev) = rumqttc::AsyncClient::new(o, 10);
    system_tests::device::connack(&mut ev).await.unwrap();
    client
        .subscribe("ccu/02/cmd", rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) = ev.poll().await.unwrap()
                && p.topic == "ccu/02/cmd"
            {
                return serde_json::from_slice::<serde_json::Value>(&p.payload).unwrap();
            }
        }
    })
    .await
    .expect("queued command delivered");
    assert_eq!(got["id"], c.id.as_str());
}
