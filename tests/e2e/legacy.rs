//! The old CCU firmware's HTTP cycle, replayed with its exact request bodies.

use backend::commands::{Actor, NewCommand};
use backend::domain::{AlertKind, CommandKind, CommandStatus, Socket, Source, Transport};
use backend::legacy::Binding;
use std::net::{IpAddr, Ipv4Addr};
use system_tests::{TestApp, http_raw, http_raw_from, spawn_app, spawn_app_with, wait_for};

/// CCU `02` for the old firmware with three outlets, not bound yet (learning).
async fn http_ccu_learning(app: &TestApp) -> backend::domain::UserRecord {
    let user = app.add_user("alice").await;
    app.backend()
        .create_ccu(user.id, "02", None, Transport::Http, Source::Cli)
        .await
        .unwrap();
    for (dev, name) in [("FE", "Desk Outlet"), ("03", "Lamp"), ("1f", "Heater")] {
        app.add_outlet("02", dev, name).await;
    }
    user
}

/// [`http_ccu_learning`], bound to loopback (where `http_raw` calls from).
async fn http_ccu(app: &TestApp) -> backend::domain::UserRecord {
    let user = http_ccu_learning(app).await;
    app.backend()
        .set_legacy_binding(Some(user.id), "02", Binding::Address(LOOPBACK), Source::Web)
        .await
        .unwrap();
    user
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

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
        http_raw(a, "POST", "/api/data/", Some(reading), &[]).await,
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
        let now = app.backend().get_command(user.id, &c.id).await.unwrap();
        assert_eq!(
            now.status,
            CommandStatus::Sent,
            "handed out is sent, not done"
        );
    }
    // The next reading shows relay A on (the PIC acknowledged it): the command is confirmed.
    let reading = r#"{"device_id":"FE","current_a":1300,"current_b":0,"relay_a":true,"relay_b":false,"is_overload":false}"#;
    let (status, body) = http_raw(a, "POST", "/api/data/", Some(reading), &[]).await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"{"success": true, "message": "Data received (WebSocket only)", "relay_a": true, "relay_b": false}"#
        )
    );
    assert_eq!(
        app.backend()
            .get_command(user.id, &c2.id)
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

#[tokio::test]
async fn legacy_errors_keep_the_old_bodies() {
    let app = spawn_app().await;
    http_ccu(&app).await;
    let a = app.http_addr;
    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        (
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"FE"}"#),
            400,
            r#"{"success": false, "message": "Missing required fields. Required: ['device_id', 'current_a', 'current_b']"}"#,
        ),
        (
            "POST",
            "/api/data/",
            Some("not json"),
            400,
            r#"{"success": false, "message": "Invalid JSON format"}"#,
        ),
        (
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"AB","current_a":1,"current_b":2}"#),
            404,
            r#"{"success": false, "message": "Outlet with device_id AB not found"}"#,
        ),
        (
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"02"}"#),
            400,
            r#"{"success": false, "message": "Missing required fields. Required: ['ccu_id', 'current_ma']"}"#,
        ),
        (
            "GET",
            "/api/commands/AB/",
            None,
            404,
            r#"{"success": false, "message": "Outlet with device_id AB not found"}"#,
        ),
        (
            "POST",
            "/api/focus/AB/",
            None,
            404,
            r#"{"success": false, "message": "Outlet AB not found"}"#,
        ),
    ];
    for (method, path, body, status, want) in cases {
        let got = http_raw(a, method, path, *body, &[]).await;
        assert_eq!(got, (*status, want.to_string()), "{method} {path} {body:?}");
    }
    let (status, body) = http_raw(
        a,
        "POST",
        "/api/data/",
        Some(r#"{"device_id":"FE","current_a":"abc","current_b":0}"#),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"success": false, "message": "invalid literal for int() with base 10: 'abc'"}"#
    );
    assert_eq!(http_raw(a, "GET", "/api/data/", None, &[]).await.0, 405);
}

#[tokio::test]
async fn legacy_readings_use_the_same_pipeline_and_only_http_ccus_are_served() {
    let app = spawn_app().await;
    let user = http_ccu(&app).await;
    // An MQTT CCU's outlets are not listed and cannot be fed over HTTP.
    app.add_ccu(&user, "09").await;
    app.add_outlet("09", "AA", "MQTT outlet").await;
    let a = app.http_addr;
    assert_eq!(
        http_raw(a, "GET", "/api/devices/", None, &[]).await.1,
        r#"{"success": true, "devices": ["1F", "03", "FE"]}"#
    );
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"AA","current_a":1,"current_b":2}"#),
            &[]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"09","current_ma":1}"#),
            &[]
        )
        .await
        .0,
        404
    );
    // An overload over HTTP raises the same alert as over MQTT.
    let (s, _) = http_raw(
        a,
        "POST",
        "/api/data/",
        Some(r#"{"device_id":"03","current_a":65535,"current_b":200}"#),
        &[],
    )
    .await;
    assert_eq!(s, 200);
    let b = app.backend().clone();
    wait_for("overload alert", || {
        let b = b.clone();
        async move {
            b.list_alerts(user.id, true, 10)
                .await
                .ok()?
                .into_iter()
                .find(|a| a.kind == AlertKind::Overload)
        }
    })
    .await;
    // "2" is the old zero-fill case.
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":2,"current_ma":300}"#),
            &[]
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn legacy_routes_are_limited_to_allowed_networks() {
    let app = spawn_app_with(|s| {
        s.legacy.allowed_networks = vec!["10.1.2.3/32".into()];
    })
    .await;
    http_ccu_learning(&app).await;
    let a = app.http_addr;
    let (s, body) = http_raw(a, "GET", "/api/devices/", None, &[]).await;
    assert_eq!(
        (s, body.as_str()),
        (403, r#"{"success": false, "message": "Forbidden"}"#)
    );
    // X-Forwarded-For is not believed from an untrusted peer.
    assert_eq!(
        http_raw(
            a,
            "GET",
            "/api/devices/",
            None,
            &[("X-Forwarded-For", "10.1.2.3")]
        )
        .await
        .0,
        403
    );

    let app = spawn_app_with(|s| {
        s.legacy.allowed_networks = vec!["10.1.2.3/32".into()];
        s.http.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let user = http_ccu_learning(&app).await;
    // Only allowed addresses can be bound.
    let bind = |addr: &str| {
        app.backend().set_legacy_binding(
            Some(user.id),
            "02",
            Binding::Address(addr.parse().unwrap()),
            Source::Web,
        )
    };
    assert!(matches!(
        bind("127.0.0.1").await,
        Err(backend::Error::Invalid(_))
    ));
    bind("10.1.2.3").await.unwrap();
    let via_proxy = |xff: &'static str| {
        let a = app.http_addr;
        async move {
            http_raw(a, "GET", "/api/devices/", None, &[("X-Forwarded-For", xff)])
                .await
                .0
        }
    };
    assert_eq!(via_proxy("10.1.2.3").await, 200);
    assert_eq!(
        http_raw(
            app.http_addr,
            "GET",
            "/api/devices/",
            None,
            &[("X-Forwarded-For", "10.1.2.3")]
        )
        .await
        .1,
        r#"{"success": true, "devices": ["1F", "03", "FE"]}"#,
        "the client behind the proxy is the bound address"
    );
    // The header is read from the right: a client behind the trusted proxy who prepends an
    // allowed address is still itself.
    assert_eq!(via_proxy("10.1.2.3, 203.0.113.9").await, 403);
    assert_eq!(via_proxy("203.0.113.9, 10.1.2.3").await, 200);
    assert_eq!(via_proxy("10.1.2.3, bogus").await, 403);

    let app = spawn_app_with(|s| s.legacy.enabled = false).await;
    http_ccu_learning(&app).await;
    assert_eq!(
        http_raw(app.http_addr, "GET", "/api/devices/", None, &[])
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_ccu_registered_without_a_transport_is_settled_by_its_first_bound_contact() {
    let app = spawn_app().await;
    let user = app.add_user("alice").await;
    for id in ["02", "03"] {
        app.backend()
            .create_ccu(user.id, id, None, Transport::Auto, Source::Web)
            .await
            .unwrap();
    }
    app.add_outlet("02", "FE", "Old firmware outlet").await;
    app.add_outlet("03", "FD", "New firmware outlet").await;
    let a = app.http_addr;
    let stray: IpAddr = "127.0.0.2".parse().unwrap();
    // Neither is bound yet: a stray legacy request settles nothing and lists nothing.
    let reading = r#"{"device_id":"FE","current_a":500,"current_b":0}"#;
    assert_eq!(
        http_raw_from(stray, a, "POST", "/api/data/", Some(reading), &[])
            .await
            .0,
        404
    );
    assert_eq!(
        http_raw(a, "GET", "/api/devices/", None, &[]).await.1,
        r#"{"success": true, "devices": []}"#
    );
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().transport,
        Transport::Auto
    );
    // CCU 03 connects over MQTT: it is an MQTT CCU from now on, and can no longer learn a
    // legacy address.
    let secret = app.backend().rotate_ccu_secret(None, "03").await.unwrap();
    let _dev = app.device("03", &secret).await;
    let b = app.backend().clone();
    wait_for("03 settled on mqtt", || {
        let b = b.clone();
        async move { (b.registry().ccu("03")?.transport == Transport::Mqtt).then_some(()) }
    })
    .await;
    assert_eq!(
        app.backend()
            .registry()
            .ccu("03")
            .unwrap()
            .legacy_bind_until,
        None
    );
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"03","current_ma":1}"#),
            &[]
        )
        .await
        .0,
        404
    );
    // CCU 02's owner binds it to 127.0.0.1; a breaker reading naming 02 from elsewhere is
    // refused and settles nothing ...
    app.backend()
        .set_legacy_binding(Some(user.id), "02", Binding::Address(LOOPBACK), Source::Web)
        .await
        .unwrap();
    let breaker = r#"{"ccu_id":"02","current_ma":100}"#;
    assert_eq!(
        http_raw_from(stray, a, "POST", "/api/breaker-data/", Some(breaker), &[]).await,
        (
            404,
            r#"{"success": false, "message": "CCU 02 not found"}"#.to_string()
        )
    );
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().transport,
        Transport::Auto
    );
    assert_eq!(
        app.backend().legacy_refused_addr("02"),
        Some(stray),
        "the dashboard can offer to rebind"
    );
    // ... and its old HTTP cycle from the bound address settles it.
    let (s, _) = http_raw(a, "POST", "/api/data/", Some(reading), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().transport,
        Transport::Http
    );
    assert_eq!(
        http_raw(a, "GET", "/api/devices/", None, &[]).await.1,
        r#"{"success": true, "devices": ["FE"]}"#
    );
    assert_eq!(
        http_raw(
            a,
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"FD","current_a":1,"current_b":0}"#),
            &[]
        )
        .await
        .0,
        404
    );
}
