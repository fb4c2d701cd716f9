//! Alerts are raised once per condition, cleared with hysteresis, and logged as events.

use backend::Actor;
use backend::domain::{AlertKind, AlertRecord};
use backend::live::LiveEvent;
use backend::store::EventFilter;
use serde_json::json;
use system_tests::{alert_cleared, next_alert, spawn_app, wait_for_event};

/// A user's alerts of one kind, active or not.
async fn alerts_of(app: &system_tests::TestApp, user: i32, kind: AlertKind) -> Vec<AlertRecord> {
    let all = app.backend().list_alerts(Actor::User(user), false, 100);
    let all = all.await.unwrap();
    all.into_iter().filter(|a| a.kind == kind).collect()
}

async fn alert_events(app: &system_tests::TestApp, kind: &str) -> u64 {
    let f = EventFilter {
        kind: Some(kind.to_string()),
        ..Default::default()
    };
    app.store().list_events(&f, 0, 100).await.unwrap().1
}

#[tokio::test]
async fn ten_overload_readings_raise_one_alert_and_normal_readings_clear_it() {
    let app = spawn_app().await;
    let (user, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    let mut live = app.backend().subscribe();

    for _ in 0..10 {
        dev.send(
            "sensor",
            json!({"device_id":"FE","current_a":65535,"current_b":200}),
        )
        .await;
    }
    // Wait until all ten were processed (the tenth reading reaches the live stream).
    let mut n = 0;
    wait_for_event(&mut live, "ten readings", |e| match e {
        LiveEvent::Reading {
            is_overload: true, ..
        } => {
            n += 1;
            (n == 10).then_some(())
        }
        _ => None,
    })
    .await;
    let overloads = alerts_of(&app, user.id, AlertKind::Overload).await;
    assert_eq!(overloads.len(), 1, "exactly one alert: {overloads:?}");
    assert!(overloads[0].active());
    assert_eq!(overloads[0].outlet_id, Some(outlet.id));
    assert!(
        overloads[0].message.contains("OVERLOAD"),
        "{}",
        overloads[0].message
    );
    assert_eq!(alert_events(&app, "alert_raised").await, 1);

    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1200,"current_b":200}),
    )
    .await;
    alert_cleared(&mut live, "alert cleared", AlertKind::Overload).await;
    let active = app
        .backend()
        .list_alerts(backend::Actor::User(user.id), true, 100)
        .await
        .unwrap();
    assert!(active.iter().all(|a| a.kind != AlertKind::Overload));
    assert_eq!(alert_events(&app, "alert_cleared").await, 1);

    let ack = app
        .backend()
        .acknowledge_alert(backend::Actor::User(user.id), overloads[0].id)
        .await
        .unwrap();
    assert!(ack.acknowledged_at.is_some());
    assert_eq!(alert_events(&app, "alert_acknowledged").await, 1);
}

#[tokio::test]
async fn outlet_threshold_alert_has_hysteresis() {
    let app = spawn_app().await;
    let (user, secret, outlet) = app.seed().await;
    app.backend()
        .set_outlet_threshold(backend::Actor::User(user.id), outlet.id, 2000)
        .await
        .unwrap();
    let dev = app.device("02", &secret).await;
    let mut live = app.backend().subscribe();
    let send = |a: i64| {
        dev.send(
            "sensor",
            json!({"device_id":"FE","current_a":a,"current_b":0}),
        )
    };

    // Above: raise. Slightly below the threshold but above 90 %: stays. Below 90 %: clears.
    for a in [2500, 2600, 1900, 2100, 1700] {
        send(a).await;
        wait_for_event(&mut live, "reading", |e| match e {
            LiveEvent::Reading { current_a, .. } if *current_a == a => Some(()),
            _ => None,
        })
        .await;
    }
    let th = alerts_of(&app, user.id, AlertKind::OutletThreshold).await;
    assert_eq!(th.len(), 1, "{th:?}");
    assert!(!th[0].active(), "1700 < 1800 clears it");
    assert_eq!(th[0].threshold, Some(2000));
}

#[tokio::test]
async fn breaker_threshold_alert_per_ccu() {
    let app = spawn_app().await;
    let (user, secret, _o) = app.seed().await;
    app.backend()
        .set_breaker_threshold(backend::Actor::User(user.id), "02", 10_000)
        .await
        .unwrap();
    let dev = app.device("02", &secret).await;
    let mut live = app.backend().subscribe();
    dev.send("breaker", json!({"current_ma": 12000})).await;
    let alert = next_alert(&mut live, "breaker alert", AlertKind::BreakerThreshold).await;
    assert!(alert.active());
    assert_eq!(alert.ccu_id.as_deref(), Some("02"));
    dev.send("breaker", json!({"current_ma": 5000})).await;
    alert_cleared(
        &mut live,
        "breaker alert cleared",
        AlertKind::BreakerThreshold,
    )
    .await;
}

#[tokio::test]
async fn ccu_will_raises_offline_alert_and_reconnect_clears_it() {
    let app = spawn_app().await;
    let (user, secret, _o) = app.seed().await;
    let dev = app.device("02", &secret).await;
    app.wait_online("02").await;
    let mut live = app.backend().subscribe();
    dev.kill();
    let alert = next_alert(
        &mut live,
        "offline alert from the will",
        AlertKind::CcuOffline,
    )
    .await;
    assert!(alert.active());
    assert!(!app.backend().state().ccu("02").unwrap().online);
    let _dev = app.device("02", &secret).await;
    alert_cleared(&mut live, "offline alert cleared", AlertKind::CcuOffline).await;
    assert_eq!(alert_events(&app, "ccu_offline").await, 1);
    assert_eq!(
        alerts_of(&app, user.id, AlertKind::CcuOffline).await.len(),
        1
    );
}
