//! Decisions several instances must make once: a lasting condition raises one alert, and a
//! CCU heard by one instance is not called silent by the one that runs the presence sweep.

use super::{another_instance, needs_postgres};
use backend::domain::AlertKind::OutletThreshold;
use system_tests::{Device, alert_cleared, next_alert, spawn_app, spawn_app_with, wait_until};

/// Alerts of one CCU whose readings reach two instances: each condition raised once, and
/// cleared once, whichever instance sees which reading.
#[tokio::test]
async fn a_lasting_condition_seen_by_two_instances_raises_one_alert() {
    let a = spawn_app().await;
    needs_postgres(&a);
    let b = another_instance(&a).await;
    let (alice, secret, outlet) = a.seed().await;
    a.backend()
        .set_outlet_threshold(backend::Actor::User(alice.id), outlet.id, 500)
        .await
        .unwrap();
    wait_until("instance B knows the threshold", || async {
        b.app
            .backend()
            .registry()
            .outlet(outlet.id)
            .is_some_and(|o| o.threshold_ma == 500)
    })
    .await;
    // The same CCU on both instances' brokers: its readings reach both, as `$share` does.
    let on_a = a.device("02", &secret).await;
    let on_b = Device::connect(b.app.mqtt_addr(), "02", &secret)
        .await
        .unwrap();
    let mut live = a.backend().subscribe();
    let store = a.store().clone();
    let alerts = || {
        let store = store.clone();
        async move { store.list_alerts(Some(alice.id), false, 100).await.unwrap() }
    };

    // Over the threshold on A, then on B: one alert.
    on_a.reading("FE", 900, 0).await;
    let first = next_alert(&mut live, "the first alert", OutletThreshold).await;
    on_b.reading("FE", 950, 0).await;
    on_b.reading("FE", 960, 0).await;
    // Below the clear margin on B: cleared once (B learned of A's alert).
    on_b.reading("FE", 100, 0).await;
    alert_cleared(&mut live, "the first alert cleared", OutletThreshold).await;
    // Over again on A: A learned it was cleared, and raises a new one.
    on_a.reading("FE", 990, 0).await;
    let second = next_alert(&mut live, "the second alert", OutletThreshold).await;
    assert_ne!(second.id, first.id);
    on_b.reading("FE", 995, 0).await;
    a.backend().flush().await;
    b.app.backend().flush().await;

    let all = alerts().await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all.iter().filter(|x| x.active()).count(), 1, "{all:?}");
    let (events, _) = store
        .list_events(
            &backend::store::EventFilter {
                user_id: Some(alice.id),
                ..Default::default()
            },
            0,
            100,
        )
        .await
        .unwrap();
    let count = |kind: &str| events.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count("alert_raised"), 2, "{events:?}");
    assert_eq!(count("alert_cleared"), 1, "{events:?}");
    b.app.stop().await;
}

/// A CCU heard only by the instance that does not run the presence sweep: never marked
/// offline while it talks, marked offline once when it falls silent, and back online once
/// when it talks again.
#[tokio::test]
async fn presence_is_decided_once_from_what_any_instance_heard() {
    let a = spawn_app_with(|s| s.presence.stale_after = std::time::Duration::from_secs(1)).await;
    needs_postgres(&a);
    let b = another_instance(&a).await;
    assert!(a.backend().runs_timers() && !b.app.backend().runs_timers());
    let (alice, secret, _) = a.seed().await;
    let store = a.store().clone();
    let events = |kind: &'static str| {
        let store = store.clone();
        async move {
            let filter = backend::store::EventFilter {
                user_id: Some(alice.id),
                kind: Some(kind.into()),
                ..Default::default()
            };
            store.list_events(&filter, 0, 100).await.unwrap().0.len()
        }
    };
    let dev = Device::connect(b.app.mqtt_addr(), "02", &secret)
        .await
        .unwrap();
    wait_until("online", || async { events("ccu_online").await == 1 }).await;

    // Three stale periods of talking to B only: A's sweep sees B's writes, not silence.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut ma = 100;
    while tokio::time::Instant::now() < until {
        dev.reading("FE", ma, 0).await;
        ma += 1;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        events("ccu_offline").await,
        0,
        "marked offline while it talked"
    );

    // Silent: offline once. Talking again (to B, which learned of the offline): online once.
    wait_until("offline", || async { events("ccu_offline").await == 1 }).await;
    // A real CCU keeps reporting: a reading that reaches B before B learned of the offline
    // (the fan-out's few ms) is followed by one that B sees as a return.
    wait_until("back online", || async {
        dev.reading("FE", 5, 0).await;
        events("ccu_online").await == 2
    })
    .await;
    a.backend().flush().await;
    assert_eq!(events("ccu_offline").await, 1);
    assert_eq!(events("ccu_online").await, 2);
    b.app.stop().await;
}
