//! WebSocket streams: authenticated, per user, fast, slow clients skipping or dropped alone,
//! and the old shapes.

use backend::live::LiveEvent;
use futures_util::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};
use system_tests::ws::{Ws, next_json, ws_connect};
use system_tests::{ApiClient, PASSWORD, TestApp, spawn_app};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

/// Logs in over REST, registering the user first when it does not exist yet.
async fn login(app: &TestApp, name: &str) -> ApiClient {
    let creds = json!({"username": name, "password": PASSWORD});
    let _ = ApiClient::new(app).post("/auth/register", creds).await;
    ApiClient::login(app, name, PASSWORD).await
}

/// Alice logged in (her session cookie) and her CCU `02`, connected, with outlet `FE`.
async fn alice_with_outlet(app: &TestApp, name: &str) -> (String, system_tests::Device) {
    let cookie = login(app, "alice").await.cookie;
    let user = app.store().find_user("alice").await.unwrap().unwrap().0;
    let secret = app.add_ccu(&user, "02").await;
    app.add_outlet("02", "FE", name).await;
    (cookie, app.device("02", &secret).await)
}

async fn connect(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    ws_connect(app.http_addr, path, cookie).await
}

/// `dev` sends a reading of `device`: every message on `ws` up to it is about `user`'s devices.
async fn own_only_until_reading(ws: &mut Ws, dev: &system_tests::Device, device: &str, user: i32) {
    dev.send(
        "sensor",
        json!({"device_id": device, "current_a": 999, "current_b": 0}),
    )
    .await;
    loop {
        let v = next_json(ws, |_| true).await;
        assert_eq!(v["user_id"], user, "only user {user}'s devices: {v}");
        if v["type"] == "reading" && v["device_id"] == device {
            return;
        }
    }
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("message")
        {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn websockets_need_a_login() {
    let app = spawn_app().await;
    for path in ["/ws", "/ws/sensor/FE/", "/ws/breaker/02/"] {
        match connect(&app, path, None).await {
            Err(tungstenite::Error::Http(r)) => assert_eq!(r.status(), 401, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_reading_reaches_the_dashboard_stream_fast_and_a_rest_command_comes_back_acknowledged() {
    let app = spawn_app().await;
    let alice = login(&app, "alice").await;
    let cookie = alice.cookie.clone();
    let user = app.store().find_user("alice").await.unwrap().unwrap().0;
    let secret = app.add_ccu(&user, "02").await;
    let outlet = app.add_outlet("02", "FE", "Desk").await;
    let mut dev = app.device("02", &secret).await;
    let mut ws = connect(&app, "/ws", Some(&cookie)).await.unwrap();
    next_json(&mut ws, |v| v["type"] == "hello").await;
    let bob_cookie = login(&app, "bob").await.cookie;
    let bob = app.store().find_user("bob").await.unwrap().unwrap().0;
    let bob_secret = app.add_ccu(&bob, "03").await;
    app.add_outlet("03", "FD", "Bob's").await;
    let bob_dev = app.device("03", &bob_secret).await;
    let mut bob_ws = connect(&app, "/ws", Some(&bob_cookie)).await.unwrap();
    next_json(&mut bob_ws, |v| v["type"] == "hello").await;

    let sent = Instant::now();
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1234,"current_b":0}),
    )
    .await;
    let v = next_json(&mut ws, |v| v["type"] == "reading").await;
    let latency = sent.elapsed();
    assert_eq!(v["device_id"], "FE", "{v}");
    assert_eq!(v["current_a"], 1234);
    assert!(latency < Duration::from_secs(1), "reading took {latency:?}");
    // Alice's reading has gone out; Bob's own comes after it. Nothing of Alice's reached
    // Bob's stream before his own reading did, and nothing of Bob's reached Alice's before
    // her next one.
    own_only_until_reading(&mut bob_ws, &bob_dev, "FD", bob.id).await;
    own_only_until_reading(&mut ws, &dev, "FE", user.id).await;

    app.wait_online("02").await;
    let (status, c) = alice.relay(outlet.id.into(), "b", true).await;
    assert_eq!(status, 202, "{c}");
    let cmd = dev.next_command().await;
    dev.send("ack", json!({"id": cmd.id.as_str(), "status": "ok"}))
        .await;
    // The relay state is applied before the command completes; both arrive.
    let (mut ok, mut relay) = (None, None);
    while ok.is_none() || relay.is_none() {
        let v = next_json(&mut ws, |v| {
            v["type"] == "relay" || (v["type"] == "command" && v["command"]["status"] == "ok")
        })
        .await;
        if v["type"] == "relay" {
            relay = Some(v)
        } else {
            ok = Some(v)
        }
    }
    assert_eq!(ok.unwrap()["command"]["id"], cmd.id.as_str());
    let relay = relay.unwrap();
    assert_eq!(
        (relay["socket"].as_str(), relay["on"].as_bool()),
        (Some("b"), Some(true))
    );
}

#[tokio::test]
async fn the_old_sensor_and_breaker_streams_keep_their_shapes() {
    let app = spawn_app().await;
    let (cookie, dev) = alice_with_outlet(&app, "Desk Outlet").await;

    let mut sensor = connect(&app, "/ws/sensor/FE/", Some(&cookie))
        .await
        .unwrap();
    let initial = next_text(&mut sensor).await;
    assert!(initial.starts_with(r#"{"type": "initial_data", "data": {"outlet_name": "Desk Outlet", "device_id": "FE", "relay_a": false, "relay_b": false, "current_a": 0, "current_b": 0, "is_overload": false, "timestamp": null}}"#), "{initial}");
    let mut breaker = connect(&app, "/ws/breaker/2/", Some(&cookie))
        .await
        .unwrap();
    let mut live = app.backend().subscribe();
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":2500,"current_b":99}),
    )
    .await;
    let text = next_text(&mut sensor).await;
    assert!(text.starts_with(r#"{"type": "sensor_data", "data": {"outlet_name": "Desk Outlet", "device_id": "FE", "relay_a": false, "relay_b": false, "current_a": 2500, "current_b": 0, "is_overload": false, "timestamp": ""#), "{text}");
    assert!(text.ends_with(r#"+00:00"}}"#), "{text}");
    system_tests::wait_for_event(&mut live, "reading processed", |e| {
        matches!(e, LiveEvent::Reading { .. }).then_some(())
    })
    .await;
    dev.send("breaker", json!({"current_ma": 3333})).await;
    let text = next_text(&mut breaker).await;
    assert!(text.starts_with(r#"{"type": "sensor_data", "data": {"ccu_id": "02", "current_ma": 3333, "current_amps": 3.33, "timestamp": ""#), "{text}");

    // Someone else's outlet looks like an unknown one.
    let bob_cookie = login(&app, "bob").await.cookie;
    let mut other = connect(&app, "/ws/sensor/FE/", Some(&bob_cookie))
        .await
        .unwrap();
    assert_eq!(
        next_text(&mut other).await,
        r#"{"type": "initial_data", "data": null}"#
    );
}

/// `/ws` over a socket whose receive buffer is small (4 KiB, set before connecting), so that a
/// client that stops reading fills it, and then the server's send buffer, quickly.
async fn connect_small_buffer(app: &TestApp, cookie: &str) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(app.http_addr).await.unwrap();
    let mut req = format!("ws://{}/ws", app.http_addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    tokio_tungstenite::client_async(req, stream)
        .await
        .unwrap()
        .0
}

/// A value of the server's `/metrics`.
async fn metric(app: &TestApp, name: &str) -> i64 {
    let text = system_tests::http_get(app.http_addr, "/metrics").await;
    let line = text
        .lines()
        .find(|l| l.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("{name} in {text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_slows_neither_ingest_nor_other_clients() {
    let app = system_tests::spawn_app().await;
    let (cookie, dev) = alice_with_outlet(&app, "Desk").await;
    // Connected, then never read again.
    let mut stalled = connect_small_buffer(&app, &cookie).await;
    let mut reader = connect(&app, "/ws", Some(&cookie)).await.unwrap();
    next_json(&mut reader, |v| v["type"] == "hello").await;
    const CLIENTS: &str = "smart_outlet_websocket_clients";
    assert_eq!(metric(&app, CLIENTS).await, 2);
    // The other client reads all along, counting the readings it gets.
    let (seen_tx, mut seen) = tokio::sync::watch::channel(0u64);
    let reading = tokio::spawn(async move {
        loop {
            let v = next_json(&mut reader, |v| v["type"] == "reading").await;
            seen_tx.send_modify(|n| *n += 1);
            if v["current_a"] == 4321 {
                return;
            }
        }
    });
    // Readings flow until the server gives up on the client that does not read: its sends
    // block once the buffers are full, and after 5 s blocked it is dropped.
    let payload = json!({"device_id":"FE","current_a":1000,"current_b":0}).to_string();
    let started = Instant::now();
    let mut sent = 0u64;
    while metric(&app, CLIENTS).await != 1 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the stalled client still connected after {sent} readings"
        );
        for _ in 0..500 {
            dev.client
                .publish(
                    "ccu/02/sensor",
                    rumqttc::QoS::AtMostOnce,
                    false,
                    payload.clone(),
                )
                .await
                .unwrap();
        }
        sent += 500;
        // Closed loop: never more than a few thousand ahead of ingest, well inside the
        // broker's per-topic buffer, so that no reading is lost on the way.
        let b = app.backend().clone();
        system_tests::wait_until("ingest keeps up", || {
            let b = b.clone();
            async move {
                b.metrics()
                    .ingested_total(backend::metrics::Transport::Mqtt)
                    + 2000
                    >= sent
            }
        })
        .await;
    }
    // The server closed it: after what was buffered, the stream ends.
    tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(m)) = stalled.next().await {
            if m.is_close() {
                break;
            }
        }
    })
    .await
    .expect("the stalled client's connection is closed");
    // The other client got readings all along and still gets them.
    let during = *seen.borrow_and_update();
    assert!(
        during > 0,
        "{during} of {sent} readings reached the reading client"
    );
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":4321,"current_b":0}),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(15), reading)
        .await
        .expect("the reading client gets the last reading")
        .unwrap();
    let b = app.backend().clone();
    system_tests::wait_until("every reading ingested", || {
        let b = b.clone();
        async move {
            b.metrics()
                .ingested_total(backend::metrics::Transport::Mqtt)
                == sent + 1
        }
    })
    .await;
}

/// The server's end of `ws`'s connection gets a small send buffer, as over a slow link: a
/// client that stops reading blocks the server's sends after a few KiB (otherwise the kernel
/// buffers megabytes, tens of thousands of messages).
fn small_server_send_buffer(app: &TestApp, ws: &Ws) {
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.get_ref() else {
        unreachable!("a plain connection");
    };
    let client = tcp.local_addr().unwrap();
    assert!(
        system_tests::sockets::set_send_buffer_size(app.http_addr, client, 4096),
        "the server's end of {client}"
    );
}

#[tokio::test]
async fn a_client_that_falls_behind_is_told_how_many_messages_it_missed_and_no_one_else_misses_any()
{
    const SKIPPED: &str = "smart_outlet_websocket_skipped_total";
    const MARKER: u64 = 700;
    // 2000 more than a client's channel holds, in whole rounds of 500. The paused client's
    // socket buffers, both small, take 64 of them: then the server's task for it is blocked in
    // a send while some 2000 more readings go by than its channel keeps.
    let burst = (backend::live::CAPACITY as u64 + 2000).next_multiple_of(500);
    let app = spawn_app().await;
    let (cookie, dev) = alice_with_outlet(&app, "Desk").await;
    let mut slow = connect_small_buffer(&app, &cookie).await;
    small_server_send_buffer(&app, &slow);
    let mut fast = connect(&app, "/ws", Some(&cookie)).await.unwrap();
    // Both clients at the same point of their user's stream: from here on they are sent the
    // same events.
    let reading = |ma: u64| json!({"device_id": "FE", "current_a": ma, "current_b": 0});
    dev.send("sensor", reading(500)).await;
    for ws in [&mut slow, &mut fast] {
        next_json(ws, |v| v["type"] == "reading" && v["current_a"] == 500).await;
    }
    assert_eq!(metric(&app, SKIPPED).await, 0);
    // The fast client reads all along, counting what it gets up to the marker.
    let (seen_tx, seen) = tokio::sync::watch::channel(0u64);
    let fast = tokio::spawn(async move {
        let mut events = 0u64;
        loop {
            let v = next_json(&mut fast, |_| true).await;
            assert_ne!(v["type"], "lagged", "the fast client missed messages: {v}");
            events += 1;
            if v["type"] == "reading" {
                seen_tx.send_modify(|n| *n += 1);
                if v["current_a"] == MARKER {
                    return (events, fast);
                }
            }
        }
    });

    // The slow client reads nothing while the burst goes by.
    let ingested = {
        let b = app.backend().clone();
        move || {
            b.metrics()
                .ingested_total(backend::metrics::Transport::Mqtt)
        }
    };
    let before = ingested();
    let paused = Instant::now();
    let mut sent = 0u64;
    while sent < burst {
        for ma in 1000 + sent..1000 + sent + 500 {
            dev.client
                .publish(
                    "ccu/02/sensor",
                    rumqttc::QoS::AtMostOnce,
                    false,
                    reading(ma).to_string(),
                )
                .await
                .unwrap();
        }
        sent += 500;
        // Closed loop: ingest and the fast client at most 2000 behind, well inside the
        // broker's per-topic buffer (no reading lost on the way) and the fast client's
        // channel (it may not fall behind for want of CPU either).
        let (ingested, seen) = (ingested.clone(), seen.clone());
        system_tests::wait_until("ingest and the fast client keep up", || {
            let (ingested, seen) = (ingested.clone(), seen.clone());
            async move { ingested() + 2000 >= before + sent && *seen.borrow() + 2000 >= sent }
        })
        .await;
    }
    // Ingest does not wait for the slow client: every reading is in while it still reads
    // nothing.
    system_tests::wait_until("every reading ingested", || {
        let ingested = ingested.clone();
        async move { ingested() == before + burst }
    })
    .await;
    let paused = paused.elapsed();
    assert!(
        paused < Duration::from_secs(5),
        "the burst took {paused:?}: the paused client may have been dropped (5 s send timeout)"
    );
    dev.send("sensor", reading(MARKER)).await;

    // The slow client reads again: what was buffered, then how many it missed, then newer
    // readings up to the marker.
    let (mut events, mut told, mut last_ma) = (0u64, Vec::new(), 0u64);
    loop {
        let v = next_json(&mut slow, |_| true).await;
        if v["type"] == "lagged" {
            told.push(v["skipped"].as_u64().unwrap());
            continue;
        }
        events += 1;
        if v["type"] != "reading" {
            continue;
        }
        let ma = v["current_a"].as_u64().unwrap();
        if ma == MARKER {
            break;
        }
        assert!(ma > last_ma, "reading {ma} after {last_ma}");
        last_ma = ma;
    }
    let skipped: u64 = told.iter().sum();
    assert!(!told.is_empty() && !told.contains(&0), "told {told:?}");
    // Told exactly: what it got and what it was told it missed are what the other got.
    let (fast_events, _open) = tokio::time::timeout(Duration::from_secs(15), fast)
        .await
        .expect("the fast client gets the marker")
        .unwrap();
    assert_eq!(events + skipped, fast_events, "told {told:?}");
    assert_eq!(
        *seen.borrow(),
        burst + 1,
        "the fast client got every reading"
    );
    // Counted exactly: the server adds a count as it makes the message (before sending it),
    // and no other client fell behind.
    assert_eq!(metric(&app, SKIPPED).await, skipped as i64);
    assert_eq!(metric(&app, "smart_outlet_websocket_clients").await, 2);
    assert_eq!(ingested(), before + burst + 1);
}
