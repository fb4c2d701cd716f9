//! Errors share one JSON shape (bad JSON, unknown route); the OpenAPI spec and Swagger UI
//! are served.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use system_tests::{ApiClient, spawn_app};

#[tokio::test]
async fn errors_share_one_json_shape_and_the_spec_is_served() {
    let app = spawn_app().await;
    let alice = ApiClient::signup(&app, "alice").await;
    let bad_json = alice
        .request(Method::POST, "/ccus")
        .header("content-type", "application/json")
        .body("{not json");
    let (s, v) = ApiClient::send(bad_json).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["code"].is_string() && v["message"].is_string(), "{v}");
    let r = reqwest::get(format!("http://{}/nope", app.http_addr))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "not_found");
    let spec: Value = reqwest::get(format!("http://{}/api/v1/openapi.json", app.http_addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/commands"].is_object());
    let docs = reqwest::get(format!("http://{}/docs", app.http_addr))
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
}
