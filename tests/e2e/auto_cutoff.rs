//! The automatic cut-off: when a CCU's breaker load reaches its `auto_cutoff_pct`, the
//! server switches off the switched-on socket drawing the most among the outlets not
//! protected (the command reaches the CCU over MQTT), records an `auto_cutoff` event, and
//! cuts nothing more within the cool-down. Only the owner sets it; values are checked.

use reqwest::StatusCode;
use serde_json::json;
use std::sync::atomic::Ordering::Relaxed;
use system_tests::{ApiClient, spawn_app, wait_for};

#[tokio::test]
async fn the_unprotected_socket_drawing_the_most_is_cut_once_per_cooldown() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (_, created) = alice.post("/ccus", json!({"id": "02"})).await;
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for (device, name) in [("FE", "Kettle"), ("FD", "Fridge"), ("FC", "Lamp")] {
        let body = json!({"ccu_id": "02", "device_id": device, "name": name});
        let (s, o) = alice.post("/outlets", body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        ids.push(o["id"].as_i64().unwrap());
    }
    let (kettle, fridge, lamp) = (ids[0], ids[1], ids[2] as i32);

    // Only the owner; 1 to 100 or null.
    let bob = ApiClient::signup(&app, "bob").await;
    let (s, _) = bob.put("/ccus/02/auto-cutoff", json!({"at_pct": 90})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob
        .put(
            &format!("/outlets/{fridge}/cutoff-protection"),
            json!({"protected": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for bad in [
        json!({"at_pct": 0}),
        json!({"at_pct": 101}),
        json!({"at_pct": "x"}),
    ] {
        let (s, e) = alice.put("/ccus/02/auto-cutoff", bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let (s, o) = alice
        .put(
            &format!("/outlets/{fridge}/cutoff-protection"),
            json!({"protected": true}),
        )
        .await;
    assert_eq!(
        (s, &o["cutoff_protected"]),
        (StatusCode::OK, &json!(true)),
        "{o}"
    );
    let (s, _) = alice
        .put("/ccus/02/breaker-threshold", json!({"threshold_ma": 10000}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = alice
        .put("/ccus/02/auto-cutoff", json!({"at_pct": 90}))
        .await;
    assert_eq!(
        (s, &c["auto_cutoff_pct"]),
        (StatusCode::OK, &json!(90)),
        "{c}"
    );

    // The fridge draws the most but is protected; the kettle's socket A is next.
    let mut dev = app.device("02", &secret).await;
    let reading = |device: &str, a: i64, b: i64| {
        json!({"device_id": device, "current_a": a, "current_b": b,
               "relay_a": true, "relay_b": b > 0, "is_overload": false})
    };
    dev.send(
        "sensor",
        json!([
            reading("FD", 5000, 0),
            reading("FE", 3000, 1000),
            reading("FC", 400, 0)
        ]),
    )
    .await;
    let b = app.backend().clone();
    wait_for("the kettle's state", || {
        let b = b.clone();
        async move {
            b.state()
                .outlet(kettle as i32)
                .is_some_and(|s| s.current_a == Some(3000))
                .then_some(())
        }
    })
    .await;
    // Below 90 % of 10 A: nothing.
    dev.send("breaker", json!({"current_ma": 8900})).await;
    dev.send("breaker", json!({"current_ma": 9500})).await;
    let cmd = dev.next_command().await;
    assert_eq!(cmd.device_id.to_string(), "FE", "{cmd:?}");
    assert_eq!(cmd.command.as_str(), "relay_off");
    assert_eq!(cmd.socket.map(|s| s.as_str()), Some("a"));

    // Within the cool-down (30 s) a second reading above the trigger cuts nothing: a
    // reading sent after it is processed after it (one connection, in order).
    dev.send("breaker", json!({"current_ma": 9800})).await;
    dev.send("sensor", reading("FC", 450, 0)).await;
    wait_for("the lamp's next reading", || {
        let b = b.clone();
        async move {
            b.state()
                .outlet(lamp)
                .is_some_and(|s| s.current_a == Some(450))
                .then_some(())
        }
    })
    .await;
    assert_eq!(app.backend().metrics().auto_cutoffs.load(Relaxed), 1);

    let (s, events) = alice.get("/events?kind=auto_cutoff").await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{events}");
    let message = items[0]["message"].as_str().unwrap();
    assert!(message.contains("Kettle socket A (3000 mA)"), "{message}");
    assert_eq!(items[0]["source"], "server");
    let (_, bobs) = bob.get("/events?kind=auto_cutoff").await;
    assert_eq!(bobs["items"].as_array().map(Vec::len), Some(0), "{bobs}");

    // Off again: nothing is cut, whatever the load.
    let (s, c) = alice
        .put("/ccus/02/auto-cutoff", json!({"at_pct": null}))
        .await;
    assert_eq!((s, &c["auto_cutoff_pct"]), (StatusCode::OK, &json!(null)));
}
