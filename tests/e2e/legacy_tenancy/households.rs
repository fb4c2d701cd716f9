//! Two households whose outlets share an RF device id never see each other's readings,
//! commands or breaker data.

use super::*;

#[tokio::test]
async fn two_households_with_the_same_rf_id_never_mix() {
    let app = spawn_app().await;
    let alice = household(
        &app,
        "alice",
        "02",
        &[("FE", "Alice desk"), ("A1", "Alice lamp")],
    )
    .await;
    let bob = household(&app, "bob", "03", &[("FE", "Bob desk")]).await;
    let a = Firmware::at(&app, "127.0.0.2");
    let b = Firmware::at(&app, "127.0.0.3");

    // Each CCU learns the address of its first breaker reading.
    assert_eq!(a.breaker("02", 1000).await, 200);
    assert_eq!(b.breaker("03", 2000).await, 200);
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().legacy_addr,
        Some(a.from)
    );
    assert_eq!(
        app.backend().registry().ccu("03").unwrap().legacy_addr,
        Some(b.from)
    );
    // A breaker reading naming the other household's CCU is refused and remembered.
    let wrong = refused(&app, Refusal::WrongAddress);
    assert_eq!(a.breaker("03", 1).await, 404);
    assert_eq!(refused(&app, Refusal::WrongAddress), wrong + 1);
    assert_eq!(app.backend().legacy_refused_addr("03"), Some(a.from));

    // Each caller lists only its own outlets.
    assert_eq!(
        a.get("/api/devices/").await,
        (
            200,
            r#"{"success": true, "devices": ["A1", "FE"]}"#.to_string()
        )
    );
    assert_eq!(
        b.get("/api/devices/").await,
        (200, r#"{"success": true, "devices": ["FE"]}"#.to_string())
    );

    // A command Bob queued for his FE is never handed to Alice's poll of FE, and vice versa.
    let bobs = queue(&app, &bob, "03", "FE", true).await;
    assert_eq!(
        a.get("/api/commands/FE/").await,
        (200, NO_COMMANDS.to_string())
    );
    let got = app
        .backend()
        .get_command(backend::Actor::User(bob.id), &bobs)
        .await
        .unwrap();
    assert_eq!(
        got.status,
        CommandStatus::Queued,
        "still waiting for Bob's CCU"
    );
    assert_eq!(
        b.get("/api/commands/FE/").await,
        (
            200,
            r#"{"success": true, "commands": [{"command": "relay_on", "socket": "a", "value": null}]}"#
                .to_string()
        )
    );
    let alices = queue(&app, &alice, "02", "FE", false).await;
    assert_eq!(
        b.get("/api/commands/FE/").await,
        (200, NO_COMMANDS.to_string())
    );
    assert_eq!(
        a.get("/api/commands/FE/").await,
        (
            200,
            r#"{"success": true, "commands": [{"command": "relay_off", "socket": "a", "value": null}]}"#
                .to_string()
        )
    );
    let got = app
        .backend()
        .get_command(backend::Actor::User(alice.id), &alices)
        .await
        .unwrap();
    assert_eq!(got.status, CommandStatus::Sent);

    // Alice's reading lands only in Alice's outlet (live state and history).
    let alice_fe = app.store().find_outlet("02", "FE").await.unwrap().unwrap();
    let bob_fe = app.store().find_outlet("03", "FE").await.unwrap().unwrap();
    let (s, _) = a.reading("FE", 1234).await;
    assert_eq!(s, 200);
    assert_eq!(
        app.backend().state().outlet(alice_fe.id).unwrap().current_a,
        Some(1234)
    );
    assert_eq!(
        app.backend()
            .state()
            .outlet(bob_fe.id)
            .unwrap_or_default()
            .current_a,
        None
    );
    let store = app.store().clone();
    wait_for("Alice's reading in her history", || {
        let store = store.clone();
        async move { (store.count_readings(alice_fe.id).await.ok()? >= 1).then_some(()) }
    })
    .await;
    assert_eq!(app.store().count_readings(bob_fe.id).await.unwrap(), 0);
    // A1 exists only at Alice's: Bob's CCU cannot report it.
    assert_eq!(
        b.reading("A1", 1).await,
        (
            404,
            r#"{"success": false, "message": "Outlet with device_id A1 not found"}"#.to_string()
        )
    );

    // Outlet status answers each caller with its own outlet.
    assert_eq!(
        a.get("/api/outlet-status/FE/").await.1,
        r#"{"success": true, "device_id": "FE", "name": "Alice desk", "relay_a": false, "relay_b": false, "threshold": 0}"#
    );
    assert_eq!(
        b.get("/api/outlet-status/FE/").await.1,
        r#"{"success": true, "device_id": "FE", "name": "Bob desk", "relay_a": false, "relay_b": false, "threshold": 0}"#
    );

    // Bob's reading confirms Bob's relay command (his CCU's focus stayed on FE until then,
    // waiting for it), and only his.
    let confirming = r#"{"device_id":"FE","current_a":5,"current_b":-1,"relay_a":true,"relay_b":false,"is_overload":false}"#;
    assert_eq!(b.post("/api/data/", confirming).await.0, 200);
    let got = app
        .backend()
        .get_command(backend::Actor::User(bob.id), &bobs)
        .await
        .unwrap();
    assert_eq!(got.status, CommandStatus::Ok);
    let got = app
        .backend()
        .get_command(backend::Actor::User(alice.id), &alices)
        .await
        .unwrap();
    assert_eq!(got.status, CommandStatus::Sent);

    // Focus is per household.
    assert_eq!(
        a.post("/api/focus/fe/", "").await.1,
        r#"{"success": true, "device_id": "FE"}"#
    );
    assert_eq!(a.focus().await, r#"{"success": true, "device_id": "FE"}"#);
    assert_eq!(b.focus().await, r#"{"success": true, "device_id": null}"#);
    assert_eq!(
        b.post("/api/focus/a1/", "").await,
        (
            404,
            r#"{"success": false, "message": "Outlet A1 not found"}"#.to_string()
        )
    );
    assert_eq!(b.post("/api/focus/clear/", "").await.0, 200);
    assert_eq!(a.focus().await, r#"{"success": true, "device_id": "FE"}"#);
    assert_eq!(
        app.store()
            .get_ccu("02")
            .await
            .unwrap()
            .unwrap()
            .legacy_focus
            .as_deref(),
        Some("FE"),
        "stored, so every instance answers the same"
    );

    // A third address is nobody: nothing listed, nothing found, nothing served.
    let c = Firmware::at(&app, "127.0.0.4");
    let unbound = refused(&app, Refusal::UnboundCaller);
    c.sees_nothing(9).await;
    assert_eq!(c.focus().await, r#"{"success": true, "device_id": null}"#);
    assert_eq!(
        c.post("/api/focus/fe/", "").await,
        (
            404,
            r#"{"success": false, "message": "No CCU registered"}"#.to_string()
        )
    );
    assert_eq!(c.breaker("02", 5).await, 404);
    assert_eq!(refused(&app, Refusal::UnboundCaller), unbound + 6);
    assert_eq!(
        app.backend().state().outlet(alice_fe.id).unwrap().current_a,
        Some(1234)
    );
}
