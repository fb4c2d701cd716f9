//! Sessions: registration closes after the first user, a password change ends the other
//! sessions, logging out everywhere keeps API tokens.

use super::*;

#[tokio::test]
async fn registration_is_closed_after_the_first_user() {
    let app = spawn_app_with(|s| s.accounts.registration = settings::Registration::Closed).await;
    let anon = ApiClient::new(&app);
    let first = json!({"username": "first", "password": PASSWORD});
    let (s, v) = anon.call(Method::POST, "/auth/register", Some(first)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["is_admin"], true, "the first user is admin: {v}");
    let (s, v) = anon
        .call(
            Method::POST,
            "/auth/register",
            Some(json!({"username": "second", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], "forbidden");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("registration is closed"),
        "{v}"
    );
    assert!(app.store().find_user("second").await.unwrap().is_none());
    // The administrator still makes accounts (the CLI's path).
    app.add_user("bob").await;
    let bob = ApiClient::login(&app, "bob", PASSWORD).await;
    let (_, me) = bob.call(Method::GET, "/auth/me", None).await;
    assert_eq!(me["user"]["is_admin"], false, "{me}");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let here = ApiClient::login(&app, "alice", PASSWORD).await;
    let elsewhere = ApiClient::login(&app, "alice", PASSWORD).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    // 403, not 401, for a wrong current password: the session is fine, only the
    // confirmation is wrong.
    let wrong = change("not my password", "a new long password");
    let weak = change(PASSWORD, "short");
    here.post_refused(
        "/auth/password",
        &[
            (wrong, StatusCode::FORBIDDEN, "wrong_password"),
            (weak, StatusCode::BAD_REQUEST, "validation"),
        ],
    )
    .await;
    assert_eq!(
        me(&elsewhere).await,
        StatusCode::OK,
        "failed changes end nothing"
    );

    let (s, v) = here
        .call(
            Method::POST,
            "/auth/password",
            Some(change(PASSWORD, "a new long password")),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(
        me(&here).await,
        StatusCode::OK,
        "the caller's session stays"
    );
    assert_eq!(
        me(&elsewhere).await,
        StatusCode::UNAUTHORIZED,
        "the other one ended"
    );
    assert_eq!(
        try_login(&app, "alice", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    ApiClient::login(&app, "alice", "a new long password").await;
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session_and_keeps_api_tokens() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let a = ApiClient::login(&app, "alice", PASSWORD).await;
    let b = ApiClient::login(&app, "alice", PASSWORD).await;
    let (s, t) = a
        .call(Method::POST, "/tokens", Some(json!({"name": "script"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["secret"].as_str().unwrap().to_string();

    let r = a
        .request(Method::POST, "/auth/logout-all")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(me(&a).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&b).await, StatusCode::UNAUTHORIZED);
    let script = ApiClient::with_token(&app, &token);
    assert_eq!(me(&script).await, StatusCode::OK, "API tokens are kept");
}
