//! Changes made over the REST API reach the CCU at once: a threshold change or a deleted
//! outlet republishes its device list; a deleted CCU loses its live session and its old secret
//! no longer logs in (checked with `mosquitto_pub`, as docs/mqtt.md describes the refusal).

use ccu_core::protocol::DeviceList;
use reqwest::StatusCode;
use serde_json::json;
use system_tests::{ApiClient, Device, PASSWORD, spawn_app};

/// `(device_id, threshold_ma)` of every outlet in a device list.
fn entries(list: &DeviceList) -> Vec<(String, u16)> {
    list.devices
        .iter()
        .map(|d| (d.device_id.to_string(), d.threshold_ma))
        .collect()
}

/// Device lists until one differs from `previous` (the list can be published again unchanged
/// when the CCU comes online).
async fn next_changed_list(dev: &mut Device, previous: &[(String, u16)]) -> Vec<(String, u16)> {
    loop {
        let list = entries(&dev.next_devices().await);
        if list != previous {
            return list;
        }
    }
}

#[tokio::test]
async fn a_threshold_change_or_a_deleted_outlet_republishes_the_device_list() {
    let app = spawn_app().await;
    let (_alice, secret, fe) = app.seed().await;
    let lamp = app.add_outlet("02", "03", "Lamp").await;
    let api = ApiClient::login(&app, "alice", PASSWORD).await;
    let mut dev = app.device("02", &secret).await;
    let first = entries(&dev.next_devices().await);
    assert_eq!(first, [("03".into(), 0), ("FE".into(), 0)]);

    let (s, v) = api
        .put(
            &format!("/outlets/{}/threshold", fe.id),
            json!({"threshold_ma": 2500}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = next_changed_list(&mut dev, &first).await;
    assert_eq!(second, [("03".into(), 0), ("FE".into(), 2500)]);

    let (s, v) = api.delete(&format!("/outlets/{}", lamp.id)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let third = next_changed_list(&mut dev, &second).await;
    assert_eq!(third, [("FE".into(), 2500)]);
}

#[tokio::test]
async fn a_ccu_deleted_over_the_api_is_disconnected_and_refused() {
    let app = spawn_app().await;
    let (_alice, secret, _fe) = app.seed().await;
    let api = ApiClient::login(&app, "alice", PASSWORD).await;
    let mut dev = app.device("02", &secret).await;
    dev.next_devices().await;
    let bob = app.add_user("bob").await;
    let bob_secret = app.add_ccu(&bob, "03").await;

    let (s, v) = api.delete("/ccus/02").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    tokio::time::timeout(system_tests::wait::DEADLINE, async {
        while dev.rx.recv().await.is_some() {}
    })
    .await
    .expect("the deleted CCU's session is closed");

    let port = app.mqtt_addr.port().to_string();
    let publish = |id: &str, secret: &str| {
        let mut c = tokio::process::Command::new("mosquitto_pub");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-i",
            id,
            "-u",
            id,
            "-P",
            secret,
        ])
        .args(["-q", "1", "-t", &format!("ccu/{id}/breaker")])
        .args(["-m", r#"{"current_ma":1000}"#]);
        c
    };
    let out = publish("02", &secret).output().await.unwrap();
    assert_eq!(out.status.code(), Some(7), "refused: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("connection was lost"),
        "{out:?}"
    );
    // The same publish with a registered CCU's credentials goes through.
    let out = publish("03", &bob_secret).output().await.unwrap();
    assert!(out.status.success(), "03 still logs in: {out:?}");
}
