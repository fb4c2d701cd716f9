//! EMQX's HTTP authn/authz hooks over real HTTP: the shared token, and the allow/deny matrix
//! of the rule table.

use serde_json::{Value, json};
use settings::Secret;
use smart_outlet::startup::BACKEND_USER;
use system_tests::{TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "emqx-hook-token-0123456789";

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}/internal/emqx/{path}", app.http_addr))
        .json(&body);
    if let Some(t) = token {
        req = req.header("x-smart-outlet-token", t);
    }
    let resp = req.send().await.expect("HTTP request");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn result(app: &TestApp, path: &str, body: Value) -> String {
    let (status, answer) = post(app, path, Some(TOKEN), body.clone()).await;
    assert_eq!(status, 200, "{body}: {answer}");
    assert_eq!(answer["is_superuser"], false, "{answer}");
    answer["result"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_hooks_are_off_without_a_token_and_closed_without_the_right_one() {
    let off = spawn_app().await;
    let body = json!({"clientid":"02","username":"02","password":"x"});
    assert_eq!(post(&off, "authn", Some(TOKEN), body.clone()).await.0, 404);
    assert_eq!(post(&off, "authz", Some(TOKEN), body.clone()).await.0, 404);

    let app = spawn_app_with(|s| s.mqtt.external.http_auth_token = Secret::new(TOKEN)).await;
    for path in ["authn", "authz"] {
        assert_eq!(post(&app, path, None, body.clone()).await.0, 401, "{path}");
        assert_eq!(
            post(&app, path, Some("wrong"), body.clone()).await.0,
            401,
            "{path}"
        );
        assert_eq!(
            post(&app, path, Some(&format!("{TOKEN}x")), body.clone())
                .await
                .0,
            401,
            "{path}"
        );
    }
}

#[tokio::test]
async fn authn_and_authz_follow_the_login_check_and_the_rule_table() {
    let app = spawn_app_with(|s| s.mqtt.external.http_auth_token = Secret::new(TOKEN)).await;
    let user = app.add_user("alice").await;
    let secret = app.add_ccu(&user, "0A").await;
    app.add_ccu(&user, "0B").await;

    let authn = |clientid: &str, username: &str, password: &str| {
        json!({"clientid": clientid, "username": username, "password": password,
               "peerhost": "127.0.0.1"})
    };
    let logins = [
        (authn("0A", "0A", &secret), "allow"),
        (authn("0A", "0A", "wrong"), "deny"),
        (authn("other", "0A", &secret), "deny"),
        (authn("0Z", "0Z", &secret), "deny"),
        (authn("0A", "", ""), "deny"),
    ];
    for (body, want) in &logins {
        assert_eq!(result(&app, "authn", body.clone()).await, *want, "{body}");
    }

    let authz = |clientid: &str, username: &str, action: &str, topic: &str, retain: Value| {
        json!({"clientid": clientid, "username": username, "action": action,
               "topic": topic, "retain": retain})
    };
    let f = Value::Bool(false);
    let be = format!("{BACKEND_USER}-1234");
    let matrix = [
        (
            authz("0A", "0A", "publish", "ccu/0A/sensor", f.clone()),
            "allow",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0A/sensor", json!("true")),
            "deny",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0A/status", json!("true")),
            "allow",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0A/status", json!(true)),
            "allow",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0A/ack", Value::Null),
            "allow",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0B/sensor", f.clone()),
            "deny",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0B/status", json!("true")),
            "deny",
        ),
        (
            authz("0A", "0A", "publish", "ccu/0A/cmd", f.clone()),
            "deny",
        ),
        (
            authz("0A", "0A", "subscribe", "ccu/0A/cmd", f.clone()),
            "allow",
        ),
        (
            authz("0A", "0A", "subscribe", "ccu/0A/devices", f.clone()),
            "allow",
        ),
        (
            authz("0A", "0A", "subscribe", "$share/g/ccu/0A/cmd", f.clone()),
            "allow",
        ),
        (authz("0A", "0A", "subscribe", "#", f.clone()), "deny"),
        (
            authz("0A", "0A", "subscribe", "ccu/+/cmd", f.clone()),
            "deny",
        ),
        (
            authz("0A", "0A", "subscribe", "ccu/0B/devices", f.clone()),
            "deny",
        ),
        (authz("0A", "0A", "all", "ccu/0A/cmd", f.clone()), "deny"),
        (
            authz("x", "0A", "publish", "ccu/0A/sensor", f.clone()),
            "deny",
        ),
        (
            authz("0Z", "0Z", "publish", "ccu/0Z/sensor", f.clone()),
            "deny",
        ),
        (
            authz(
                &be,
                BACKEND_USER,
                "subscribe",
                "$share/so/ccu/+/sensor",
                f.clone(),
            ),
            "allow",
        ),
        (
            authz(
                &be,
                BACKEND_USER,
                "publish",
                "ccu/0A/devices",
                json!("true"),
            ),
            "allow",
        ),
        (
            authz("intruder", BACKEND_USER, "publish", "ccu/0A/cmd", f.clone()),
            "deny",
        ),
    ];
    let mut allowed = 0;
    for (body, want) in &matrix {
        let got = result(&app, "authz", body.clone()).await;
        assert_eq!(got, *want, "{body}");
        allowed += usize::from(got == "allow");
    }
    assert_eq!((matrix.len(), allowed), (20, 9));
}
