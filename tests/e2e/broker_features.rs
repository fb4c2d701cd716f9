//! What we rely on from the embedded broker (see docs/mqtt.md "Broker support").

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::json;
use std::time::Duration;
use system_tests::device::connack;
use system_tests::{spawn_app, spawn_app_with, wait_until};

#[tokio::test]
async fn qos0_and_qos1_readings_are_both_accepted() {
    let app = spawn_app_with(|s| s.history.interval = Duration::ZERO).await;
    let (_u, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    for (qos, a) in [
        (QoS::AtMostOnce, 1000),
        (QoS::AtLeastOnce, 2000),
        (QoS::ExactlyOnce, 3000),
    ] {
        let p = json!({"device_id":"FE","current_a":a,"current_b":0}).to_string();
        dev.client
            .publish("ccu/02/sensor", qos, false, p)
            .await
            .unwrap();
    }
    let store = app.store().clone();
    wait_until("three readings", || {
        let s = store.clone();
        async move { s.count_readings(outlet.id).await.unwrap() == 3 }
    })
    .await;
}

#[tokio::test]
async fn shared_subscriptions_split_messages_between_group_members() {
    let app = spawn_app_with(|s| s.mqtt.allow_anonymous = true).await;
    let addr = app.mqtt_addr;
    let mut counts = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..2 {
        let mut o = MqttOptions::new(format!("member-{i}"), addr.ip().to_string(), addr.port());
        o.set_keep_alive(Duration::from_secs(5));
        let (c, mut ev) = AsyncClient::new(o, 100);
        connack(&mut ev).await.unwrap();
        c.subscribe("$share/g/demo/+/x", QoS::AtLeastOnce)
            .await
            .unwrap();
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = ev.poll().await.unwrap() {
                break;
            }
        }
        let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        counts.push(n.clone());
        tasks.push(tokio::spawn(async move {
            let _c = c;
            while let Ok(e) = ev.poll().await {
                if let Event::Incoming(Packet::Publish(_)) = e {
                    n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }));
    }
    let mut o = MqttOptions::new("publisher", addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(5));
    let (p, mut ev) = AsyncClient::new(o, 100);
    connack(&mut ev).await.unwrap();
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    for i in 0..10 {
        p.publish(format!("demo/{i}/x"), QoS::AtLeastOnce, false, "m")
            .await
            .unwrap();
    }
    let load = |i: usize| counts[i].load(std::sync::atomic::Ordering::SeqCst);
    wait_until("all ten delivered once", || {
        let total = load(0) + load(1);
        async move { total == 10 }
    })
    .await;
    assert!(
        load(0) > 0 && load(1) > 0,
        "both members got some: {} / {}",
        load(0),
        load(1)
    );
}

#[tokio::test]
async fn mqtt5_listener_accepts_ccus_with_credentials() {
    let v5 = broker::free_local_addr().unwrap();
    let app = spawn_app_with(|s| {
        s.mqtt.v5_addr = Some(v5);
        s.history.interval = Duration::ZERO;
    })
    .await;
    let (_u, secret, outlet) = app.seed().await;
    use rumqttc::v5::{
        AsyncClient as Client5, Event as Event5, MqttOptions as Options5,
        mqttbytes::v5::Packet as Packet5,
    };
    let mut o = Options5::new("02", v5.ip().to_string(), v5.port());
    o.set_credentials("02", &secret)
        .set_keep_alive(Duration::from_secs(5));
    let (c, mut ev) = Client5::new(o, 10);
    loop {
        if let Event5::Incoming(Packet5::ConnAck(_)) = ev.poll().await.unwrap() {
            break;
        }
    }
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    c.publish(
        "ccu/02/sensor",
        rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        false,
        r#"{"device_id":"FE","current_a":4242,"current_b":0}"#,
    )
    .await
    .unwrap();
    let store = app.store().clone();
    wait_until("v5 reading stored", || {
        let s = store.clone();
        async move { s.count_readings(outlet.id).await.unwrap() == 1 }
    })
    .await;

    let mut bad = Options5::new("02", v5.ip().to_string(), v5.port());
    bad.set_credentials("02", "wrong")
        .set_keep_alive(Duration::from_secs(5));
    let (_c, mut ev) = Client5::new(bad, 10);
    let refused = loop {
        match ev.poll().await {
            Ok(Event5::Incoming(Packet5::ConnAck(ack))) => {
                break ack.code != rumqttc::v5::mqttbytes::v5::ConnectReturnCode::Success;
            }
            Ok(_) => continue,
            Err(_) => break true,
        }
    };
    assert!(refused);
}

#[tokio::test]
async fn retained_status_and_will_drive_presence() {
    let app = spawn_app().await;
    let (_u, secret, _o) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let b = app.backend().clone();
    wait_until("online from retained status", || {
        let b = b.clone();
        async move {
            b.state()
                .ccu("02")
                .is_some_and(|s| s.online && s.firmware.as_deref() == Some("test"))
        }
    })
    .await;
    dev.kill();
    wait_until("offline from the will", || {
        let b = b.clone();
        async move { b.state().ccu("02").is_some_and(|s| !s.online) }
    })
    .await;
    let stored = app.store().get_ccu("02").await.unwrap().unwrap();
    assert!(!stored.online);
    assert_eq!(stored.firmware.as_deref(), Some("test"));
}
