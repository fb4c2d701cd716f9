//! Names and locations are checked the same way on SQLite and PostgreSQL: control
//! characters (NUL, which PostgreSQL refuses with a server error, newlines, escapes) and
//! more than 100 characters get a 400 and change nothing; any other text is kept as given.

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{ApiClient, spawn_app};

const BAD: [&str; 4] = ["a\u{0}b", "two\nlines", "\u{1b}[31mred", "x\u{7f}"];

fn refused(s: StatusCode, v: &Value, what: &str) {
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation")),
        "{what}: {v}"
    );
}

#[tokio::test]
async fn control_characters_and_overlong_labels_are_refused_everywhere() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    let long = "é".repeat(101);
    for bad in BAD.iter().copied().chain([long.as_str()]) {
        let (s, v) = alice.post("/ccus", json!({"id": "05", "name": bad})).await;
        refused(s, &v, "CCU name");
        let (s, v) = alice
            .post("/ccus", json!({"id": "05", "location": bad}))
            .await;
        refused(s, &v, "CCU location");
        let (s, v) = alice.post("/tokens", json!({"name": bad})).await;
        refused(s, &v, "token name");
    }
    let (_, list) = alice.get("/ccus").await;
    assert_eq!(list, json!([]), "no refused CCU was registered");

    let (s, _) = alice
        .post(
            "/ccus",
            json!({"id": "02", "name": "Küche ☕", "location": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, o) = alice
        .post(
            "/outlets",
            json!({"ccu_id": "02", "device_id": "FE", "name": "Desk"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let path = format!("/outlets/{}", o["id"]);
    for bad in BAD.iter().copied().chain([long.as_str()]) {
        let (s, v) = alice
            .post(
                "/outlets",
                json!({"ccu_id": "02", "device_id": "01", "name": bad}),
            )
            .await;
        refused(s, &v, "outlet name");
        let body = json!({"ccu_id": "02", "device_id": "01", "name": "ok", "location": bad});
        let (s, v) = alice.post("/outlets", body).await;
        refused(s, &v, "outlet location");
        let (s, v) = alice.patch(&path, json!({"name": bad})).await;
        refused(s, &v, "outlet rename");
        let (s, v) = alice.patch(&path, json!({"location": bad})).await;
        refused(s, &v, "outlet location change");
        let (s, v) = alice.patch("/ccus/02", json!({"location": bad})).await;
        refused(s, &v, "CCU location change");
    }
    let (_, c) = alice.get("/ccus/02").await;
    assert_eq!(c["name"], "Küche ☕");
    let (_, o) = alice.get(&path).await;
    assert_eq!(
        (o["name"].as_str(), o["location"].as_str()),
        (Some("Desk"), Some(""))
    );
    let (_, outlets) = alice.get("/outlets").await;
    assert_eq!(outlets.as_array().map(Vec::len), Some(1), "{outlets}");
}
