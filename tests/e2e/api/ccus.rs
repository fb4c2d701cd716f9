//! CCUs and outlets over the REST API: ownership (another user sees 404), changes, and the
//! per-account quotas of CCUs and API tokens.

use reqwest::StatusCode;
use serde_json::json;
use system_tests::{ApiClient, spawn_app, spawn_app_with};

#[tokio::test]
async fn ccus_and_outlets_belong_to_their_owner() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    let bob = ApiClient::signup(&app, "bob").await;

    let (s, created) = alice
        .post(
            "/ccus",
            json!({"id":"02","name":"Home","location":"garage"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["mqtt"]["username"], "02");
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let (s, o) = alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"0xfe","name":"Desk"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["device_id"], "FE");
    let outlet_id = o["id"].as_i64().unwrap();
    let again = json!({"ccu_id":"02","device_id":"fe","name":"Again"});
    let bad_id = json!({"ccu_id":"02","device_id":"xyz","name":"Bad"});
    alice
        .post_refused(
            "/outlets",
            &[
                (again, StatusCode::CONFLICT, "conflict"),
                (bad_id, StatusCode::BAD_REQUEST, "validation"),
            ],
        )
        .await;

    // The printed credentials work on the broker.
    let _dev = app.device("02", &secret).await;

    // Bob sees none of it: every id of Alice's answers 404.
    let (_, list) = bob.get("/ccus").await;
    assert_eq!(list, json!([]));
    for path in [
        "/ccus/02".to_string(),
        format!("/outlets/{outlet_id}"),
        format!("/outlets/{outlet_id}/history"),
    ] {
        let (s, v) = bob.get(&path).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    let (s, _) = bob.delete(&format!("/outlets/{outlet_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob.relay(outlet_id, "a", true).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"01","name":"Sneaky"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Rename, threshold, move, delete.
    let (s, c) = alice.patch("/ccus/02", json!({"name":"House"})).await;
    assert_eq!((s, c["name"].as_str()), (StatusCode::OK, Some("House")));
    let (s, o) = alice
        .put(
            &format!("/outlets/{outlet_id}/threshold"),
            json!({"threshold_ma": 2500}),
        )
        .await;
    assert_eq!(
        (s, o["threshold_ma"].as_i64()),
        (StatusCode::OK, Some(2500))
    );
    alice.post("/ccus", json!({"id":"03"})).await;
    let (s, o) = alice
        .patch(&format!("/outlets/{outlet_id}"), json!({"ccu_id":"03"}))
        .await;
    assert_eq!((s, o["ccu_id"].as_str()), (StatusCode::OK, Some("03")));
    let (s, _) = alice.delete(&format!("/outlets/{outlet_id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = alice.get(&format!("/outlets/{outlet_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Per-account lists are bounded by quotas: CCUs registered over the API and unrevoked API
/// tokens; revoked tokens are listed only up to a fixed number.
#[tokio::test]
async fn ccus_and_tokens_per_account_are_capped() {
    let app = spawn_app_with(|s| {
        s.accounts.max_ccus_per_user = 2;
        s.accounts.max_tokens_per_user = 2;
    })
    .await;
    let b = ApiClient::signup(&app, "alice").await;
    for id in ["Q1", "Q2"] {
        let (s, v) = b.post("/ccus", json!({"id": id})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = b.post("/ccus", json!({"id": "Q3"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("at most 2 CCUs"),
        "{v}"
    );
    assert!(app.store().get_ccu("Q3").await.unwrap().is_none());

    let mut ids = Vec::new();
    for n in 0..2 {
        let (s, v) = b.post("/tokens", json!({"name": format!("t{n}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["token"]["id"].as_i64().or(v["id"].as_i64()).unwrap());
    }
    let (s, v) = b.post("/tokens", json!({"name": "t2"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("revoke one"), "{v}");
    // Revoking one makes room again.
    let (s, _) = b.delete(&format!("/tokens/{}", ids[0])).await;
    assert!(s.is_success(), "{s}");
    let (s, v) = b.post("/tokens", json!({"name": "t3"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
