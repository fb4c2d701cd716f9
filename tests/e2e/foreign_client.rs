//! A client that is not ours (mosquitto_pub / mosquitto_sub) speaks the contract.

use system_tests::{spawn_app, wait_for};
use tokio::process::Command;

#[tokio::test]
async fn mosquitto_pub_reading_is_stored() {
    let app = spawn_app().await;
    let (_u, secret, outlet) = app.seed().await;
    let port = app.mqtt_addr.port().to_string();
    let out = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-i",
            "02",
            "-u",
            "02",
            "-P",
            &secret,
            "-q",
            "1",
        ])
        .args([
            "-t",
            "ccu/02/sensor",
            "-m",
            r#"{"device_id":"FE","current_a":1500,"current_b":250,"relay_a":true}"#,
        ])
        .output()
        .await
        .expect("mosquitto_pub is installed (.ci/run installs mosquitto-clients)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = app.store().clone();
    let rows = wait_for("the reading in the store", || {
        let store = store.clone();
        async move {
            let r = store.readings(outlet.id, 0, i64::MAX, 10).await.unwrap();
            (!r.is_empty()).then_some(r)
        }
    })
    .await;
    assert_eq!((rows[0].current_a, rows[0].current_b), (1500, 250));
}

#[tokio::test]
async fn mosquitto_with_a_wrong_password_is_refused() {
    let app = spawn_app().await;
    app.seed().await;
    let port = app.mqtt_addr.port().to_string();
    let out = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-i",
            "02",
            "-u",
            "02",
            "-P",
            "nope",
        ])
        .args(["-t", "ccu/02/sensor", "-m", "{}"])
        .output()
        .await
        .expect("mosquitto_pub runs");
    // README: refused, "Connection lost", exit code 7: MOSQ_ERR_CONN_LOST, the broker closes
    // the connection without a CONNACK (mosquitto_strerror: "The connection was lost.").
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("The connection was lost"), "{stderr}");
}

/// `mosquitto_sub` as CCU 02 on a fresh (clean) session: the first message on
/// `ccu/02/devices` within 3 s, as `<retain flag> <payload>`.
async fn first_devices_message(port: &str, secret: &str) -> Option<String> {
    let out = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-i",
            "02",
            "-u",
            "02",
            "-P",
            secret,
        ])
        .args(["-t", "ccu/02/devices", "-C", "1", "-W", "3", "-q", "1"])
        .args(["-F", "%r %p"])
        .output()
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[tokio::test]
async fn mosquitto_sub_receives_the_retained_device_list() {
    let app = spawn_app().await;
    let (_u, secret, _o) = app.seed().await;
    app.add_outlet("02", "3", "Lamp").await;
    let port = app.mqtt_addr.port().to_string();
    // The two-outlet list has been published (live or retained, either will do here)...
    wait_for("a devices list with two outlets", || {
        let (port, secret) = (port.clone(), secret.clone());
        async move {
            let text = first_devices_message(&port, &secret).await?;
            text.contains("\"03\"").then_some(())
        }
    })
    .await;
    // ...so a new session that subscribes now is sent the retained copy at once, flagged as
    // retained; a list the server also republishes after the login would come later, unflagged.
    let text = first_devices_message(&port, &secret)
        .await
        .expect("mosquitto_sub runs");
    let (flag, payload) = text.split_once(' ').unwrap_or((&text, ""));
    assert_eq!(flag, "1", "the first list is the retained one: {text:?}");
    let v: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"devices":[{"device_id":"03","threshold_ma":0},{"device_id":"FE","threshold_ma":0}]})
    );
}
