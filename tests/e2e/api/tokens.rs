//! API tokens: an integration authenticates with a bearer token, without CSRF, until the
//! token is revoked.

use reqwest::StatusCode;
use serde_json::json;
use system_tests::{ApiClient, spawn_app};

#[tokio::test]
async fn api_tokens_authenticate_integrators_until_revoked() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    let (s, t) = alice
        .post("/tokens", json!({"name":"home assistant"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let secret = t["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("so_"));
    let (_, list) = alice.get("/tokens").await;
    assert_eq!(list[0]["name"], "home assistant");
    assert!(list[0].get("secret").is_none());

    let integrator = ApiClient::with_token(&app, &secret);
    let (s, v) = integrator.post("/ccus", json!({"id":"07"})).await;
    assert_eq!(s, StatusCode::CREATED, "no CSRF needed with a token: {v}");
    let id = t["token"]["id"].as_i64().unwrap();
    let (s, _) = alice.delete(&format!("/tokens/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = integrator.get("/ccus").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
