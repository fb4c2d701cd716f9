//! Notifications over real HTTP: a user's targets get the alerts of their devices, raised
//! and cleared, in each target's shape, retried after a failure, and nobody else's; a
//! target inside the server's network is refused unless allowed; only the owner sees,
//! tests and deletes a target.

use reqwest::StatusCode;
use serde_json::json;
use std::sync::atomic::Ordering::Relaxed;
use system_tests::http_sink::HttpSink;
use system_tests::{ApiClient, spawn_app, spawn_app_with, wait_for};

#[tokio::test]
async fn alerts_reach_the_owners_targets_and_nobody_elses() {
    let app = spawn_app_with(|s| s.notifications.allow_private_targets = true).await;
    // The webhook fails once: the notification is retried.
    let mut hook = HttpSink::start(vec![500]).await;
    let mut slack = HttpSink::start(vec![]).await;
    let mut bobs = HttpSink::start(vec![]).await;
    let alice = ApiClient::signup(&app, "alice").await;
    let bob = ApiClient::signup(&app, "bob").await;
    for (who, kind, url) in [
        (&alice, "webhook", hook.url("/hook")),
        (&alice, "slack", slack.url("/services/T0/B0/x")),
        (&bob, "discord", bobs.url("/api/webhooks/1/x")),
    ] {
        let (s, t) = who
            .post("/notifications/targets", json!({"kind": kind, "url": url}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }
    let (_, created) = alice.post("/ccus", json!({"id": "02"})).await;
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let (s, _) = alice
        .put("/ccus/02/breaker-threshold", json!({"threshold_ma": 10000}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let dev = app.device("02", &secret).await;
    dev.send("breaker", json!({"current_ma": 12000})).await;

    let first = slack.next().await;
    assert!(
        first.request_line.starts_with("POST /services/T0/B0/x "),
        "{first:?}"
    );
    let text = first.json()["text"].as_str().unwrap().to_string();
    assert!(text.starts_with("Alert raised: Main breaker of"), "{text}");
    // The webhook: 500 first, then the same notification again.
    let failed = hook.next().await;
    let retried = hook.next().await;
    assert_eq!(failed.body, retried.body);
    let n = retried.json();
    assert_eq!(
        (n["kind"].as_str(), n["ccu_id"].as_str()),
        (Some("alert_raised"), Some("02"))
    );
    assert_eq!(retried.header("content-type"), Some("application/json"));

    // Cleared below the threshold (minus the hysteresis).
    dev.send("breaker", json!({"current_ma": 1000})).await;
    let cleared = slack.next().await.json()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(cleared.starts_with("Alert cleared:"), "{cleared}");
    assert_eq!(hook.next().await.json()["kind"], "alert_cleared");
    let b = app.backend().clone();
    wait_for("four deliveries counted", || {
        let b = b.clone();
        async move { (b.metrics().notifications_sent.load(Relaxed) == 4).then_some(()) }
    })
    .await;
    assert_eq!(
        app.backend().metrics().notifications_failed.load(Relaxed),
        0
    );

    // Bob's target got nothing of Alice's: his test notification is the first it sees.
    let (_, targets) = bob.get("/notifications/targets").await;
    let id = targets[0]["id"].as_i64().unwrap();
    let (s, d) = bob
        .post(&format!("/notifications/targets/{id}/test"), json!({}))
        .await;
    assert_eq!((s, &d["delivered"]), (StatusCode::OK, &json!(true)), "{d}");
    let test = bobs.next().await.json();
    assert!(test["content"].as_str().unwrap().contains("test"), "{test}");

    // Only the owner sees, tests or deletes a target.
    let (_, mine) = alice.get("/notifications/targets").await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let (s, _) = alice
        .post(&format!("/notifications/targets/{id}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = alice.delete(&format!("/notifications/targets/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob.delete(&format!("/notifications/targets/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn targets_inside_the_servers_network_are_refused_by_default() {
    let app = spawn_app().await;
    let sink = HttpSink::start(vec![]).await;
    let alice = ApiClient::signup(&app, "alice").await;
    for url in [
        sink.url("/hook"),
        "http://localhost:9/x".to_string(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::1]:80/".to_string(),
        "http://10.0.0.1/".to_string(),
        "file:///etc/passwd".to_string(),
        format!("https://example.org/{}", "x".repeat(5000)),
        "https://exa mple.org/\u{0}".to_string(),
    ] {
        let (s, e) = alice
            .post(
                "/notifications/targets",
                json!({"kind": "webhook", "url": url}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}: {e}");
    }
    let (s, e) = alice
        .post(
            "/notifications/targets",
            json!({"kind": "smtp", "url": "https://example.org/"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // A public name that resolves inward is refused at delivery: here a name this closed
    // machine cannot resolve at all, which fails the same way, without reaching anything.
    let (s, t) = alice
        .post(
            "/notifications/targets",
            json!({"kind": "ntfy", "url": "https://ntfy.invalid/alerts"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let (s, d) = alice
        .post(&format!("/notifications/targets/{id}/test"), json!({}))
        .await;
    assert_eq!((s, &d["delivered"]), (StatusCode::OK, &json!(false)), "{d}");
    assert!(
        !d["error"].as_str().unwrap().contains("ntfy.invalid"),
        "no URL in errors: {d}"
    );
}
