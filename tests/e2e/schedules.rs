//! Schedules over the REST API and MQTT: an owner's schedule is checked, stored with its next
//! run in its time zone, and when due the server switches the socket (the command reaches the
//! CCU) and moves it to its next run; another user cannot see, add or delete one.

use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use system_tests::{ApiClient, spawn_app_with, wait_for};

#[tokio::test]
async fn a_due_schedule_switches_the_socket_once_and_moves_on() {
    let app = spawn_app_with(|s| s.automation.schedule_check = Duration::from_millis(200)).await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (_, created) = alice.post("/ccus", json!({"id": "02"})).await;
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let body = json!({"ccu_id": "02", "device_id": "FE", "name": "Heater"});
    let (_, outlet) = alice.post("/outlets", body).await;
    let outlet = outlet["id"].as_i64().unwrap();
    let path = format!("/outlets/{outlet}/schedules");

    for bad in [
        json!({"socket": "c", "action": "on", "time": "07:00"}),
        json!({"socket": "a", "action": "toggle", "time": "07:00"}),
        json!({"socket": "a", "action": "on", "time": "24:00"}),
        json!({"socket": "a", "action": "on", "time": "07:00", "weekdays": ["someday"]}),
        json!({"socket": "a", "action": "on", "time": "07:00", "timezone": "Mars/Olympus"}),
        json!({"socket": "a", "action": "on", "time": "07:00", "timezone": "Europe/Bérlin\u{0}"}),
        json!({"socket": "a", "action": "on", "time": "０７:００"}),
        json!({"socket": "a", "action": "on", "time": "07:00", "weekdays": ["x".repeat(10_000)]}),
    ] {
        let (s, e) = alice.post(&path, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let body = json!({"socket": "b", "action": "off", "time": "23:30",
                      "weekdays": ["mon", "fri"], "timezone": "Europe/Berlin"});
    let (s, sched) = alice.post(&path, body).await;
    assert_eq!(s, StatusCode::CREATED, "{sched}");
    assert_eq!(sched["weekdays"], json!(["mon", "fri"]));
    assert_eq!(sched["time"], "23:30");
    let now = backend::clock::now_ms();
    let next = sched["next_run_at"].as_i64().unwrap();
    assert!(next > now && next <= now + 8 * 86_400_000, "{sched}");

    let bob = ApiClient::signup(&app, "bob").await;
    let (s, _) = bob.get(&path).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob
        .post(
            &path,
            json!({"socket": "a", "action": "on", "time": "07:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let id = sched["id"].as_i64().unwrap() as i32;
    let (s, _) = bob.delete(&format!("/schedules/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Make it due now (as if its time had come) and watch the CCU get the command.
    let mut dev = app.device("02", &secret).await;
    let store = app.store().clone();
    assert!(
        store
            .claim_schedule(id, next, backend::clock::now_ms() - 1_000)
            .await
            .unwrap()
    );
    let cmd = dev.next_command().await;
    assert_eq!(cmd.device_id.to_string(), "FE");
    assert_eq!(cmd.command.as_str(), "relay_off");
    assert_eq!(cmd.socket.map(|s| s.as_str()), Some("b"));
    let moved = wait_for("the next run set", || {
        let store = store.clone();
        async move {
            store
                .get_schedule(id)
                .await
                .unwrap()
                .filter(|s| s.next_run_at > backend::clock::now_ms())
        }
    })
    .await;
    assert!(moved.next_run_at > backend::clock::now_ms());
    let (_, list) = alice.get(&path).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (s, _) = alice.delete(&format!("/schedules/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}
