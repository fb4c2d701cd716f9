//! Presence of outlets: silence makes an outlet offline with an alert; a reading clears it.

use backend::domain::AlertKind;
use serde_json::json;
use std::time::Duration;
use system_tests::{alert_cleared, next_alert, spawn_app_with};

#[tokio::test]
async fn a_silent_outlet_goes_offline_and_comes_back() {
    let app = spawn_app_with(|s| s.presence.stale_after = Duration::from_millis(800)).await;
    let (_u, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let mut live = app.backend().subscribe();
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":500,"current_b":0}),
    )
    .await;
    // Keep the CCU itself alive with breaker readings while the outlet stays silent.
    let keepalive = {
        let client = dev.client.clone();
        tokio::spawn(async move {
            loop {
                let _ = client
                    .publish(
                        "ccu/02/breaker",
                        rumqttc::QoS::AtLeastOnce,
                        false,
                        r#"{"current_ma":1000}"#,
                    )
                    .await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let alert = next_alert(&mut live, "outlet offline alert", AlertKind::OutletOffline).await;
    assert_eq!(alert.outlet_id, Some(outlet.id));
    assert!(!app.backend().state().outlet(outlet.id).unwrap().online);
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":500,"current_b":0}),
    )
    .await;
    alert_cleared(&mut live, "outlet back", AlertKind::OutletOffline).await;
    assert!(app.backend().state().outlet(outlet.id).unwrap().online);
    keepalive.abort();
}
