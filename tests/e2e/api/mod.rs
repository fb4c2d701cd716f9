//! The REST API over a real socket, one file per resource: accounts and CSRF, CCUs and
//! outlets, commands, API tokens, history, events, and errors with the spec.

mod accounts;
mod ccus;
mod commands;
mod energy;
mod errors;
mod events;
mod history;
mod labels;
mod tokens;

use serde_json::json;
use system_tests::ApiClient;

/// Registers CCU `02` with outlet `FE` ("Desk") over the API; returns the CCU's MQTT secret
/// and the outlet's id.
async fn ccu_with_desk(owner: &ApiClient) -> (String, i64) {
    let (_, created) = owner.post("/ccus", json!({"id":"02"})).await;
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let body = json!({"ccu_id":"02","device_id":"FE","name":"Desk"});
    let (_, outlet) = owner.post("/outlets", body).await;
    (secret, outlet["id"].as_i64().unwrap())
}
