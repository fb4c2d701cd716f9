//! Decisions several instances must make once: a lasting condition raises one alert, a CCU
//! heard by one instance is not called silent by the one that runs the presence sweep, and
//! an outlet keeps one history row per interval whichever instance receives its readings.

use super::needs_postgres;
use backend::domain::AlertKind::OutletThreshold;
use backend::metrics::Transport;
use std::time::Duration;
use system_tests::{
    Device, alert_cleared, next_alert, spawn_app, spawn_app_sharing, spawn_app_with, wait_until,
};

/// The events of `user`, newest first (at most 100).
async fn events_of(store: &backend::Store, user: i32) -> Vec<backend::domain::EventRecord> {
    let only_user = backend::store::EventFilter {
        user_id: Some(user),
        ..Default::default()
    };
    store.list_events(&only_user, 0, 100).await.unwrap().0
}

/// Alerts of one CCU whose readings reach two instances: each condition raised once, and
/// cleared once, whichever instance sees which reading.
#[tokio::test]
async fn a_lasting_condition_seen_by_two_instances_raises_one_alert() {
    let a = spawn_app().await;
    needs_postgres(&a);
    let b = spawn_app_sharing(&a, |_| {}).await;
    let (alice, secret, outlet) = a.seed().await;
    a.backend()
        .set_outlet_threshold(backend::Actor::User(alice.id), outlet.id, 500)
        .await
        .unwrap();
    wait_until("instance B knows the threshold", || async {
        b.backend()
            .registry()
            .outlet(outlet.id)
            .is_some_and(|o| o.threshold_ma == 500)
    })
    .await;
    // The same CCU on both instances' brokers: its readings reach both, as `$share` does.
    let on_a = a.device("02", &secret).await;
    let on_b = Device::connect(b.mqtt_addr, "02", &secret).await.unwrap();
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
    b.backend().flush().await;

    let all = alerts().await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all.iter().filter(|x| x.active()).count(), 1, "{all:?}");
    let events = events_of(&store, alice.id).await;
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
    let b = spawn_app_sharing(&a, |_| {}).await;
    assert!(a.backend().runs_timers() && !b.backend().runs_timers());
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
    let dev = Device::connect(b.mqtt_addr, "02", &secret).await.unwrap();
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

/// One outlet's readings, every 100 ms for four seconds, alternately received by two
/// instances that each keep one per `history.interval` (1 s) of what they receive: four rows,
/// one per interval, not eight. A reading delivered a second time is not stored again.
#[tokio::test]
async fn the_history_interval_is_kept_once_whichever_instance_receives_the_readings() {
    let a = spawn_app_with(|s| s.history.interval = Duration::from_secs(1)).await;
    needs_postgres(&a);
    let b = spawn_app_sharing(&a, |_| {}).await;
    let (_alice, secret, outlet) = a.seed().await;
    wait_until("instance B knows the outlet", || async {
        b.backend().registry().outlet(outlet.id).is_some()
    })
    .await;
    let on_a = a.device("02", &secret).await;
    let on_b = Device::connect(b.mqtt_addr, "02", &secret).await.unwrap();
    // Whole seconds, ten seconds ago (inside the accepted window): the intervals are
    // [start, start + 1 s), ... and each instance receives two readings in each.
    let start = (backend::clock::now_ms() / 1000 - 10) * 1000;
    let reading = |i: i64| serde_json::json!({"device_id": "FE", "current_a": 1000 + i, "current_b": 0, "ts": start + i * 100});
    for i in 0..40 {
        let via = if i % 2 == 0 { &on_a } else { &on_b };
        via.send("sensor", reading(i)).await;
    }
    // The first reading once more, through the other instance (a redelivery).
    on_b.send("sensor", reading(0)).await;
    let received = |app: &backend::Backend| app.metrics().ingested_total(Transport::Mqtt);
    wait_until("both instances ingested their readings", || async {
        received(a.backend()) == 20 && received(b.backend()) == 21
    })
    .await;
    a.backend().flush().await;
    b.backend().flush().await;

    let rows = a
        .store()
        .readings(outlet.id, start, start + 10_000, 100)
        .await
        .unwrap();
    let slots: Vec<i64> = rows.iter().map(|r| (r.ts - start) / 1000).collect();
    assert_eq!(slots, [0, 1, 2, 3], "one row per interval: {rows:?}");
    let copies = |app: &backend::Backend| app.metrics().snapshot().history_duplicates;
    assert_eq!(
        copies(a.backend()) + copies(b.backend()),
        5,
        "each instance kept one row per interval, and the redelivered reading"
    );
    b.app.stop().await;
}

/// One outlet's relay reported alternately through two instances: each change is recorded
/// once (one `relay_changed` event), whichever instance saw it first and however stale the
/// other's view was.
#[tokio::test]
async fn a_relay_change_seen_by_two_instances_is_recorded_once() {
    let a = spawn_app().await;
    needs_postgres(&a);
    let b = spawn_app_sharing(&a, |_| {}).await;
    let (alice, secret, outlet) = a.seed().await;
    wait_until("instance B knows the outlet", || async {
        b.backend().registry().outlet(outlet.id).is_some()
    })
    .await;
    let on_a = a.device("02", &secret).await;
    let on_b = Device::connect(b.mqtt_addr, "02", &secret).await.unwrap();
    let received = |app: &backend::Backend| app.metrics().ingested_total(Transport::Mqtt);
    let mut sent = [0u64; 2];
    // (instance, relay A): changes OFF → ON → OFF, every state reported by both instances
    for (via, relay) in [
        (0, false),
        (1, false),
        (0, true),
        (1, true),
        (1, true),
        (0, false),
        (1, false),
    ] {
        let (dev, app) = if via == 0 {
            (&on_a, a.backend())
        } else {
            (&on_b, b.backend())
        };
        dev.send(
            "sensor",
            serde_json::json!({"device_id": "FE", "current_a": 100, "current_b": 0, "relay_a": relay}),
        )
        .await;
        sent[via] += 1;
        let want = sent[via];
        wait_until("the reading ingested", || async { received(app) == want }).await;
    }
    let events = events_of(a.store(), alice.id).await;
    let changes: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "relay_changed")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(changes.len(), 3, "{changes:?}");
    let stored = a.store().get_outlet(outlet.id).await.unwrap().unwrap();
    assert_eq!(stored.relay_a, Some(false));
    b.app.stop().await;
}
