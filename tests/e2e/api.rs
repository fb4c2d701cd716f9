//! The REST API over a real socket: accounts, CSRF, tokens, ownership, commands, history.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use system_tests::{TestApp, spawn_app, spawn_app_with, wait_for};

struct Browser {
    http: Client,
    base: String,
    csrf: String,
}

impl Browser {
    async fn new(app: &TestApp) -> Browser {
        Browser {
            http: Client::builder().cookie_store(true).build().unwrap(),
            base: format!("http://{}/api/v1", app.http_addr),
            csrf: String::new(),
        }
    }

    async fn signup(app: &TestApp, name: &str) -> Browser {
        let mut b = Browser::new(app).await;
        let creds = json!({"username": name, "password": "correct horse battery"});
        let r = b
            .http
            .post(format!("{}/auth/register", b.base))
            .json(&creds)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let r = b
            .http
            .post(format!("{}/auth/login", b.base))
            .json(&creds)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = r
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let v: Value = r.json().await.unwrap();
        b.csrf = v["csrf_token"].as_str().unwrap().to_string();
        b
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
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

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

#[tokio::test]
async fn accounts_sessions_and_csrf() {
    let app = spawn_app().await;
    let b = Browser::signup(&app, "alice").await;
    let (s, me) = b.get("/auth/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["username"], "alice");
    assert_eq!(me["csrf_token"], b.csrf.as_str());

    // A state-changing request with the cookie but without the CSRF header is refused.
    let r = b
        .http
        .post(format!("{}/ccus", b.base))
        .json(&json!({"id":"02"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "csrf");

    // Not logged in: 401 with the JSON error shape.
    let anon = Browser::new(&app).await;
    let (s, v) = anon.get("/ccus").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["code"].is_string() && v["message"].is_string(), "{v}");

    // Weak password, duplicate user.
    let (s, v) = anon
        .post(
            "/auth/register",
            json!({"username":"bob","password":"short"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation"))
    );
    let (s, v) = anon
        .post(
            "/auth/register",
            json!({"username":"alice","password":"another long one"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );

    // Logout ends the session.
    let (s, _) = b.post("/auth/logout", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = b.get("/auth/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let app = spawn_app().await;
    let _ = Browser::signup(&app, "alice").await;
    let anon = Browser::new(&app).await;
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

#[tokio::test]
async fn ccus_and_outlets_belong_to_their_owner() {
    let app = spawn_app().await;
    let alice = Browser::signup(&app, "alice").await;
    let bob = Browser::signup(&app, "bob").await;

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
    let (s, v) = alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"fe","name":"Again"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (s, v) = alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"xyz","name":"Bad"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation"))
    );

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
    let (s, _) = bob
        .call(
            reqwest::Method::DELETE,
            &format!("/outlets/{outlet_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob
        .post(
            "/commands",
            json!({"outlet_id": outlet_id, "command":"relay_on","socket":"a"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = bob
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"01","name":"Sneaky"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Rename, threshold, move, delete.
    let (s, c) = alice
        .call(
            reqwest::Method::PATCH,
            "/ccus/02",
            Some(json!({"name":"House"})),
        )
        .await;
    assert_eq!((s, c["name"].as_str()), (StatusCode::OK, Some("House")));
    let (s, o) = alice
        .call(
            reqwest::Method::PUT,
            &format!("/outlets/{outlet_id}/threshold"),
            Some(json!({"threshold_ma": 2500})),
        )
        .await;
    assert_eq!(
        (s, o["threshold_ma"].as_i64()),
        (StatusCode::OK, Some(2500))
    );
    alice.post("/ccus", json!({"id":"03"})).await;
    let (s, o) = alice
        .call(
            reqwest::Method::PATCH,
            &format!("/outlets/{outlet_id}"),
            Some(json!({"ccu_id":"03"})),
        )
        .await;
    assert_eq!((s, o["ccu_id"].as_str()), (StatusCode::OK, Some("03")));
    let (s, _) = alice
        .call(
            reqwest::Method::DELETE,
            &format!("/outlets/{outlet_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = alice.get(&format!("/outlets/{outlet_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_relay_command_over_rest_reaches_the_ccu_and_its_ack_comes_back() {
    let app = spawn_app().await;
    let alice = Browser::signup(&app, "alice").await;
    let (_, created) = alice.post("/ccus", json!({"id":"02"})).await;
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let (_, o) = alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"FE","name":"Desk"}),
        )
        .await;
    let outlet_id = o["id"].as_i64().unwrap();
    let mut dev = app.device("02", &secret).await;
    let b = app.backend().clone();
    wait_for("CCU online", || {
        let b = b.clone();
        async move { b.state().ccu("02").filter(|s| s.online) }
    })
    .await;

    let (s, c) = alice
        .post(
            "/commands",
            json!({"outlet_id": outlet_id, "command":"relay_on","socket":"a"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{c}");
    assert_eq!(c["status"], "sent");
    let got = dev.next_command().await;
    assert_eq!(got.id.as_str(), c["id"].as_str().unwrap());
    dev.send("ack", json!({"id": got.id.as_str(), "status":"ok"}))
        .await;
    let id = c["id"].as_str().unwrap().to_string();
    let done = wait_for("command ok over REST", || {
        let alice = &alice;
        let id = id.clone();
        async move {
            let (_, v) = alice.get(&format!("/commands/{id}")).await;
            (v["status"] == "ok").then_some(v)
        }
    })
    .await;
    assert!(done["completed_at"].is_i64());
    let (_, o) = alice.get(&format!("/outlets/{outlet_id}")).await;
    assert_eq!(o["relay_a"], true);

    // Validation errors.
    let (s, v) = alice
        .post(
            "/commands",
            json!({"outlet_id": outlet_id, "command":"relay_on"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation"))
    );
    let (s, v) = alice
        .post(
            "/commands",
            json!({"outlet_id": outlet_id, "command":"explode"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, cut) = alice.post("/cut-all", json!({})).await;
    assert_eq!((s, cut.as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
}

#[tokio::test]
async fn api_tokens_authenticate_integrators_until_revoked() {
    let app = spawn_app().await;
    let alice = Browser::signup(&app, "alice").await;
    let (s, t) = alice
        .post("/tokens", json!({"name":"home assistant"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let secret = t["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("so_"));
    let (_, list) = alice.get("/tokens").await;
    assert_eq!(list[0]["name"], "home assistant");
    assert!(list[0].get("secret").is_none());

    let integrator = Client::new();
    let base = format!("http://{}/api/v1", app.http_addr);
    let r = integrator
        .post(format!("{base}/ccus"))
        .bearer_auth(&secret)
        .json(&json!({"id":"07"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "no CSRF needed with a token"
    );
    let id = t["token"]["id"].as_i64().unwrap();
    let (s, _) = alice
        .call(reqwest::Method::DELETE, &format!("/tokens/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = integrator
        .get(format!("{base}/ccus"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn history_is_downsampled_and_exported() {
    let app = spawn_app_with(|s| s.history.interval = std::time::Duration::ZERO).await;
    let alice = Browser::signup(&app, "alice").await;
    let (_, created) = alice.post("/ccus", json!({"id":"02"})).await;
    let secret = created["mqtt"]["password"].as_str().unwrap().to_string();
    let (_, o) = alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"FE","name":"Desk"}),
        )
        .await;
    let outlet_id = o["id"].as_i64().unwrap() as i32;
    let dev = app.device("02", &secret).await;
    let t0 = backend::clock::now_ms() - 3_600_000;
    let batch: Vec<Value> = (0..120)
        .map(|i| json!({"device_id":"FE","current_a": 1000 + i * 10,"current_b": 0,"ts": t0 + i * 30_000}))
        .collect();
    dev.send("sensor", json!(batch)).await;
    let store = app.store().clone();
    wait_for("120 readings", || {
        let s = store.clone();
        async move { (s.count_readings(outlet_id).await.unwrap() == 120).then_some(()) }
    })
    .await;
    let (s, h) = alice
        .get(&format!(
            "/outlets/{outlet_id}/history?from={t0}&to={}&buckets=12",
            t0 + 3_600_000
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let buckets = h["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 12);
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["n"].as_i64().unwrap())
            .sum::<i64>(),
        120
    );
    assert_eq!(buckets[0]["a"]["min"], 1000);
    assert_eq!(buckets[0]["a"]["max"], 1090);
    assert_eq!(buckets[0]["a"]["mean"], 1045.0);

    let r = alice
        .http
        .get(format!(
            "{}/outlets/{outlet_id}/history.csv?from={t0}",
            alice.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 121);
    assert!(csv.starts_with("timestamp_ms,"));

    let breaker: Vec<Value> = (0..60)
        .map(|i| json!({"current_ma": 5000 + i * 100, "ts": t0 + i * 60_000}))
        .collect();
    dev.send("breaker", json!(breaker)).await;
    wait_for("60 breaker readings", || {
        let s = store.clone();
        async move { (s.count_breaker_readings("02").await.unwrap() == 60).then_some(()) }
    })
    .await;
    let (s, h) = alice
        .get(&format!(
            "/ccus/02/breaker-history?from={t0}&to={}&buckets=6",
            t0 + 3_600_000
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let buckets = h["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 6);
    assert_eq!(buckets[0]["current_ma"]["min"], 5000);
    assert_eq!(buckets[5]["current_ma"]["max"], 10900);
    let r = alice
        .http
        .get(format!(
            "{}/ccus/02/breaker-history.csv?from={t0}",
            alice.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().lines().count(), 61);
}

#[tokio::test]
async fn events_filter_paginate_and_count() {
    let app = spawn_app().await;
    let alice = Browser::signup(&app, "alice").await;
    for id in ["02", "03", "04"] {
        alice.post("/ccus", json!({"id": id})).await;
    }
    alice
        .post(
            "/outlets",
            json!({"ccu_id":"02","device_id":"FE","name":"Desk"}),
        )
        .await;
    let (s, page) = alice.get("/events?kind=config&per_page=2&page=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, page2) = alice.get("/events?kind=config&per_page=2&page=2").await;
    assert_ne!(page["items"][0]["id"], page2["items"][0]["id"]);
    let (_, by_device) = alice.get("/events?device_id=fe").await;
    assert_eq!(by_device["total"], 1);
    let (_, stats) = alice.get("/events/stats").await;
    assert_eq!(stats[0]["kind"], "config");
    assert_eq!(stats[0]["count"], 4);
    let bob = Browser::signup(&app, "bob").await;
    let (_, none) = bob.get("/events").await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn errors_share_one_json_shape_and_the_spec_is_served() {
    let app = spawn_app().await;
    let alice = Browser::signup(&app, "alice").await;
    let r = alice
        .http
        .post(format!("{}/ccus", alice.base))
        .header("X-CSRF-Token", &alice.csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
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

/// Per-account lists are bounded by quotas: CCUs registered over the API and unrevoked API
/// tokens; revoked tokens are listed only up to a fixed number.
#[tokio::test]
async fn ccus_and_tokens_per_account_are_capped() {
    let app = spawn_app_with(|s| {
        s.accounts.max_ccus_per_user = 2;
        s.accounts.max_tokens_per_user = 2;
    })
    .await;
    let b = Browser::signup(&app, "alice").await;
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
    let (s, _) = b
        .call(
            reqwest::Method::DELETE,
            &format!("/tokens/{}", ids[0]),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (s, v) = b.post("/tokens", json!({"name": "t3"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
