//! The login limiter takes a slot before every hash (per username, per address), and people's
//! password hashes run in a budget that never delays a CCU's MQTT login.

use super::*;

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
