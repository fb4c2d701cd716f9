//! Simulated CCUs (the real ccu-core on simulated PICs) against the real server over MQTT:
//! relay commands reach the simulated relays and their acks come back, an overload on a
//! simulated socket raises the alert, and a CCU cut off from the server delivers what it
//! buffered with the original timestamps.

use backend::domain::{AlertKind, OutletRecord, Socket, UserRecord};
use ccu_sim::{BrokerAddr, DeviceId, Installation, SimCcuConfig, device_ids};
use settings::Settings;
use system_tests::relays::{relay_state, switch_relay};
use system_tests::{TestApp, spawn_app_with, wait_for, wait_until};

/// A user with `n_ccus` registered CCUs of `n_outlets` outlets each, simulated and connected.
struct Site {
    app: TestApp,
    user: UserRecord,
    outlets: Vec<(String, DeviceId, OutletRecord)>,
    sim: Installation,
}

async fn site(n_ccus: usize, n_outlets: usize, tweak: impl FnOnce(&mut Settings)) -> Site {
    let app = spawn_app_with(tweak).await;
    let user = app.add_user("alice").await;
    let mut configs = Vec::new();
    let mut outlets = Vec::new();
    for i in 0..n_ccus {
        let ccu = format!("{:02}", 10 + i);
        let secret = app.add_ccu(&user, &ccu).await;
        let ids = device_ids(n_outlets);
        for (j, id) in ids.iter().enumerate() {
            let o = app
                .add_outlet(&ccu, &id.to_string(), &format!("Outlet {ccu}-{j}"))
                .await;
            outlets.push((ccu.clone(), *id, o));
        }
        configs.push(
            SimCcuConfig::new(&ccu, secret, BrokerAddr::from(app.mqtt_addr))
                .with_device_ids(ids)
                .fast(),
        );
    }
    let sim = Installation::start(configs).await.expect("simulated CCUs");
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        sim.wait_ready(n_outlets),
    )
    .await
    .expect("every simulated CCU connects and learns its outlets")
    .expect("simulated CCUs run");
    Site {
        app,
        user,
        outlets,
        sim,
    }
}

fn sim_socket(socket: Socket) -> ccu_sim::Socket {
    match socket {
        Socket::A => ccu_sim::Socket::A,
        Socket::B => ccu_sim::Socket::B,
    }
}

impl Site {
    /// Switches a relay as the site's user and waits for the positive ack.
    async fn switch(&self, outlet_id: i32, socket: Socket, on: bool) -> String {
        switch_relay(&self.app, self.user.id, outlet_id, socket, on).await
    }

    fn relay_state(&self, outlet_id: i32, socket: Socket) -> Option<bool> {
        relay_state(&self.app, outlet_id, socket)
    }
}

#[tokio::test]
async fn three_simulated_ccus_switch_relays_through_the_server_and_confirm_them() {
    let site = site(3, 4, |_| {}).await;
    assert_eq!(site.outlets.len(), 12);
    // Every outlet reports readings through its CCU: the server hears all twelve.
    let b = site.app.backend().clone();
    let ids: Vec<i32> = site.outlets.iter().map(|(_, _, o)| o.id).collect();
    wait_until("a reading from every simulated outlet", || {
        let b = b.clone();
        let ids = ids.clone();
        async move {
            ids.iter()
                .all(|id| b.state().outlet(*id).is_some_and(|s| s.last_seen.is_some()))
        }
    })
    .await;

    // Switch one socket on each outlet, alternating A and B.
    for (k, (ccu, device, outlet)) in site.outlets.iter().enumerate() {
        let socket = if k % 2 == 0 { Socket::A } else { Socket::B };
        assert_eq!(site.relay_state(outlet.id, socket), None, "unknown before");
        site.switch(outlet.id, socket, true).await;
        let sim = site.sim.ccu(ccu).unwrap();
        assert!(
            sim.relay(*device, sim_socket(socket)).unwrap(),
            "{ccu}/{device}: the simulated PIC switched"
        );
        assert_eq!(
            site.relay_state(outlet.id, socket),
            Some(true),
            "acked state"
        );
    }
    // And off again on the last CCU: the simulated relays open.
    for (ccu, device, outlet) in site.outlets.iter().filter(|(c, _, _)| c == "12") {
        for socket in [Socket::A, Socket::B] {
            site.switch(outlet.id, socket, false).await;
            let sim = site.sim.ccu(ccu).unwrap();
            assert!(!sim.relay(*device, sim_socket(socket)).unwrap());
            assert_eq!(site.relay_state(outlet.id, socket), Some(false));
        }
    }
    site.sim.stop().await;
}

#[tokio::test]
async fn an_overload_on_a_simulated_socket_raises_the_alert() {
    let site = site(1, 2, |_| {}).await;
    let (ccu, device, outlet) = site.outlets[0].clone();
    site.switch(outlet.id, Socket::A, true).await;
    let sim = site.sim.ccu(&ccu).unwrap();
    sim.set_load(device, ccu_sim::Socket::A, 800).unwrap();
    sim.force_overload(device, ccu_sim::Socket::A).unwrap();

    let b = site.app.backend().clone();
    let user = site.user.id;
    let alert = wait_for("an overload alert", || {
        let b = b.clone();
        async move {
            b.list_alerts(backend::Actor::User(user), true, 100)
                .await
                .ok()?
                .into_iter()
                .find(|a| a.kind == AlertKind::Overload)
        }
    })
    .await;
    assert_eq!(alert.outlet_id, Some(outlet.id));
    assert!(sim.is_tripped(device, ccu_sim::Socket::A).unwrap());
    assert!(
        site.app
            .backend()
            .state()
            .outlet(outlet.id)
            .unwrap()
            .is_overload
    );
    site.sim.stop().await;
}

#[tokio::test]
async fn a_ccu_cut_off_from_the_server_delivers_its_buffered_readings_with_their_timestamps() {
    let site = site(1, 2, |s| {
        s.history.interval = std::time::Duration::ZERO;
    })
    .await;
    let ccu = site.outlets[0].0.clone();
    let outlets: Vec<i32> = site.outlets.iter().map(|(_, _, o)| o.id).collect();
    let sim = site.sim.ccu(&ccu).unwrap();
    let store = site.app.store().clone();
    // Every stored reading of the CCU's outlets with `from <= ts < to`, per outlet, oldest first.
    let stored = |from: i64, to: i64| {
        let (store, outlets) = (store.clone(), outlets.clone());
        async move {
            let mut per_outlet = Vec::new();
            for id in outlets {
                per_outlet.push(store.readings(id, from, to, 10_000).await.unwrap());
            }
            per_outlet
        }
    };
    let total = |per_outlet: &[Vec<backend::domain::ReadingPoint>]| -> usize {
        per_outlet.iter().map(Vec::len).sum()
    };
    wait_until("live readings are stored", || async {
        total(&stored(0, i64::MAX).await) > 0
    })
    .await;

    // Live readings are stamped by the server when they arrive, buffered ones by the CCU when
    // they were taken: every reading stamped inside [cut_at, restore_at) was buffered.
    let cut_at = backend::clock::now_ms();
    sim.cut_network().await.unwrap();
    let b = site.app.backend().clone();
    let c = ccu.clone();
    wait_until("the server sees the CCU offline", || {
        let b = b.clone();
        let c = c.clone();
        async move { b.state().ccu(&c).is_some_and(|s| !s.online) }
    })
    .await;
    let offline_at = backend::clock::now_ms();
    let snap = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        sim.wait_until(|s| s.buffered_readings >= 8),
    )
    .await
    .expect("readings buffered while offline")
    .unwrap();
    assert!(!snap.connected);
    let buffered = snap.buffered_readings;
    // Exclusive bound: the last one buffered may carry this very millisecond.
    let restore_at = backend::clock::now_ms() + 1;
    // (Stamps, not counts: a reading sent just before the cut may still be on its way.)
    assert_eq!(
        total(&stored(offline_at, i64::MAX).await),
        0,
        "nothing arrives while the CCU is cut off"
    );

    sim.restore_network().await.unwrap();
    let drained = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        sim.wait_until(|s| s.connected && s.buffered_readings == 0),
    )
    .await
    .expect("the CCU reconnects and sends its buffer")
    .unwrap();
    assert!(drained.network_up);
    // A live reading stored after the buffer went out: the CCU sent it after every batch, on
    // the same topic, so the server has handled each buffered reading (and any repeat) before.
    let drained_at = backend::clock::now_ms();
    wait_until("a live reading after the buffered ones", || async {
        total(&stored(drained_at, i64::MAX).await) > 0
    })
    .await;
    let during_outage = stored(cut_at, restore_at).await;
    assert!(
        total(&during_outage) >= buffered,
        "all {buffered} buffered readings stored, stamped inside the outage ({cut_at}..{restore_at}): {during_outage:?}"
    );
    for rows in &during_outage {
        assert!(
            rows.windows(2).all(|w| w[0].ts < w[1].ts),
            "each buffered reading stored once: {rows:?}"
        );
    }
    site.sim.stop().await;
}
