//! The broker's topic ACL: a CCU reaches only its own topics; sessions follow credentials;
//! a failed broker is reported and ends the server.

use backend::domain::Socket;
use broker::acl::Denial;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, LastWill, Packet, QoS,
    SubscribeReasonCode,
};
use serde_json::json;
use std::time::Duration;
use system_tests::device::{connack, options};
use system_tests::{TestApp, spawn_app, wait_until};

/// A raw client of CCU `id` (no automatic subscriptions), past its CONNACK.
async fn raw(app: &TestApp, id: &str, secret: &str) -> (AsyncClient, EventLoop) {
    let (c, mut ev) = AsyncClient::new(options(app.mqtt_addr, id, secret), 100);
    tokio::time::timeout(Duration::from_secs(10), connack(&mut ev))
        .await
        .expect("CONNACK in time")
        .expect("connected");
    (c, ev)
}

/// Polls until the SUBACK of the next subscription; returns its codes.
async fn suback(ev: &mut EventLoop) -> Vec<SubscribeReasonCode> {
    loop {
        match ev.poll().await.expect("connection open") {
            Event::Incoming(Packet::SubAck(s)) => return s.return_codes,
            _ => continue,
        }
    }
}

/// Polls until the PUBACK of the QoS 1 publish just queued.
async fn puback(ev: &mut EventLoop) {
    loop {
        if let Event::Incoming(Packet::PubAck(_)) = ev.poll().await.expect("connection open") {
            return;
        }
    }
}

/// Two households: alice with CCU 02 (outlet FE), bob with CCU 03 (outlet FD).
async fn two_households(app: &TestApp) -> (String, String, i32) {
    let (_alice, a_secret, _fe) = app.seed().await;
    let bob = app.add_user("bob").await;
    let b_secret = app.add_ccu(&bob, "03").await;
    let fd = app.add_outlet("03", "FD", "Bob's lamp").await;
    (a_secret, b_secret, fd.id)
}

#[tokio::test]
async fn a_ccu_may_subscribe_only_to_its_own_downlink_topics() {
    let app = spawn_app().await;
    let (a_secret, _b, _fd) = two_households(&app).await;
    let (c, mut ev) = raw(&app, "02", &a_secret).await;
    for filter in [
        "#",
        "ccu/+/cmd",
        "ccu/03/devices",
        "ccu/02/#",
        "+/02/cmd",
        "$share/g/ccu/+/sensor",
    ] {
        c.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
        assert_eq!(
            suback(&mut ev).await,
            vec![SubscribeReasonCode::Failure],
            "{filter} must be refused with 0x80"
        );
    }
    for filter in ["ccu/02/cmd", "ccu/02/devices", "ccu/02/error"] {
        c.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
        assert_eq!(
            suback(&mut ev).await,
            vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)],
            "{filter}"
        );
    }
    let stats = &app.backend().metrics().broker;
    assert_eq!(stats.denials(Denial::SubscribeFilter), 6);
    let metrics = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        metrics.contains("smart_outlet_mqtt_acl_refused_total{reason=\"subscribe_filter\"} 6"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_command_published_by_another_ccu_never_reaches_the_target() {
    use backend::commands::{Actor, NewCommand};
    let app = spawn_app().await;
    let (a_secret, b_secret, fd) = two_households(&app).await;
    let mut b = app.device("03", &b_secret).await;
    let (a, mut a_ev) = raw(&app, "02", &a_secret).await;
    let forged =
        json!({"id":"forged","device_id":"FD","command":"relay_on","socket":"a","value":null});
    a.publish("ccu/03/cmd", QoS::AtLeastOnce, false, forged.to_string())
        .await
        .unwrap();
    puback(&mut a_ev).await;
    // A real command after the forged one: the broker delivers in order, so had the forged
    // one been routed, B would see it first.
    let real = app
        .backend()
        .send_command(
            Actor::System(backend::domain::Source::Cli),
            NewCommand::relay(fd, Socket::A, true),
        )
        .await
        .unwrap();
    let got = b.next_command().await;
    assert_eq!(
        got.id.as_str(),
        real.id,
        "B got a command it should not have"
    );
    assert_eq!(
        app.backend().metrics().broker.denials(Denial::PublishTopic),
        1
    );
}

#[tokio::test]
async fn readings_and_statuses_forged_for_another_ccu_change_nothing() {
    let app = spawn_app().await;
    let (a_secret, b_secret, fd) = two_households(&app).await;
    let (a, mut a_ev) = raw(&app, "02", &a_secret).await;
    let forged = [
        (
            "ccu/03/sensor",
            json!({"device_id":"FD","current_a":4000,"current_b":0}),
            false,
        ),
        ("ccu/03/breaker", json!({"current_ma":99000}), false),
        ("ccu/03/status", json!({"online":true,"firmware":"x"}), true),
        ("ccu/03/devices", json!({"devices":[]}), true),
    ];
    for (topic, payload, retain) in &forged {
        a.publish(*topic, QoS::AtLeastOnce, *retain, payload.to_string())
            .await
            .unwrap();
        puback(&mut a_ev).await;
    }
    // A's own reading, after the forged ones on the same filters: once it is ingested,
    // anything routed before it would have been too.
    a.publish(
        "ccu/02/sensor",
        QoS::AtLeastOnce,
        false,
        json!({"device_id":"FE","current_a":1234,"current_b":0}).to_string(),
    )
    .await
    .unwrap();
    puback(&mut a_ev).await;
    let backend = app.backend().clone();
    wait_until("A's own reading is ingested", || {
        let b = backend.clone();
        async move {
            b.state()
                .outlets()
                .iter()
                .any(|(_, o)| o.current_a == Some(1234))
        }
    })
    .await;
    app.backend().flush().await;
    assert_eq!(app.store().count_readings(fd).await.unwrap(), 0);
    assert!(
        app.backend()
            .state()
            .outlet(fd)
            .unwrap()
            .current_a
            .is_none()
    );
    assert!(
        !app.backend().state().ccu("03").is_some_and(|c| c.online),
        "a forged status must not make 03 online"
    );
    let stats = &app.backend().metrics().broker;
    assert_eq!(stats.denials(Denial::PublishTopic), 4);

    // B, from a fresh session, gets the server's retained device list, not A's.
    let (bc, mut bev) = raw(&app, "03", &b_secret).await;
    bc.subscribe("ccu/03/devices", QoS::AtLeastOnce)
        .await
        .unwrap();
    let retained = loop {
        if let Event::Incoming(Packet::Publish(p)) = bev.poll().await.unwrap() {
            break p;
        }
    };
    assert!(retained.retain, "the first device list is the retained one");
    let list: serde_json::Value = serde_json::from_slice(&retained.payload).unwrap();
    assert_eq!(list["devices"][0]["device_id"], "FD", "{list}");
}

#[tokio::test]
async fn retained_uplink_other_than_status_is_refused() {
    let app = spawn_app().await;
    let (a_secret, _b, _fd) = two_households(&app).await;
    let (a, mut a_ev) = raw(&app, "02", &a_secret).await;
    a.publish(
        "ccu/02/sensor",
        QoS::AtLeastOnce,
        true,
        json!({"device_id":"FE","current_a":500,"current_b":0}).to_string(),
    )
    .await
    .unwrap();
    puback(&mut a_ev).await;
    assert_eq!(
        app.backend()
            .metrics()
            .broker
            .denials(Denial::PublishRetain),
        1
    );
}

#[tokio::test]
async fn repeated_refused_publishes_disconnect_the_client() {
    let app = spawn_app().await;
    let (a_secret, _b, _fd) = two_households(&app).await;
    let (a, mut a_ev) = raw(&app, "02", &a_secret).await;
    let max = app.settings.mqtt.max_refused_publishes;
    for _ in 0..max {
        a.publish("ccu/03/sensor", QoS::AtMostOnce, false, "{}")
            .await
            .unwrap();
    }
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if a_ev.poll().await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the broker must close the connection");
    let stats = &app.backend().metrics().broker;
    assert_eq!(
        stats
            .acl_disconnects
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert_eq!(stats.denials(Denial::PublishTopic), u64::from(max));
}

#[tokio::test]
async fn a_will_on_another_ccus_topic_refuses_the_connect() {
    let app = spawn_app().await;
    let (a_secret, _b, _fd) = two_households(&app).await;
    let mut o = options(app.mqtt_addr, "02", &a_secret);
    o.set_last_will(LastWill::new(
        "ccu/03/status",
        r#"{"online":false}"#,
        QoS::AtLeastOnce,
        true,
    ));
    let (_c, mut ev) = AsyncClient::new(o, 10);
    let r = tokio::time::timeout(Duration::from_secs(10), connack(&mut ev))
        .await
        .expect("answered in time");
    assert!(
        matches!(
            r,
            Err(ConnectionError::ConnectionRefused(
                ConnectReturnCode::NotAuthorized
            ))
        ),
        "{r:?}"
    );
    assert_eq!(app.backend().metrics().broker.denials(Denial::Will), 1);
}

#[tokio::test]
async fn rotating_a_secret_closes_the_live_session() {
    let app = spawn_app().await;
    let (alice, secret, _fe) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let other = {
        let bob = app.add_user("bob").await;
        let s = app.add_ccu(&bob, "03").await;
        app.device("03", &s).await
    };
    app.backend()
        .rotate_ccu_secret(backend::Actor::User(alice.id), "02")
        .await
        .unwrap();
    dev.closed_by_broker().await;
    // Another CCU's session stays.
    other.send("breaker", json!({"current_ma": 1000})).await;
    let b = app.backend().clone();
    wait_until("03's reading after the rotation", || {
        let b = b.clone();
        async move {
            b.state()
                .ccu("03")
                .is_some_and(|c| c.breaker_ma == Some(1000))
        }
    })
    .await;
    let stats = &app.backend().metrics().broker;
    assert_eq!(
        stats
            .sessions_revoked
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn a_rotation_by_another_process_closes_the_session_too() {
    let app = spawn_app().await;
    let (_alice, secret, _fe) = app.seed().await;
    let dev = app.device("02", &secret).await;
    // What `smart-outlet ccu rotate` does from another process: only the store changes;
    // the server notices on its refresh timer.
    let _new = backend::admin::rotate_ccu_secret(app.store(), "02")
        .await
        .unwrap();
    dev.closed_by_broker().await;
}

#[tokio::test]
async fn deleting_a_ccu_closes_its_session() {
    let app = spawn_app().await;
    let (alice, secret, _fe) = app.seed().await;
    let dev = app.device("02", &secret).await;
    app.backend()
        .delete_ccu(backend::Actor::User(alice.id), "02")
        .await
        .unwrap();
    dev.closed_by_broker().await;
    let (_c, mut ev) = AsyncClient::new(options(app.mqtt_addr, "02", &secret), 10);
    let r = tokio::time::timeout(Duration::from_secs(10), connack(&mut ev)).await;
    assert!(matches!(r, Ok(Err(_))), "a removed CCU is refused: {r:?}");
}

#[tokio::test]
async fn a_failed_broker_fails_the_health_checks_and_ends_the_server() {
    let app = spawn_app().await;
    assert_eq!(
        system_tests::http_get(app.http_addr, "/healthz").await,
        "ok"
    );
    // What the supervisor does when the router thread or a listener has stopped.
    app.backend().metrics().broker.health.fail("router");
    for path in ["/healthz", "/readyz"] {
        let (status, body) = system_tests::http_raw(app.http_addr, "GET", path, None, &[]).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert!(body.contains("router stopped"), "{path}: {body}");
    }
    let ended = tokio::time::timeout(Duration::from_secs(10), app.app.run_until_stopped())
        .await
        .expect("the server must stop by itself");
    let err = ended.expect_err("and report the failure");
    assert!(err.to_string().contains("router"), "{err}");
}
