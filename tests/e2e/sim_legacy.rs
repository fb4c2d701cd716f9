//! Simulated CCUs on the legacy HTTP cycle (the old firmware's requests, the real ccu-core on
//! simulated PICs) against the real server: commands reach the relays, readings confirm them,
//! an overload raises the alert.

use backend::domain::{AlertKind, CommandStatus, OutletRecord, Socket, Transport, UserRecord};
use ccu_sim::{DeviceId, LegacyHttpConfig, SimCcu, SimCcuConfig, device_ids};
use std::time::Duration;
use system_tests::relays::{send_relay, wait_command, wait_relay};
use system_tests::{TestApp, http_raw, spawn_app, wait_for, wait_until};

const FE: DeviceId = DeviceId(0xFE);
const FD: DeviceId = DeviceId(0xFD);

/// CCU `02` registered for HTTP with four outlets FE…FB, and its simulation, ready.
async fn legacy_site(
    app: &TestApp,
    background: Duration,
) -> (UserRecord, Vec<OutletRecord>, SimCcu) {
    let user = app.add_user("alice").await;
    app.backend()
        .create_ccu(backend::Actor::CLI, user.id, "02", None, Transport::Http)
        .await
        .expect("add HTTP CCU");
    let ids = device_ids(4);
    let mut outlets = Vec::new();
    for id in &ids {
        outlets.push(
            app.add_outlet("02", &id.to_string(), &format!("Outlet {id}"))
                .await,
        );
    }
    let http = LegacyHttpConfig::new(format!("http://{}", app.http_addr))
        .with_cadence(Duration::from_millis(200), background);
    let config = SimCcuConfig::legacy_http("02", http)
        .with_device_ids(ids)
        .fast();
    let ccu = SimCcu::start(config).expect("simulated CCU starts");
    tokio::time::timeout(
        Duration::from_secs(15),
        ccu.wait_until(|s| s.connected && s.outlets == 4),
    )
    .await
    .expect("the CCU learnt its outlets from /api/devices/")
    .expect("CCU running");
    (user, outlets, ccu)
}

pub(crate) fn outlet(outlets: &[OutletRecord], device: DeviceId) -> &OutletRecord {
    outlets
        .iter()
        .find(|o| o.device_id == device.to_string())
        .expect("registered outlet")
}

/// Queues a relay command for an HTTP CCU (it fetches commands at its poll); returns its id.
pub(crate) async fn send(
    app: &TestApp,
    user: &UserRecord,
    outlet: &OutletRecord,
    on: bool,
    socket: Socket,
) -> String {
    let c = send_relay(app, user.id, outlet.id, socket, on).await;
    assert_eq!(
        c.status,
        CommandStatus::Queued,
        "HTTP CCUs fetch commands at their poll"
    );
    c.id
}

/// Waits until `user`'s command `id` is `want`.
pub(crate) async fn wait_status(app: &TestApp, user: &UserRecord, id: &str, want: CommandStatus) {
    wait_command(app, user.id, id, want).await;
}

async fn wait_sim_relay(ccu: &SimCcu, device: DeviceId, socket: Socket, want: bool) {
    wait_until(
        &format!("simulated relay {device}/{socket:?} = {want}"),
        || {
            let on = ccu.relay(device, socket).expect("simulated outlet");
            async move { on == want }
        },
    )
    .await;
}

#[tokio::test]
async fn relay_commands_reach_the_simulated_relays_and_readings_confirm_them() {
    let app = spawn_app().await;
    let (user, outlets, ccu) = legacy_site(&app, Duration::from_secs(3600)).await;
    let fd = outlet(&outlets, FD);
    // The dashboard focuses FD: the CCU serves it every cycle.
    let (status, _) = http_raw(app.http_addr, "POST", "/api/focus/fd/", None, &[]).await;
    assert_eq!(status, 200);

    let on_a = send(&app, &user, fd, true, Socket::A).await;
    let on_b = send(&app, &user, fd, true, Socket::B).await;
    wait_sim_relay(&ccu, FD, Socket::A, true).await;
    wait_sim_relay(&ccu, FD, Socket::B, true).await;
    wait_status(&app, &user, &on_a, CommandStatus::Ok).await;
    wait_status(&app, &user, &on_b, CommandStatus::Ok).await;
    wait_relay(&app, fd.id, Socket::A, true).await;
    wait_relay(&app, fd.id, Socket::B, true).await;

    let off_a = send(&app, &user, fd, false, Socket::A).await;
    wait_sim_relay(&ccu, FD, Socket::A, false).await;
    wait_status(&app, &user, &off_a, CommandStatus::Ok).await;
    wait_relay(&app, fd.id, Socket::A, false).await;
    assert!(ccu.relay(FD, Socket::B).unwrap(), "B untouched");
    assert_eq!(
        ccu.relays(FE).unwrap(),
        (false, false),
        "other outlets untouched"
    );

    let legacy = ccu.legacy().expect("legacy CCU").stats();
    assert_eq!(legacy.commands_executed, 3);
    assert!(legacy.readings_posted > 0 && legacy.breaker_posted > 0);
    assert!(
        app.backend().state().ccu("02").is_some_and(|c| c.online),
        "legacy traffic means online"
    );
    ccu.stop().await.unwrap();
}

#[tokio::test]
async fn an_overload_on_a_simulated_socket_raises_the_alert() {
    let app = spawn_app().await;
    // No focus: the background round robin (one outlet per 300 ms) fetches the commands.
    let (user, outlets, ccu) = legacy_site(&app, Duration::from_millis(300)).await;
    let fe = outlet(&outlets, FE);
    let on = send(&app, &user, fe, true, Socket::A).await;
    wait_sim_relay(&ccu, FE, Socket::A, true).await;
    wait_status(&app, &user, &on, CommandStatus::Ok).await;

    ccu.force_overload(FE, Socket::A).unwrap();
    let b = app.backend().clone();
    let alert = wait_for("overload alert", || {
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
    assert_eq!(alert.outlet_id, Some(fe.id));
    assert_eq!(alert.ccu_id.as_deref(), Some("02"));
    assert!(ccu.is_tripped(FE, Socket::A).unwrap());
    ccu.stop().await.unwrap();
}
