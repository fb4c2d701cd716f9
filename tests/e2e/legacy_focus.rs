//! The old firmware's real loop (ccu-sim legacy mode: focus, focused outlet every cycle, one
//! other outlet per round robin; eight outlets) against the real server: the focus follows the
//! work, so every command arrives within two cycles, several in consecutive cycles, and the
//! round robin's slow rhythm raises no false offline alert while a silent outlet is noticed.

use crate::sim_legacy::{outlet, send, wait_status};
use backend::domain::{AlertKind, CommandStatus, OutletRecord, Socket, Transport, UserRecord};
use ccu_sim::{DeviceId, Executed, LegacyHttpConfig, SimCcu, SimCcuConfig, device_ids};
use std::time::Duration;
use system_tests::{TestApp, http_raw, spawn_app, spawn_app_with, wait_for};

/// CCU `02` on the old firmware with the outlets `ids` registered (all eight of `device_ids(8)`
/// on the server), its simulation running `pics` of them, cycling every `period` with one
/// background read every `background`.
/// The old firmware's 2 s / 30 s rhythm (reading cycle, round robin), eight times faster: a
/// command left to the round robin would wait up to 8 × 3.75 s = 120 cycles.
const EIGHT_TIMES_FASTER: (Duration, Duration) =
    (Duration::from_millis(250), Duration::from_millis(3750));
/// As fast, with no round robin within a test: only the focus can bring a command.
const NO_ROUND_ROBIN: (Duration, Duration) =
    (Duration::from_millis(250), Duration::from_secs(3600));
/// Twenty times faster, for the presence tests.
const TWENTY_TIMES_FASTER: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_millis(1500));

async fn old_firmware(
    app: &TestApp,
    user: Option<UserRecord>,
    pics: &[DeviceId],
    (period, background): (Duration, Duration),
) -> (UserRecord, Vec<OutletRecord>, SimCcu) {
    let user = match user {
        Some(u) => u,
        None => {
            let user = app.add_user("alice").await;
            app.backend()
                .create_ccu(backend::Actor::CLI, user.id, "02", None, Transport::Http)
                .await
                .expect("add HTTP CCU");
            for id in device_ids(8) {
                app.add_outlet("02", &id.to_string(), &format!("Outlet {id}"))
                    .await;
            }
            user
        }
    };
    let outlets = app
        .backend()
        .list_outlets(backend::Actor::User(user.id), Some("02"))
        .await
        .expect("outlets");
    let http =
        LegacyHttpConfig::new(format!("http://{}", app.http_addr)).with_cadence(period, background);
    let config = SimCcuConfig::legacy_http("02", http)
        .with_device_ids(pics.iter().copied())
        .fast();
    let ccu = SimCcu::start(config).expect("simulated CCU starts");
    tokio::time::timeout(
        Duration::from_secs(20),
        ccu.wait_until(|s| s.connected && s.outlets == 8),
    )
    .await
    .expect("the CCU learnt its eight outlets from /api/devices/")
    .expect("CCU running");
    (user, outlets, ccu)
}

/// The cycle that executed the first command for `device` after the first `skip` commands.
async fn executed(ccu: &SimCcu, skip: usize, device: DeviceId) -> Executed {
    let legacy = ccu.legacy().expect("legacy CCU").clone();
    wait_for(&format!("a command executed for {device}"), || {
        let found = legacy
            .executed()
            .into_iter()
            .skip(skip)
            .find(|e| e.device == device);
        async move { found }
    })
    .await
}

fn cycles(ccu: &SimCcu) -> u64 {
    ccu.legacy().expect("legacy CCU").stats().cycles
}

fn done(ccu: &SimCcu) -> usize {
    ccu.legacy().expect("legacy CCU").executed().len()
}

#[tokio::test]
async fn a_command_to_any_of_eight_outlets_arrives_within_two_cycles() {
    let app = spawn_app().await;
    let (user, outlets, ccu) = old_firmware(&app, None, &device_ids(8), EIGHT_TIMES_FASTER).await;
    let ids = device_ids(8);
    // Every outlet, in an order unlike the round robin's, switched on then off.
    for (i, device) in ids.iter().rev().chain(ids.iter()).enumerate() {
        let target = outlet(&outlets, *device);
        let skip = done(&ccu);
        let sent_in = cycles(&ccu);
        let id = send(&app, &user, target, i < 8, Socket::A).await;
        let e = executed(&ccu, skip, *device).await;
        assert!(
            e.cycle <= sent_in + 1,
            "command {i} to {device} sent during cycle {sent_in}, executed in cycle {}",
            e.cycle
        );
        // The focus stays on it until the next reading confirms the relay.
        wait_status(&app, &user, &id, CommandStatus::Ok).await;
        let confirmed_by = cycles(&ccu);
        assert!(
            confirmed_by <= e.cycle + 8,
            "command {i} to {device} executed in cycle {}, confirmed only by cycle {confirmed_by}",
            e.cycle
        );
    }
    ccu.stop().await.unwrap();
}

#[tokio::test]
async fn three_commands_to_three_outlets_arrive_in_three_consecutive_cycles() {
    let app = spawn_app().await;
    let (user, outlets, ccu) = old_firmware(&app, None, &device_ids(8), NO_ROUND_ROBIN).await;
    let order = [DeviceId(0xF9), DeviceId(0xFD), DeviceId(0xF7)];
    let skip = done(&ccu);
    let sent_in = cycles(&ccu);
    let mut ids = Vec::new();
    for device in order {
        ids.push(send(&app, &user, outlet(&outlets, device), true, Socket::B).await);
    }
    let mut seen = Vec::new();
    for device in order {
        seen.push(executed(&ccu, skip, device).await.cycle);
    }
    assert!(seen[0] <= sent_in + 1, "first sent in {sent_in}: {seen:?}");
    assert_eq!(
        seen,
        vec![seen[0], seen[0] + 1, seen[0] + 2],
        "oldest first, one outlet per cycle"
    );
    for id in &ids {
        wait_status(&app, &user, id, CommandStatus::Ok).await;
    }
    ccu.stop().await.unwrap();
}

#[tokio::test]
async fn the_outlet_a_person_has_open_is_focused_while_the_dashboard_says_so() {
    let app = spawn_app_with(|s| s.legacy.view_ttl = Duration::from_millis(600)).await;
    let user = app.add_user("alice").await;
    let bob = app.add_user("bob").await;
    app.backend()
        .create_ccu(backend::Actor::CLI, user.id, "02", None, Transport::Http)
        .await
        .unwrap();
    let fe = app.add_outlet("02", "FE", "Lamp").await;
    app.add_ccu(&user, "03").await;
    let mqtt_outlet = app.add_outlet("03", "FD", "Heater").await;
    // The CCU binds to 127.0.0.1 with its first breaker reading.
    let breaker = r#"{"ccu_id":"02","current_ma":10}"#;
    let (status, _) = http_raw(
        app.http_addr,
        "POST",
        "/api/breaker-data/",
        Some(breaker),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let focus = || async {
        http_raw(app.http_addr, "GET", "/api/focus/", None, &[])
            .await
            .1
    };
    assert_eq!(focus().await, r#"{"success": true, "device_id": null}"#);

    let b = app.backend();
    assert!(
        b.view_outlet(backend::Actor::User(user.id), fe.id)
            .await
            .unwrap(),
        "old firmware: focused"
    );
    assert_eq!(focus().await, r#"{"success": true, "device_id": "FE"}"#);
    assert!(
        !b.view_outlet(backend::Actor::User(user.id), mqtt_outlet.id)
            .await
            .unwrap(),
        "an MQTT CCU needs no focus"
    );
    assert!(
        b.view_outlet(backend::Actor::User(bob.id), fe.id)
            .await
            .is_err(),
        "someone else's outlet is not found"
    );
    // The dashboard stops saying so: the focus ends after view_ttl.
    wait_for("the view to expire", || async {
        (focus().await == r#"{"success": true, "device_id": null}"#).then_some(())
    })
    .await;
    // A command outranks the view, and the old routes' focus lasts until cleared.
    assert_eq!(
        http_raw(app.http_addr, "POST", "/api/focus/fe/", None, &[])
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        focus().await,
        r#"{"success": true, "device_id": "FE"}"#,
        "set by the old route: no expiry"
    );
}

#[tokio::test]
async fn ten_minutes_of_the_round_robin_raise_no_offline_alert_and_a_silent_outlet_is_alerted() {
    // Twenty times faster than life: a 100 ms cycle, one background read per 1.5 s, so
    // each of the eight outlets is read about every 12–13 s, twice the MQTT staleness
    // (6 s here, 120 s in life).
    let app = spawn_app_with(|s| {
        s.legacy.cycle = Duration::from_millis(100);
        s.legacy.round_robin = Duration::from_millis(1500);
        s.legacy.presence_margin = Duration::from_secs(3);
        s.presence.stale_after = Duration::from_secs(6);
        s.presence.check_interval = Duration::from_millis(100);
    })
    .await;
    let (user, outlets, ccu) = old_firmware(&app, None, &device_ids(8), TWENTY_TIMES_FASTER).await;
    let b = app.backend().clone();
    let threshold = b.outlet_stale_after("02");
    assert_eq!(threshold, Duration::from_millis(8 * 1600 + 3000));
    let offline_alerts = || {
        let b = b.clone();
        async move {
            b.list_alerts(backend::Actor::User(user.id), false, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|a| a.kind == AlertKind::OutletOffline)
                .collect::<Vec<_>>()
        }
    };
    // Ten minutes of the firmware's life (300 cycles of 2 s) take 30 s here.
    let start = tokio::time::Instant::now();
    let mut heard = std::collections::HashSet::new();
    while start.elapsed() < Duration::from_secs(30) {
        let alerts = offline_alerts().await;
        assert!(alerts.is_empty(), "no false offline alert: {alerts:?}");
        for o in &outlets {
            if b.state().outlet(o.id).is_some_and(|s| s.online) {
                heard.insert(o.id);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(heard.len(), 8, "every outlet was read by the round robin");
    assert!(cycles(&ccu) >= 150, "the loop ran: {} cycles", cycles(&ccu));

    // The CCU restarts without outlet F9 answering it: the firmware posts F9 as never read
    // (-1), which is no reading at all.
    ccu.stop().await.unwrap();
    let silent = outlet(&outlets, DeviceId(0xF9));
    let answering: Vec<DeviceId> = device_ids(8)
        .into_iter()
        .filter(|d| *d != DeviceId(0xF9))
        .collect();
    let restarted = backend::clock::now_ms();
    let (_, _, ccu) = old_firmware(&app, Some(user.clone()), &answering, TWENTY_TIMES_FASTER).await;
    let last_heard = b
        .state()
        .outlet(silent.id)
        .and_then(|s| s.last_seen)
        .unwrap();
    let alert = wait_for("the silent outlet's alert", || {
        let alerts = offline_alerts();
        async move {
            alerts
                .await
                .into_iter()
                .find(|a| a.outlet_id == Some(silent.id))
        }
    })
    .await;
    // Its silence counts from its last reading, or from the CCU's return after the restart
    // (the old firmware's round robin begins anew then).
    let limit = threshold.as_millis() as i64;
    assert!(
        alert.raised_at >= last_heard + limit,
        "alerted {} ms after it was last heard (its period: {limit} ms)",
        alert.raised_at - last_heard
    );
    assert!(
        alert.raised_at <= restarted + limit + 2000,
        "alerted {} ms after the CCU restarted (its period: {limit} ms)",
        alert.raised_at - restarted
    );
    assert_eq!(
        offline_alerts().await.len(),
        1,
        "only the silent outlet is alerted"
    );
    ccu.stop().await.unwrap();
}
