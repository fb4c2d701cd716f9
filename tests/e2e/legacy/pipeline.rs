//! Legacy readings go through the same pipeline as MQTT ones; only HTTP CCUs are served, and
//! a CCU registered without a transport is settled by its first bound contact.

use super::*;

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
        post_data(a, r#"{"device_id":"AA","current_a":1,"current_b":2}"#)
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
    let (s, _) = post_data(a, r#"{"device_id":"03","current_a":65535,"current_b":200}"#).await;
    assert_eq!(s, 200);
    let b = app.backend().clone();
    wait_for("overload alert", || {
        let b = b.clone();
        async move {
            b.list_alerts(backend::Actor::User(user.id), true, 10)
                .await
                .ok()?
                .into_iter()
                .find(|a| a.kind == AlertKind::Overload)
        }
    })
    .await;
    // "2" is the old zero-fill case: filed as CCU 02's breaker reading.
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
    let store = app.store().clone();
    let rows = wait_for("the breaker reading stored", || {
        let store = store.clone();
        async move {
            let rows = store.breaker_readings("02", 0, i64::MAX, 10).await.ok()?;
            (!rows.is_empty()).then_some(rows)
        }
    })
    .await;
    let filed: Vec<i64> = rows.iter().map(|r| r.current_ma).collect();
    assert_eq!(filed, [300], "one reading, under CCU 02");
    assert_eq!(
        app.backend().state().ccu("02").unwrap().breaker_ma,
        Some(300)
    );
    assert_eq!(store.count_breaker_readings("2").await.unwrap(), 0);
    assert!(app.backend().state().ccu("2").is_none());
}

#[tokio::test]
async fn a_ccu_registered_without_a_transport_is_settled_by_its_first_bound_contact() {
    let app = spawn_app().await;
    let user = app.add_user("alice").await;
    for id in ["02", "03"] {
        app.backend()
            .create_ccu(
                backend::Actor::User(user.id),
                user.id,
                id,
                None,
                Transport::Auto,
            )
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
    let secret = app
        .backend()
        .rotate_ccu_secret(backend::Actor::CLI, "03")
        .await
        .unwrap();
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
        .set_legacy_binding(
            backend::Actor::User(user.id),
            "02",
            Binding::Address(LOOPBACK),
        )
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
    let (s, _) = post_data(a, reading).await;
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
        post_data(a, r#"{"device_id":"FD","current_a":1,"current_b":0}"#)
            .await
            .0,
        404
    );
}
