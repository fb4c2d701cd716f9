//! Accounts over the REST API: register, log in, CSRF on state-changing requests, logout,
//! and the login rate limit.

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{ApiClient, spawn_app};

#[tokio::test]
async fn accounts_sessions_and_csrf() {
    let app = spawn_app().await;
    let b = ApiClient::signup(&app, "alice").await;
    assert!(
        b.set_cookie.contains("HttpOnly") && b.set_cookie.contains("SameSite=Strict"),
        "{}",
        b.set_cookie
    );
    let (s, me) = b.get("/auth/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["username"], "alice");
    assert_eq!(me["csrf_token"], b.csrf.as_str());

    // A state-changing request with the cookie but without the CSRF header is refused.
    let r = b
        .http
        .post(b.url("/ccus"))
        .json(&json!({"id":"02"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "csrf");

    // Not logged in: 401 with the JSON error shape.
    let anon = ApiClient::new(&app);
    let (s, v) = anon.get("/ccus").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["code"].is_string() && v["message"].is_string(), "{v}");

    // Weak password, duplicate user.
    let weak = json!({"username":"bob","password":"short"});
    let taken = json!({"username":"alice","password":"another long one"});
    anon.post_refused(
        "/auth/register",
        &[
            (weak, StatusCode::BAD_REQUEST, "validation"),
            (taken, StatusCode::CONFLICT, "conflict"),
        ],
    )
    .await;

    // Logout ends the session.
    let (s, _) = b.post("/auth/logout", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = b.get("/auth/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let app = spawn_app().await;
    let _ = ApiClient::signup(&app, "alice").await;
    let anon = ApiClient::new(&app);
    for _ in 0..5 {
        let (s, _) = anon
            .post(
                "/auth/login",
                json!({"username":"alice","password":"wrong password"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, v) = anon
        .post(
            "/auth/login",
            json!({"username":"alice","password":"correct horse battery"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
}
