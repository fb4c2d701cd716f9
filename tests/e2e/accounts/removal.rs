//! Account removal: deleting an account removes its data and ends its CCU's MQTT login; a
//! disabled user loses sessions and tokens at once.

use super::*;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.store().db();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn deleting_the_account_removes_its_data_and_ends_its_ccus_mqtt_login() {
    let app = spawn_app().await;
    let (alice, secret, outlet) = app.seed().await;
    let bob = app.add_user("bob").await;
    let bob_secret = app.add_ccu(&bob, "03").await;
    app.add_outlet("03", "FD", "Bob's").await;

    let dev = app.device("02", &secret).await;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1250,"current_b":80,"relay_a":true,"relay_b":false,"is_overload":false}),
    )
    .await;
    let store = app.store().clone();
    wait_for("alice's reading stored", || {
        let s = store.clone();
        async move { (s.count_readings(outlet.id).await.unwrap() > 0).then_some(()) }
    })
    .await;
    let b = ApiClient::login(&app, "alice", PASSWORD).await;
    let (s, _) = b
        .call(Method::POST, "/tokens", Some(json!({"name": "x"})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = b
        .call(
            Method::POST,
            "/commands",
            Some(json!({"outlet_id": outlet.id, "command": "relay_on", "socket": "a"})),
        )
        .await;
    assert!(s.is_success(), "{s} {v}");
    let mine = format!("user_id = {}", alice.id);
    assert!(count(&app, &format!("SELECT COUNT(*) FROM events WHERE {mine}")).await > 0);
    assert!(count(&app, "SELECT COUNT(*) FROM commands").await > 0);

    let (s, _) = b
        .call(
            Method::DELETE,
            "/auth/account",
            Some(json!({"password": "not my password"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(app.store().find_user("alice").await.unwrap().is_some());

    let (s, v) = b
        .call(
            Method::DELETE,
            "/auth/account",
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");

    dev.closed_by_broker().await;
    let refusals = app.backend().metrics().auth_failures.load(Relaxed);
    let (_c, mut ev) = AsyncClient::new(options(app.mqtt_addr, "02", &secret), 10);
    let r = tokio::time::timeout(Duration::from_secs(10), connack(&mut ev))
        .await
        .expect("answered in time");
    assert!(r.is_err(), "the deleted CCU's login must be refused: {r:?}");
    assert_eq!(
        app.backend().metrics().auth_failures.load(Relaxed),
        refusals + 1,
        "refused by the auth hook"
    );
    assert_eq!(me(&b).await, StatusCode::UNAUTHORIZED);
    assert!(app.store().find_user("alice").await.unwrap().is_none());
    let u = alice.id;
    for (what, sql) in [
        (
            "CCUs",
            "SELECT COUNT(*) FROM ccus WHERE id = '02'".to_string(),
        ),
        (
            "outlets",
            "SELECT COUNT(*) FROM outlets WHERE ccu_id = '02'".into(),
        ),
        (
            "readings",
            format!(
                "SELECT COUNT(*) FROM sensor_readings WHERE outlet_id = {}",
                outlet.id
            ),
        ),
        (
            "commands",
            format!(
                "SELECT COUNT(*) FROM commands WHERE outlet_id = {}",
                outlet.id
            ),
        ),
        (
            "events",
            format!("SELECT COUNT(*) FROM events WHERE user_id = {u}"),
        ),
        (
            "alerts",
            format!("SELECT COUNT(*) FROM alerts WHERE user_id = {u}"),
        ),
        (
            "sessions",
            format!("SELECT COUNT(*) FROM sessions WHERE user_id = {u}"),
        ),
        (
            "tokens",
            format!("SELECT COUNT(*) FROM api_tokens WHERE user_id = {u}"),
        ),
    ] {
        assert_eq!(count(&app, &sql).await, 0, "{what} left behind");
    }
    // Bob is untouched: his CCU still logs in.
    assert!(app.store().get_ccu("03").await.unwrap().is_some());
    app.device("03", &bob_secret).await.disconnect().await;
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_loses_sessions_and_tokens_at_once() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let b = ApiClient::login(&app, "alice", PASSWORD).await;
    let (_, t) = b
        .call(Method::POST, "/tokens", Some(json!({"name": "script"})))
        .await;
    let token = t["secret"].as_str().unwrap().to_string();
    let script = ApiClient::with_token(&app, &token);

    // What `smart-outlet user disable alice` does, from "another process": the store only.
    backend::users::set_disabled(app.store(), "alice", true)
        .await
        .unwrap();
    assert_eq!(me(&b).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&script).await, StatusCode::UNAUTHORIZED);
    let anon = ApiClient::new(&app);
    let (s, v) = anon
        .call(
            Method::POST,
            "/auth/login",
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["message"].as_str().unwrap().contains("disabled"), "{v}");
    assert_eq!(
        try_login(&app, "alice", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
        "a wrong password does not learn that the account is disabled"
    );

    backend::users::set_disabled(app.store(), "alice", false)
        .await
        .unwrap();
    assert_eq!(me(&script).await, StatusCode::OK);
    ApiClient::login(&app, "alice", PASSWORD).await;
}
