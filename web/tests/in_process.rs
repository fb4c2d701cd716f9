//! Every REST route in-process (poem TestClient, no socket): unauthenticated calls are
//! refused with the JSON error shape, and a user's happy path works end to end.

use backend::bus::{Bus, BusSettings};
use backend::store::test_database::TestDatabase;
use backend::{Backend, Store};
use poem::test::TestClient;
use serde_json::{Value, json};
use std::time::Duration;

/// The backend's folder and database (SQLite, or PostgreSQL under `TEST_DATABASE_URL`), kept
/// for the test's length.
type Scratch = (tempfile::TempDir, TestDatabase);

async fn backend() -> (Backend, Scratch, rumqttc::EventLoop) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(&dir.path().join("smart-outlet.db"))
        .await
        .unwrap();
    let mut s = settings::Settings::for_tests();
    s.data_dir = dir.path().to_path_buf();
    s.database.url = settings::Secret::new(db.url());
    let store = Store::open(&s.database_url(), 4).await.unwrap();
    // No broker: publishes queue in the client; commands stay queued (the CCU is offline).
    let bus_settings = BusSettings {
        host: "127.0.0.1".into(),
        port: 9,
        username: "x".into(),
        password: "x".into(),
        client_id: "in-process".into(),
        shared_group: None,
        subscribe_devices: true,
        keep_alive: Duration::from_secs(30),
        max_packet_size: 65536,
        persistent: false,
    };
    let (bus, eventloop) = Bus::new(&bus_settings);
    let b = Backend::start(s, store, bus, ("backend".into(), "pw".into()))
        .await
        .unwrap();
    (b, (dir, db), eventloop)
}

#[tokio::test]
async fn every_route_refuses_anonymous_callers_with_the_json_error_shape() {
    let (b, _dir, _eventloop) = backend().await;
    let cli = TestClient::new(web::app(b));
    let spec: Value = serde_json::from_str(&web::api::spec_json()).unwrap();
    let mut n = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "1");
        for method in ops.as_object().unwrap().keys() {
            let url = format!("/api/v1{concrete}");
            let req = match method.as_str() {
                "get" => cli.get(&url),
                "post" => cli.post(&url),
                "put" => cli.put(&url),
                "patch" => cli.patch(&url),
                "delete" => cli.delete(&url),
                other => panic!("unexpected method {other}"),
            };
            let resp = req.content_type("application/json").body("{}").send().await;
            let status = resp.0.status().as_u16();
            let body: Value =
                serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
            let public = path == "/auth/register" || path == "/auth/login";
            if public {
                assert_eq!(status, 400, "{method} {path}: {body}");
            } else {
                assert_eq!(status, 401, "{method} {path}: {body}");
            }
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "{method} {path}: {body}"
            );
            n += 1;
        }
    }
    assert!(n >= 25, "{n} operations");
}

#[tokio::test]
async fn a_user_manages_devices_in_process() {
    let (b, _dir, _eventloop) = backend().await;
    let cli = TestClient::new(web::app(b));
    let creds = json!({"username": "alice", "password": "correct horse battery"});
    cli.post("/api/v1/auth/register")
        .body_json(&creds)
        .send()
        .await
        .assert_status(poem::http::StatusCode::CREATED);
    let resp = cli
        .post("/api/v1/auth/login")
        .body_json(&creds)
        .send()
        .await;
    resp.assert_status_is_ok();
    let cookie = resp.0.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let session: Value = resp.json().await.value().deserialize();
    let csrf = session["csrf_token"].as_str().unwrap().to_string();
    let post = |path: &str, body: Value| {
        cli.post(format!("/api/v1{path}"))
            .header("cookie", cookie.clone())
            .header("x-csrf-token", csrf.clone())
            .body_json(&body)
            .send()
    };
    let r = post("/ccus", json!({"id": "02"})).await;
    r.assert_status(poem::http::StatusCode::CREATED);
    let r = post(
        "/outlets",
        json!({"ccu_id": "02", "device_id": "fe", "name": "Desk"}),
    )
    .await;
    r.assert_status(poem::http::StatusCode::CREATED);
    let outlet: Value = r.json().await.value().deserialize();
    let r = post(
        "/commands",
        json!({"outlet_id": outlet["id"], "command": "relay_on", "socket": "a"}),
    )
    .await;
    r.assert_status(poem::http::StatusCode::ACCEPTED);
    let c: Value = r.json().await.value().deserialize();
    assert_eq!(c["status"], "queued", "the CCU is offline");
    let r = cli
        .get("/api/v1/outlets")
        .header("cookie", cookie.clone())
        .send()
        .await;
    r.assert_status_is_ok();
    let list: Value = r.json().await.value().deserialize();
    assert_eq!(list[0]["device_id"], "FE");
    assert_eq!(
        list[0]["relay_a"],
        Value::Null,
        "unknown until the device confirms"
    );
    // The legacy shim refuses callers whose address it cannot place.
    cli.get("/api/devices/")
        .send()
        .await
        .assert_status(poem::http::StatusCode::FORBIDDEN);
}
