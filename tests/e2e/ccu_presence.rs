//! A CCU that stays connected but silent goes offline after `presence.stale_after` (no will
//! involved), with its alert; a command then waits in the queue, and the CCU's next message
//! brings it back online, clears the alert and delivers the command.

use backend::commands::{Actor, NewCommand};
use backend::domain::{AlertKind, CommandStatus, Socket, Source};
use backend::live::LiveEvent;
use serde_json::json;
use std::time::Duration;
use system_tests::{spawn_app_with, wait_for_event};

/// Longer than the second after login in which a CCU counts as seen anyway
/// (`backend::auth::LOGIN_SETTLE`), so that the silence starts after it.
const STALE: Duration = Duration::from_millis(1500);

/// The next change of the CCU-offline alert of `02`: whether it is active.
async fn ccu_offline_alert(rx: &mut tokio::sync::broadcast::Receiver<LiveEvent>) -> bool {
    wait_for_event(rx, "a CCU offline alert change", |e| match e {
        LiveEvent::Alert { alert, .. }
            if alert.kind == AlertKind::CcuOffline && alert.ccu_id.as_deref() == Some("02") =>
        {
            Some(alert.active())
        }
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_silent_ccu_goes_offline_then_its_next_message_brings_it_and_its_commands_back() {
    let app = spawn_app_with(|s| s.presence.stale_after = STALE).await;
    let (_u, secret, outlet) = app.seed().await;
    let mut live = app.backend().subscribe();
    let mut dev = app.device("02", &secret).await;
    app.wait_online("02").await;
    let online_since = std::time::Instant::now();

    // Connected (its keep-alive pings go on), but it publishes nothing.
    assert!(ccu_offline_alert(&mut live).await, "raised");
    assert!(online_since.elapsed() >= STALE);
    assert!(!app.backend().state().ccu("02").unwrap().online);

    let cmd = app
        .backend()
        .send_command(
            Actor::System(Source::Cli),
            NewCommand::relay(outlet.id, Socket::B, true),
        )
        .await
        .unwrap();
    assert_eq!(cmd.status, CommandStatus::Queued, "held for an offline CCU");

    dev.send("breaker", json!({"current_ma": 1000})).await;
    assert!(!ccu_offline_alert(&mut live).await, "cleared");
    let got = dev.next_command().await;
    assert_eq!(got.id.as_str(), cmd.id);
    assert!(app.backend().state().ccu("02").unwrap().online);
}
