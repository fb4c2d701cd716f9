//! Accounts over real HTTP: the login limiter (a slot before the hash), registration closed
//! after the first user, change password, log out everywhere, delete account (its CCU's MQTT
//! login and live session end), disabled users, and people's password hashes in a budget
//! that never delays a CCU's MQTT login.

use futures_util::future::join_all;
use reqwest::{Client, Method, StatusCode};
use rumqttc::AsyncClient;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use system_tests::device::{Device, connack, options};
use system_tests::{TestApp, spawn_app, spawn_app_with, wait_for};

const PASSWORD: &str = "correct horse battery";

/// A browser: its own cookie jar and CSRF token.
struct Browser {
    http: Client,
    base: String,
    csrf: String,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            http: Client::builder().cookie_store(true).build().unwrap(),
            base: format!("http://{}/api/v1", app.http_addr),
            csrf: String::new(),
        }
    }

    /// Logs in; panics unless 200.
    async fn login(app: &TestApp, name: &str, password: &str) -> Browser {
        let mut b = Browser::new(app);
        let (s, v) = b
            .call(
                Method::POST,
                "/auth/login",
                Some(json!({"username": name, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        b.csrf = v["csrf_token"].as_str().unwrap().to_string();
        b
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn me(&self) -> StatusCode {
        self.call(Method::GET, "/auth/me", None).await.0
    }
}

/// A login attempt without cookies; returns the status.
async fn try_login(app: &TestApp, name: &str, password: &str) -> StatusCode {
    Browser::new(app)
        .call(
            Method::POST,
            "/auth/login",
            Some(json!({"username": name, "password": password})),
        )
        .await
        .0
}

/// One sample of the Prometheus exposition at `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = reqwest::get(format!("http://{}/metrics", app.http_addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

/// `n` parallel logins (no cookies) with `X-Forwarded-For: forwarded`; returns the statuses.
async fn parallel_logins(
    app: &TestApp,
    n: usize,
    name: impl Fn(usize) -> String,
    forwarded: &str,
) -> Vec<u16> {
    let http = Client::new();
    let url = format!("http://{}/api/v1/auth/login", app.http_addr);
    join_all((0..n).map(|i| {
        let req = http
            .post(&url)
            .header("X-Forwarded-For", forwarded)
            .json(&json!({"username": name(i), "password": "wrong password!"}));
        async move { req.send().await.unwrap().status().as_u16() }
    }))
    .await
}

#[tokio::test]
async fn parallel_wrong_passwords_for_one_user_check_at_most_the_limit() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let per_user = app.settings.accounts.attempts_per_user as u64;
    let checks = metric(&app, "smart_outlet_password_checks_total").await;
    let limited = metric(&app, "smart_outlet_login_limited_total").await;

    let statuses = parallel_logins(&app, 200, |_| "alice".into(), "").await;

    let unauthorized = statuses.iter().filter(|s| **s == 401).count() as u64;
    let refused = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(unauthorized + refused, 200, "{statuses:?}");
    let checked = metric(&app, "smart_outlet_password_checks_total").await - checks;
    assert!(
        checked <= per_user,
        "{checked} argon2 checks for 200 parallel guesses; the limit is {per_user}"
    );
    assert_eq!(
        checked, unauthorized,
        "every answered guess was checked once"
    );
    assert_eq!(
        metric(&app, "smart_outlet_login_limited_total").await - limited,
        refused
    );
    // The right password is refused too now, without a check.
    assert_eq!(
        try_login(&app, "alice", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        metric(&app, "smart_outlet_password_checks_total").await - checks,
        checked
    );
}

#[tokio::test]
async fn a_spray_of_usernames_from_one_address_checks_at_most_the_address_limit() {
    let app = spawn_app_with(|s| s.http.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    app.add_user("alice").await;
    let per_address = app.settings.accounts.attempts_per_address as u64;
    let checks = metric(&app, "smart_outlet_password_checks_total").await;

    let statuses = parallel_logins(&app, 200, |i| format!("user{i}"), "10.1.2.3").await;

    let checked = metric(&app, "smart_outlet_password_checks_total").await - checks;
    assert!(
        checked <= per_address,
        "{checked} argon2 checks for 200 usernames from one address; the limit is {per_address}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count() as u64,
        200 - checked
    );
    // Another address is not affected, nor is alice's own counter.
    let http = Client::new();
    let r = http
        .post(format!("http://{}/api/v1/auth/login", app.http_addr))
        .header("X-Forwarded-For", "10.9.9.9")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn registration_is_closed_after_the_first_user() {
    let app = spawn_app_with(|s| s.accounts.registration = settings::Registration::Closed).await;
    let anon = Browser::new(&app);
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
    let bob = Browser::login(&app, "bob", PASSWORD).await;
    let (_, me) = bob.call(Method::GET, "/auth/me", None).await;
    assert_eq!(me["user"]["is_admin"], false, "{me}");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let here = Browser::login(&app, "alice", PASSWORD).await;
    let elsewhere = Browser::login(&app, "alice", PASSWORD).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let (s, v) = here
        .call(
            Method::POST,
            "/auth/password",
            Some(change("not my password", "a new long password")),
        )
        .await;
    // 403, not 401: the session is fine, only the confirmation is wrong.
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], "wrong_password", "{v}");
    let (s, v) = here
        .call(
            Method::POST,
            "/auth/password",
            Some(change(PASSWORD, "short")),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation"))
    );
    assert_eq!(
        elsewhere.me().await,
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
        here.me().await,
        StatusCode::OK,
        "the caller's session stays"
    );
    assert_eq!(
        elsewhere.me().await,
        StatusCode::UNAUTHORIZED,
        "the other one ended"
    );
    assert_eq!(
        try_login(&app, "alice", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    Browser::login(&app, "alice", "a new long password").await;
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session_and_keeps_api_tokens() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let a = Browser::login(&app, "alice", PASSWORD).await;
    let b = Browser::login(&app, "alice", PASSWORD).await;
    let (s, t) = a
        .call(Method::POST, "/tokens", Some(json!({"name": "script"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["secret"].as_str().unwrap().to_string();

    let r = a
        .http
        .post(format!("{}/auth/logout-all", a.base))
        .header("X-CSRF-Token", &a.csrf)
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
    assert_eq!(a.me().await, StatusCode::UNAUTHORIZED);
    assert_eq!(b.me().await, StatusCode::UNAUTHORIZED);
    let r = Client::new()
        .get(format!("{}/auth/me", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "API tokens are kept");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.store().db();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Waits until `dev`'s connection is closed by the broker.
async fn dropped(mut dev: Device) {
    tokio::time::timeout(system_tests::wait::DEADLINE, async {
        while dev.rx.recv().await.is_some() {}
    })
    .await
    .expect("the CCU's MQTT session must be closed");
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
    let b = Browser::login(&app, "alice", PASSWORD).await;
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

    dropped(dev).await;
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
    assert_eq!(b.me().await, StatusCode::UNAUTHORIZED);
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
    let b = Browser::login(&app, "alice", PASSWORD).await;
    let (_, t) = b
        .call(Method::POST, "/tokens", Some(json!({"name": "script"})))
        .await;
    let token = t["secret"].as_str().unwrap().to_string();
    let with_token = || {
        Client::new()
            .get(format!("{}/auth/me", b.base))
            .bearer_auth(&token)
            .send()
    };

    // What `smart-outlet user disable alice` does, from "another process": the store only.
    backend::users::set_disabled(app.store(), "alice", true)
        .await
        .unwrap();
    assert_eq!(b.me().await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        with_token().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let anon = Browser::new(&app);
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
    assert_eq!(with_token().await.unwrap().status(), StatusCode::OK);
    Browser::login(&app, "alice", PASSWORD).await;
}

#[tokio::test]
async fn a_flood_of_password_hashes_never_delays_a_ccu_login() {
    const FLOOD: usize = 40;
    let app = spawn_app_with(|s| {
        s.accounts.password_hash_concurrency = 1;
        s.accounts.password_hash_queue = 1000;
    })
    .await;
    let (_, secret, _) = app.seed().await;
    let http = Client::new();
    let url = format!("http://{}/api/v1/auth/register", app.http_addr);
    let flood: Vec<_> = (0..FLOOD)
        .map(|i| {
            let req = http
                .post(&url)
                .json(&json!({"username": format!("flood{i}"), "password": PASSWORD}));
            tokio::spawn(async move { req.send().await.unwrap().status() })
        })
        .collect();
    let passwords = app.backend().passwords();
    wait_for("the people's budget to be saturated", || async {
        (passwords.pending() >= FLOOD / 2).then_some(())
    })
    .await;

    // A CCU's first login (no cached secret: a real argon2 check) while hashes are queued.
    let dev = app.device("02", &secret).await;
    let pending = metric(&app, "smart_outlet_password_hashes_pending").await;
    assert!(
        pending > 0,
        "the CCU's login waited for the people's hashes (none pending any more)"
    );
    dev.disconnect().await;
    for s in join_all(flood).await {
        assert_eq!(s.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(passwords.pending(), 0);
}
