//! The event log over the REST API: filters, pages, daily counts, per owner.

use reqwest::StatusCode;
use serde_json::json;
use system_tests::{ApiClient, spawn_app};

#[tokio::test]
async fn events_filter_paginate_and_count() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    for id in ["02", "03", "04"] {
        alice.post("/ccus", json!({"id": id})).await;
    }
    alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"FE","name":"Desk"}),
        )
        .await;
    let (s, page) = alice.get("/events?kind=config&per_page=2&page=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, page2) = alice.get("/events?kind=config&per_page=2&page=2").await;
    assert_ne!(page["items"][0]["id"], page2["items"][0]["id"]);
    let (_, by_device) = alice.get("/events?device_id=fe").await;
    assert_eq!(by_device["total"], 1);
    let (_, stats) = alice.get("/events/stats").await;
    assert_eq!(stats[0]["kind"], "config");
    assert_eq!(stats[0]["count"], 4);
    let bob = ApiClient::signup(&app, "bob").await;
    let (_, none) = bob.get("/events").await;
    assert_eq!(none["total"], 0);
}
