//! What we rely on from the embedded broker (see docs/mqtt.md "Broker support").

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use system_tests::device::connack;
use system_tests::{spawn_app_with, wait_until};

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

/// Connects an anonymous client on a clean session, subscribes to `filter` and waits for the
/// SUBACK.
async fn subscribed(addr: SocketAddr, id: &str, filter: &str) -> (AsyncClient, EventLoop) {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(5));
    let (c, mut ev) = AsyncClient::new(o, 100);
    connack(&mut ev).await.unwrap();
    c.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = ev.poll().await.unwrap() {
            break;
        }
    }
    (c, ev)
}

#[tokio::test]
async fn shared_subscriptions_split_messages_between_group_members() {
    let app = spawn_app_with(|s| s.mqtt.allow_anonymous = true).await;
    let addr = app.mqtt_addr;
    // What each member received, in order.
    let mut got = Vec::new();
    for i in 0..2 {
        let (c, mut ev) = subscribed(addr, &format!("member-{i}"), "$share/g/demo/+/x").await;
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        got.push(log.clone());
        tokio::spawn(async move {
            let _c = c;
            while let Ok(e) = ev.poll().await {
                if let Event::Incoming(Packet::Publish(p)) = e {
                    let text = String::from_utf8_lossy(&p.payload).to_string();
                    log.lock().unwrap().push(text);
                }
            }
        });
    }
    let mut o = MqttOptions::new("publisher", addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(5));
    let (p, mut ev) = AsyncClient::new(o, 100);
    connack(&mut ev).await.unwrap();
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    for i in 0..10 {
        p.publish(
            format!("demo/{i}/x"),
            QoS::AtLeastOnce,
            false,
            i.to_string(),
        )
        .await
        .unwrap();
    }
    let received = |m: usize| got[m].lock().unwrap().clone();
    let distinct = || {
        let mut all: Vec<String> = [received(0), received(1)].concat();
        all.sort();
        all.dedup();
        all.len()
    };
    wait_until("all ten delivered", || {
        let n = distinct();
        async move { n == 10 }
    })
    .await;
    // Then markers on the same filter until each member got one: whatever a member was going
    // to receive of the ten (a duplicate, a redelivery) it has received by its marker.
    let marked = |m: usize| received(m).iter().any(|t| t.starts_with("end"));
    for k in 0.. {
        if marked(0) && marked(1) {
            break;
        }
        assert!(k < 50, "50 markers and not both members got one");
        let seen = received(0).len() + received(1).len();
        p.publish("demo/end/x", QoS::AtLeastOnce, false, format!("end{k}"))
            .await
            .unwrap();
        wait_until("the marker delivered", || {
            let n = received(0).len() + received(1).len();
            async move { n > seen }
        })
        .await;
    }
    let ten = |m: usize| -> Vec<String> {
        received(m)
            .into_iter()
            .filter(|t| !t.starts_with("end"))
            .collect()
    };
    let (a, b) = (ten(0), ten(1));
    let mut all = [a.clone(), b.clone()].concat();
    all.sort_by_key(|t| t.parse::<u32>().unwrap());
    let want: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(all, want, "each of the ten exactly once, none more");
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both members got some: {a:?} / {b:?}"
    );
}

/// The message a new clean session is sent at once on subscribing to `topic`: the retained one.
/// Returns the payload; panics when the first message is not flagged as retained.
async fn retained(addr: SocketAddr, topic: &str) -> String {
    let id = format!("late-{}", uuid::Uuid::new_v4().simple());
    let (_c, mut ev) = subscribed(addr, &id, topic).await;
    let publish = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Packet::Publish(p)) = ev.poll().await.unwrap() {
                return p;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("nothing retained on {topic}"));
    assert!(
        publish.retain,
        "the first message is the retained one: {publish:?}"
    );
    String::from_utf8_lossy(&publish.payload).to_string()
}

#[tokio::test]
async fn retained_status_and_will_drive_presence() {
    let app = spawn_app_with(|s| s.mqtt.allow_anonymous = true).await;
    let (_u, secret, _o) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let b = app.backend().clone();
    wait_until("online from the status", || {
        let b = b.clone();
        async move {
            b.state()
                .ccu("02")
                .is_some_and(|s| s.online && s.firmware.as_deref() == Some("test"))
        }
    })
    .await;
    // The broker kept the status: a session subscribing after it was published gets it.
    assert_eq!(
        retained(app.mqtt_addr, "ccu/02/status").await,
        r#"{"online":true,"firmware":"test"}"#
    );
    dev.kill();
    wait_until("offline from the will", || {
        let b = b.clone();
        async move { b.state().ccu("02").is_some_and(|s| !s.online) }
    })
    .await;
    // The will replaced it, retained too.
    assert_eq!(
        retained(app.mqtt_addr, "ccu/02/status").await,
        r#"{"online":false}"#
    );
    let stored = app.store().get_ccu("02").await.unwrap().unwrap();
    assert!(!stored.online);
    assert_eq!(stored.firmware.as_deref(), Some("test"));
}
