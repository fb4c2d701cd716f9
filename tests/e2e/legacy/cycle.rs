//! The old firmware's whole cycle, byte for byte: devices, readings, commands as its string
//! search parses them, acknowledgements.

use super::*;

/// The firmware's parse of `/api/commands/<id>/` (CloudClient): plain string searches.
fn firmware_parse(body: &str) -> Option<Vec<(String, String, i64)>> {
    if !(body.contains("\"success\": true") || body.contains("\"success\":true")) {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{\"command\":") {
        let obj_end = rest[start..].find('}')? + start;
        let obj = &rest[start..=obj_end];
        let field = |key: &str| {
            let i = obj.find(key)? + key.len();
            let j = obj[i..].find('"')? + i;
            Some(obj[i..j].to_string())
        };
        let command = field("\"command\": \"")?;
        let socket = field("\"socket\": \"").unwrap_or_default();
        let vi = obj.find("\"value\":")? + "\"value\":".len();
        let raw = obj[vi..].split([',', '}']).next()?.trim();
        let value = if raw == "null" { 0 } else { raw.parse().ok()? };
        out.push((command, socket, value));
        rest = &rest[obj_end + 1..];
    }
    Some(out)
}

#[tokio::test]
async fn the_old_firmware_cycle_works_byte_for_byte() {
    let app = spawn_app().await;
    let user = http_ccu_learning(&app).await;
    let a = app.http_addr;

    // 0: device sync. The CCU is not bound to an address yet, so nothing is listed (the old
    // shape; the firmware keeps its devices) ...
    assert_eq!(
        http_raw(a, "GET", "/api/devices/", None, &[]).await,
        (200, r#"{"success": true, "devices": []}"#.to_string())
    );
    // 1: breaker: ... until its first breaker reading binds it to the address it calls from.
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"02","current_ma":4312}"#),
            &[]
        )
        .await,
        (
            200,
            r#"{"success": true, "message": "Breaker data received (logged to DB)"}"#.to_string()
        )
    );
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"02","current_ma":4400}"#),
            &[]
        )
        .await,
        (
            200,
            r#"{"success": true, "message": "Breaker data received (WebSocket only)"}"#.to_string()
        )
    );
    // The next cycle's device sync.
    assert_eq!(
        http_raw(a, "GET", "/api/devices/", None, &[]).await,
        (
            200,
            r#"{"success": true, "devices": ["1F", "03", "FE"]}"#.to_string()
        )
    );
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().legacy_addr,
        Some(LOOPBACK)
    );
    // 2: focus (set by the dashboard).
    assert_eq!(
        http_raw(a, "GET", "/api/focus/", None, &[]).await.1,
        r#"{"success": true, "device_id": null}"#
    );
    assert_eq!(
        http_raw(a, "POST", "/api/focus/fe/", None, &[]).await.1,
        r#"{"success": true, "device_id": "FE"}"#
    );
    assert_eq!(
        http_raw(a, "GET", "/api/focus/", None, &[]).await.1,
        r#"{"success": true, "device_id": "FE"}"#
    );
    // 3: the focused device's reading, then its commands.
    let reading = r#"{"device_id":"FE","current_a":1250,"current_b":80,"relay_a":false,"relay_b":false,"is_overload":false}"#;
    assert_eq!(
        post_data(a, reading).await,
        (200, r#"{"success": true, "message": "Data received (logged to DB)", "relay_a": false, "relay_b": false}"#.to_string())
    );
    let fe = app.store().find_outlet("02", "FE").await.unwrap().unwrap();
    let send = |command, socket, value| {
        app.backend().send_command(
            Actor::User(user.id),
            NewCommand {
                outlet_id: fe.id,
                command,
                socket,
                value,
            },
        )
    };
    let c1 = send(CommandKind::RelayOff, Some(Socket::B), None)
        .await
        .unwrap();
    let c2 = send(CommandKind::RelayOn, Some(Socket::A), None)
        .await
        .unwrap();
    let c3 = send(CommandKind::SetThreshold, None, Some(5000))
        .await
        .unwrap();
    assert_eq!(
        c2.status,
        CommandStatus::Queued,
        "HTTP CCUs get commands at their poll"
    );
    let (status, body) = http_raw(a, "GET", "/api/commands/FE/", None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"success": true, "commands": [{"command": "relay_off", "socket": "b", "value": null}, {"command": "relay_on", "socket": "a", "value": null}, {"command": "set_threshold", "socket": "", "value": 5000}]}"#
    );
    assert_eq!(
        firmware_parse(&body).unwrap(),
        vec![
            ("relay_off".to_string(), "b".to_string(), 0),
            ("relay_on".to_string(), "a".to_string(), 0),
            ("set_threshold".to_string(), String::new(), 5000)
        ]
    );
    assert_eq!(
        http_raw(a, "GET", "/api/commands/FE/", None, &[]).await.1,
        r#"{"success": true, "commands": []}"#
    );
    for c in [&c1, &c2, &c3] {
        let now = app
            .backend()
            .get_command(backend::Actor::User(user.id), &c.id)
            .await
            .unwrap();
        assert_eq!(
            now.status,
            CommandStatus::Sent,
            "handed out is sent, not done"
        );
    }
    // The next reading shows relay A on (the PIC acknowledged it): the command is confirmed.
    let reading = r#"{"device_id":"FE","current_a":1300,"current_b":0,"relay_a":true,"relay_b":false,"is_overload":false}"#;
    let (status, body) = post_data(a, reading).await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"{"success": true, "message": "Data received (WebSocket only)", "relay_a": true, "relay_b": false}"#
        )
    );
    assert_eq!(
        app.backend()
            .get_command(backend::Actor::User(user.id), &c2.id)
            .await
            .unwrap()
            .status,
        CommandStatus::Ok
    );
    assert_eq!(
        http_raw(a, "GET", "/api/outlet-status/FE/", None, &[])
            .await
            .1,
        r#"{"success": true, "device_id": "FE", "name": "Desk Outlet", "relay_a": true, "relay_b": false, "threshold": 0}"#
    );
    assert_eq!(
        http_raw(a, "DELETE", "/api/focus/clear/", None, &[])
            .await
            .1,
        r#"{"success": true, "device_id": null}"#
    );
    assert!(
        app.backend().state().ccu("02").unwrap().online,
        "legacy traffic means online"
    );
    assert!(
        app.backend()
            .metrics()
            .ingested_total(backend::metrics::Transport::Http)
            >= 2
    );
}
