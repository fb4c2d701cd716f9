//! Commands over the REST API: a relay command reaches the CCU and its ack comes back;
//! validation; cut-all.

use super::ccu_with_desk;
use reqwest::StatusCode;
use serde_json::json;
use system_tests::{ApiClient, spawn_app, wait_for};

#[tokio::test]
async fn a_relay_command_over_rest_reaches_the_ccu_and_its_ack_comes_back() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (secret, outlet_id) = ccu_with_desk(&alice).await;
    let mut dev = app.device("02", &secret).await;
    app.wait_online("02").await;

    let (s, c) = alice.relay(outlet_id, "a", true).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{c}");
    assert_eq!(c["status"], "sent");
    let got = dev.next_command().await;
    assert_eq!(got.id.as_str(), c["id"].as_str().unwrap());
    dev.send("ack", json!({"id": got.id.as_str(), "status":"ok"}))
        .await;
    let id = c["id"].as_str().unwrap().to_string();
    let done = wait_for("command ok over REST", || {
        let alice = &alice;
        let id = id.clone();
        async move {
            let (_, v) = alice.get(&format!("/commands/{id}")).await;
            (v["status"] == "ok").then_some(v)
        }
    })
    .await;
    assert!(done["completed_at"].is_i64());
    let (_, o) = alice.get(&format!("/outlets/{outlet_id}")).await;
    assert_eq!(o["relay_a"], true);

    // Validation errors.
    let no_socket = json!({"outlet_id": outlet_id, "command":"relay_on"});
    let unknown = json!({"outlet_id": outlet_id, "command":"explode"});
    let bad = StatusCode::BAD_REQUEST;
    alice
        .post_refused(
            "/commands",
            &[
                (no_socket, bad, "validation"),
                (unknown, bad, "bad_request"),
            ],
        )
        .await;
    let (s, cut) = alice.post("/cut-all", json!({})).await;
    assert_eq!((s, cut.as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
}
