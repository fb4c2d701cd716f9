//! The routes outside the spec (WebSockets, legacy shim, operations) against a fixed table of
//! statuses per caller.

use super::*;

/// Routes outside the spec: the WebSockets, the legacy shim and the operations endpoints.
#[tokio::test]
async fn routes_outside_the_spec_follow_the_fixed_table() {
    let w = world().await;
    let addr = w.app.http_addr;
    let mut table = String::new();
    let mut failures = Vec::new();

    // WebSockets: anonymous handshakes are refused; other users connect but see nothing of
    // the owner's.
    for path in [
        "/ws".to_string(),
        "/ws/sensor/FE/".to_string(),
        format!("/ws/breaker/{}/", w.ccu),
    ] {
        for who in Caller::ALL {
            let token = match who {
                Caller::Anonymous => None,
                Caller::Other => Some(&w.other_token),
                Caller::Owner => Some(&w.owner_token),
            };
            let url = match token {
                Some(t) => format!("ws://{addr}{path}?token={t}"),
                None => format!("ws://{addr}{path}"),
            };
            let (status, first) = match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((mut ws, resp)) => {
                    use futures_util::StreamExt;
                    // `/ws/sensor/` starts with `initial_data`; read it (bounded wait).
                    let first = if path.starts_with("/ws/sensor/") {
                        tokio::time::timeout(system_tests::wait::DEADLINE, ws.next())
                            .await
                            .ok()
                            .flatten()
                            .and_then(Result::ok)
                            .map(|m| m.to_string())
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    (resp.status().as_u16(), first)
                }
                Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                    (resp.status().as_u16(), String::new())
                }
                Err(e) => panic!("{path}: {e}"),
            };
            let want = if who == Caller::Anonymous { 401 } else { 101 };
            if status != want {
                failures.push(format!(
                    "GET {path} as {}: expected {want}, got {status}",
                    who.tag()
                ));
            }
            if path.starts_with("/ws/sensor/") {
                let sees = first.contains("Owners Aquarium Heater");
                match who {
                    Caller::Other if sees || !first.contains("\"data\": null") => {
                        failures.push(format!("GET {path} as other: initial_data shows {first}"))
                    }
                    Caller::Owner if !sees => failures.push(format!(
                        "GET {path} as owner: initial_data lacks the outlet: {first}"
                    )),
                    _ => {}
                }
            }
            let _ = writeln!(table, "GET {path:<36} {:<5} {status}", who.tag());
        }
    }

    // Plain HTTP routes: (method, path, body, expected status per caller: anon, other, owner,
    // and the metrics token).
    let rows: &[(&str, &str, Option<&str>, [u16; 4])] = &[
        ("GET", "/healthz", None, [200; 4]),
        ("GET", "/readyz", None, [200; 4]),
        ("GET", "/api/v1/openapi.json", None, [200; 4]),
        // API tokens are not the metrics token.
        ("GET", "/metrics", None, [401, 401, 401, 200]),
        ("GET", "/status", None, [401, 401, 401, 200]),
        // Not configured (no mqtt.external.http_auth_token): absent for everyone.
        ("POST", "/internal/emqx/authn", Some("{}"), [404; 4]),
        ("POST", "/internal/emqx/authz", Some("{}"), [404; 4]),
        // The shim answers only legacy.allowed_networks, whatever the credentials.
        ("GET", "/api/devices/", None, [403; 4]),
        ("GET", "/api/commands/FE/", None, [403; 4]),
        ("GET", "/api/focus/", None, [403; 4]),
        ("GET", "/api/outlet-status/FE/", None, [403; 4]),
        (
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"FE","current_a":1,"current_b":2}"#),
            [403; 4],
        ),
        (
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"MXOWNER1","current_ma":1}"#),
            [403; 4],
        ),
        ("POST", "/api/focus/FE/", Some("{}"), [403; 4]),
        ("POST", "/api/focus/clear/", Some("{}"), [403; 4]),
    ];
    let callers = [
        ("anon", None),
        ("other", Some(format!("Bearer {}", w.other_token))),
        ("owner", Some(format!("Bearer {}", w.owner_token))),
        ("metrics", Some(format!("Bearer {METRICS_TOKEN}"))),
    ];
    for (method, path, body, want) in rows {
        for ((who, auth), want) in callers.iter().zip(want) {
            let headers: Vec<(&str, &str)> = auth
                .as_deref()
                .map(|a| vec![("Authorization", a)])
                .unwrap_or_default();
            let (status, text) = system_tests::http_raw(addr, method, path, *body, &headers).await;
            if status != *want {
                failures.push(format!(
                    "{method} {path} as {who}: expected {want}, got {status}: {text:.200}"
                ));
            }
            if *who != "owner" && path.starts_with("/api/") {
                let call = Call {
                    method: Method::GET,
                    path: path.to_string(),
                    body: body.map(|b| Value::String(b.to_string())),
                    names_owner_object: false,
                };
                let leaks = w.leaks(&call, &text);
                if !leaks.is_empty() {
                    failures.push(format!(
                        "{method} {path} as {who}: leak: {}",
                        leaks.join(", ")
                    ));
                }
            }
            let _ = writeln!(table, "{method:<4} {path:<36} {who:<7} {status}");
        }
    }
    let calls = table.lines().count();
    report(
        "fixed",
        &format!(
            "\naccess matrix, routes outside the spec:\n{table}access matrix outside the spec: {calls} calls, {} failed\n",
            failures.len()
        ),
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
