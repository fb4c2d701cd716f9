//! `serve --demo`: the demo account can log in and its simulated CCU is live at once, its
//! readings adding up to energy.

use backend::domain::{OutletRecord, UserRecord};
use backend::{Actor, admin};
use smart_outlet::demo;
use system_tests::{TestApp, spawn_app, wait_until};

#[tokio::test]
async fn the_demo_account_sees_a_live_simulated_ccu_with_confirmed_relays() {
    let app = spawn_app().await;
    let d = demo::start(app.backend(), app.mqtt_addr, app.http_addr)
        .await
        .unwrap();
    let user = admin::verify_user(app.store(), demo::DEMO_USER, demo::DEMO_PASSWORD)
        .await
        .expect("the demo login works");
    let outlets = outlets_of(&app, &user, demo::DEMO_CCU).await;
    assert_eq!(outlets.len(), 4);
    let b = app.backend().clone();
    let ids: Vec<i32> = outlets.iter().map(|o| o.id).collect();
    wait_until(
        "every demo socket confirmed on with current flowing",
        || {
            let b = b.clone();
            let ids = ids.clone();
            async move {
                b.state()
                    .ccu(demo::DEMO_CCU)
                    .is_some_and(|c| c.online && c.breaker_ma.is_some())
                    && ids.iter().all(|id| {
                        b.state().outlet(*id).is_some_and(|s| {
                            s.relay_a == Some(true)
                                && s.relay_b == Some(true)
                                && s.current_a.unwrap_or(0) > 0
                        })
                    })
            }
        },
    )
    .await;
    // The automatic cut-off is armed, the network outlet protected.
    let ccu = b
        .get_ccu(Actor::User(user.id), demo::DEMO_CCU)
        .await
        .unwrap();
    assert_eq!(ccu.auto_cutoff_pct, Some(demo::DEMO_CUTOFF_PCT));
    assert!(
        outlets
            .iter()
            .any(|o| o.name == "Network" && o.cutoff_protected)
    );
    let heater = outlets.iter().find(|o| o.name == "Heater").unwrap().id;
    let night = b
        .outlet_schedules(Actor::User(user.id), heater)
        .await
        .unwrap();
    assert_eq!(
        (night.len(), night[0].minute_of_day, night[0].turn_on),
        (1, 23 * 60, false)
    );
    // Its readings are energy on the outlet pages.
    let (owner, desk) = (Actor::User(user.id), ids[0]);
    wait_until("energy of the demo desk", || {
        let b = b.clone();
        async move {
            let now = backend::clock::now_ms();
            let e = b.outlet_energy(owner, desk, now - 3_600_000, now + 1).await;
            e.is_ok_and(|e| e.total_wh > 0.0 && e.hours.iter().all(|h| h.readings > 0))
        }
    })
    .await;
    // The old-firmware CCU: its relay commands reach it through the focus, one outlet per
    // 2 s cycle, and its readings confirm them; its outlets are shown as polled.
    let legacy = outlets_of(&app, &user, demo::DEMO_LEGACY_CCU).await;
    assert_eq!(legacy.len(), 3);
    assert!(
        legacy
            .iter()
            .all(|o| o.polled && o.silent_after_ms == 156_000)
    );
    let ids: Vec<i32> = legacy.iter().map(|o| o.id).collect();
    wait_until("every old-firmware demo socket confirmed on", || {
        let b = b.clone();
        let ids = ids.clone();
        async move {
            ids.iter().all(|id| {
                b.state().outlet(*id).is_some_and(|s| {
                    s.relay_a == Some(true)
                        && s.relay_b == Some(true)
                        && s.current_a.unwrap_or(0) > 0
                })
            })
        }
    })
    .await;
    d.stop().await;
    wait_until("the demo CCU said goodbye", || {
        let b = b.clone();
        async move { b.state().ccu(demo::DEMO_CCU).is_some_and(|c| !c.online) }
    })
    .await;

    // A second start (a restart of `serve --demo`) reuses the account and outlets.
    let again = demo::start(app.backend(), app.mqtt_addr, app.http_addr)
        .await
        .unwrap();
    let outlets = outlets_of(&app, &user, demo::DEMO_CCU).await;
    assert_eq!(outlets.len(), 4);
    let night = b
        .outlet_schedules(Actor::User(user.id), heater)
        .await
        .unwrap();
    assert_eq!(night.len(), 1, "a restart adds no second schedule");
    wait_until("the demo CCU is back online with its new secret", || {
        let b = b.clone();
        async move { b.state().ccu(demo::DEMO_CCU).is_some_and(|c| c.online) }
    })
    .await;
    again.stop().await;
}

/// The demo user's outlets of one CCU.
async fn outlets_of(app: &TestApp, user: &UserRecord, ccu: &str) -> Vec<OutletRecord> {
    let outlets = app.backend().list_outlets(Actor::User(user.id), Some(ccu));
    outlets.await.unwrap()
}
