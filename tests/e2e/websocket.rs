//! WebSocket streams: authenticated, per user, fast, and the old shapes.

use backend::live::LiveEvent;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use system_tests::{ApiClient, PASSWORD, TestApp, spawn_app};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Logs in over REST, registering the user first when it does not exist yet.
async fn login(app: &TestApp, name: &str) -> ApiClient {
    let creds = json!({"username": name, "password": PASSWORD});
    let _ = ApiClient::new(app).post("/auth/register", creds).await;
    ApiClient::login(app, name, PASSWORD).await
}

async fn connect(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("ws://{}{path}", app.http_addr)
        .into_client_request()
        .unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

async fn next_json(ws: &mut Ws, mut pick: impl FnMut(&Value) -> bool) -> Value {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if pick(&v) {
                        return v;
                    }
                }
                Some(Ok(_)) => continue,
                other => panic!("socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("timed out waiting for a WebSocket message")
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
        assert!(connect(&app, path, None).await.is_err(), "{path}");
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
    // Another user's events never show up on Alice's stream.
    let bob = app.add_user("bob").await;
    let bob_secret = app.add_ccu(&bob, "03").await;
    app.add_outlet("03", "FD", "Bob's").await;
    let bob_dev = app.device("03", &bob_secret).await;
    bob_dev
        .send(
            "sensor",
            json!({"device_id":"FD","current_a":999,"current_b":0}),
        )
        .await;

    let sent = Instant::now();
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1234,"current_b":0}),
    )
    .await;
    let v = next_json(&mut ws, |v| v["type"] == "reading").await;
    let latency = sent.elapsed();
    assert_eq!(v["device_id"], "FE", "only Alice's outlet: {v}");
    assert_eq!(v["current_a"], 1234);
    assert!(latency < Duration::from_secs(1), "reading took {latency:?}");

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
    let cookie = login(&app, "alice").await.cookie;
    let user = app.store().find_user("alice").await.unwrap().unwrap().0;
    let secret = app.add_ccu(&user, "02").await;
    app.add_outlet("02", "FE", "Desk Outlet").await;
    let dev = app.device("02", &secret).await;

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

#[tokio::test]
async fn a_client_that_never_reads_slows_neither_ingest_nor_other_clients() {
    let app = system_tests::spawn_app().await;
    let cookie = login(&app, "alice").await.cookie;
    let user = app.store().find_user("alice").await.unwrap().unwrap().0;
    let secret = app.add_ccu(&user, "02").await;
    app.add_outlet("02", "FE", "Desk").await;
    let dev = app.device("02", &secret).await;
    // Connected, then never read again.
    let _stalled = connect(&app, "/ws", Some(&cookie)).await.unwrap();
    let mut reader = connect(&app, "/ws", Some(&cookie)).await.unwrap();
    next_json(&mut reader, |v| v["type"] == "hello").await;
    let n = 20_000;
    let payload = json!({"device_id":"FE","current_a":1000,"current_b":0}).to_string();
    for _ in 0..n - 1 {
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
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":4321,"current_b":0}),
    )
    .await;
    // The reading client sees the last reading (skipping is allowed, stalling is not).
    next_json(&mut reader, |v| {
        v["type"] == "reading" && v["current_a"] == 4321
    })
    .await;
    let b = app.backend().clone();
    system_tests::wait_until("every reading ingested", || {
        let b = b.clone();
        async move {
            b.metrics()
                .ingested_total(backend::metrics::Transport::Mqtt)
                == n
        }
    })
    .await;
}
