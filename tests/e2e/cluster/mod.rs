//! Several instances on one PostgreSQL database: a browser on any instance sees every live
//! event of its user (`backend::fanout`), and behind one Mosquitto with `$share` device
//! traffic is split between the instances with every reading stored once.
//!
//! Needs PostgreSQL (`TEST_DATABASE_URL`): `./test` runs this module in its PostgreSQL pass
//! and skips it (`--skip cluster::`) in the SQLite pass, where several instances are not a
//! supported layout.

use crate::cli::serve_cmd;
use crate::external_mosquitto::{ADMIN, ADMIN_PASSWORD, Mosquitto, use_mosquitto};
use serde_json::json;
use smart_outlet::startup::Application;
use std::collections::HashMap;
use std::net::SocketAddr;
use system_tests::ws::{Ws, next_json, ws_connect};
use system_tests::{
    ApiClient, Device, TestApp, spawn_app, spawn_app_sharing, spawn_app_with, wait_until,
};

mod fanout_input;
mod handover;
mod once;
mod watch;

/// Fails a test that needs PostgreSQL and was given SQLite.
pub(super) fn needs_postgres(first: &TestApp) {
    assert!(
        first.db.is_postgres(),
        "several instances need PostgreSQL: run ./test (its PostgreSQL pass) or set \
         TEST_DATABASE_URL; the SQLite pass skips cluster::"
    );
}

async fn ws_of(http_addr: SocketAddr, cookie: &str) -> Ws {
    ws_connect(http_addr, "/ws", Some(cookie)).await.unwrap()
}

async fn readings_seen(ws: &mut Ws, device: &str, from: i64, to: i64) -> Vec<i64> {
    let mut seen = Vec::new();
    while seen.len() < (to - from) as usize {
        let v = next_json(ws, |v| v["type"] == "reading" && v["device_id"] == device).await;
        let ma = v["current_a"].as_i64().unwrap();
        if (from..to).contains(&ma) {
            seen.push(ma);
        }
    }
    seen.sort_unstable();
    seen
}

#[tokio::test]
async fn a_browser_on_another_instance_sees_every_live_event_of_its_user() {
    let a = spawn_app().await;
    needs_postgres(&a);
    let b = spawn_app_sharing(&a, |_| {}).await;
    let (alice, secret, outlet) = a.seed().await;
    let bob = a.add_user("bob").await;
    let bob_secret = a.add_ccu(&bob, "0B").await;
    a.add_outlet("0B", "FB", "bob's lamp").await;

    // Alice's and Bob's browsers are on instance B; their CCUs publish to instance A.
    let alice_cookie = ApiClient::login_at(b.http_addr, &alice.username, "correct horse battery")
        .await
        .cookie;
    let bob_cookie = ApiClient::login_at(b.http_addr, "bob", "correct horse battery")
        .await
        .cookie;
    let mut alice_ws = ws_of(b.http_addr, &alice_cookie).await;
    let mut bob_ws = ws_of(b.http_addr, &bob_cookie).await;
    let dev = a.device("02", &secret).await;
    let bob_dev = a.device("0B", &bob_secret).await;
    // the socket is subscribed once its first event arrives: presence of its CCU
    next_json(&mut alice_ws, |v| {
        v["type"] == "presence" && v["ccu_id"] == "02"
    })
    .await;
    next_json(&mut bob_ws, |v| {
        v["type"] == "presence" && v["ccu_id"] == "0B"
    })
    .await;

    for ma in 100..150 {
        dev.reading("FE", ma, 0).await;
        bob_dev.reading("FB", ma + 1000, 0).await;
    }
    assert_eq!(
        readings_seen(&mut alice_ws, "FE", 100, 150).await,
        (100..150).collect::<Vec<_>>()
    );
    assert_eq!(
        readings_seen(&mut bob_ws, "FB", 1100, 1150).await,
        (1100..1150).collect::<Vec<_>>()
    );

    // What crosses instances is still per user: Bob's socket never carried Alice's events.
    dev.reading("FE", 4242, 0).await;
    bob_dev.reading("FB", 4343, 0).await;
    loop {
        let v = next_json(&mut bob_ws, |_| true).await;
        assert_eq!(
            v["user_id"], bob.id,
            "only Bob's devices on Bob's socket: {v}"
        );
        if v["type"] == "reading" && v["current_a"] == 4343 {
            break;
        }
    }

    // An alert raised on instance A reaches the browser on B.
    a.backend()
        .set_outlet_threshold(backend::Actor::User(alice.id), outlet.id, 500)
        .await
        .expect("threshold");
    dev.reading("FE", 900, 0).await;
    let alert = next_json(&mut alice_ws, |v| v["type"] == "alert").await;
    assert_eq!(alert["alert"]["outlet_id"], outlet.id, "{alert}");

    let counters = b.backend().metrics();
    assert!(
        counters
            .live_fanout_received
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 100
    );
    assert_eq!(
        a.backend()
            .metrics()
            .live_fanout_lost
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    b.app.stop().await;
}

#[tokio::test]
async fn two_instances_behind_mosquitto_store_every_reading_once_and_show_it_on_both() {
    let m = Mosquitto::start().await;
    let port = m.port;
    // every reading kept (history.interval 0): the count is then exact. With an interval,
    // each instance still keeps its own "last kept" per outlet (issue 16, left).
    let a = spawn_app_with(move |s| {
        use_mosquitto(s, port);
        s.history.interval = std::time::Duration::ZERO;
    })
    .await;
    needs_postgres(&a);
    let b = spawn_app_sharing(&a, |_| {}).await;
    let (alice, secret, outlet) = a.seed().await;
    let cookie_a = ApiClient::login_at(a.http_addr, &alice.username, "correct horse battery")
        .await
        .cookie;
    let api_b = ApiClient::login_at(b.http_addr, &alice.username, "correct horse battery").await;
    let mut ws_a = ws_of(a.http_addr, &cookie_a).await;
    let mut ws_b = ws_of(b.http_addr, &api_b.cookie).await;
    // B learns of the CCU and its outlet from the database (within presence.refresh_interval)
    wait_until("instance B knows the outlet", || async {
        b.backend().registry().outlet(outlet.id).is_some()
    })
    .await;
    let mut dev = Device::connect(a.mqtt_addr, "02", &secret)
        .await
        .expect("CCU connects to Mosquitto");
    next_json(&mut ws_a, |v| {
        v["type"] == "presence" && v["ccu_id"] == "02"
    })
    .await;
    next_json(&mut ws_b, |v| {
        v["type"] == "presence" && v["ccu_id"] == "02"
    })
    .await;

    const N: i64 = 400;
    for ma in 0..N {
        dev.reading("FE", 2000 + ma, 0).await;
    }
    // Both instances took part (Mosquitto's `$share` is round-robin) ...
    let ingested = |app: &Application| {
        app.backend()
            .metrics()
            .ingested_total(backend::metrics::Transport::Mqtt)
    };
    let store = a.store().clone();
    wait_until("every reading stored", || {
        let store = store.clone();
        async move { store.count_readings(outlet.id).await.unwrap() >= N as u64 }
    })
    .await;
    a.backend().flush().await;
    b.backend().flush().await;
    // ... each reading was stored exactly once ...
    assert_eq!(store.count_readings(outlet.id).await.unwrap(), N as u64);
    let (on_a, on_b) = (ingested(&a.app), ingested(&b.app));
    assert!(on_a > 0 && on_b > 0, "split {on_a}/{on_b}");
    // ... and a browser on either instance saw all of them.
    let all: Vec<i64> = (2000..2000 + N).collect();
    assert_eq!(readings_seen(&mut ws_a, "FE", 2000, 2000 + N).await, all);
    assert_eq!(readings_seen(&mut ws_b, "FE", 2000, 2000 + N).await, all);

    // A command asked on B reaches the CCU through the broker; its ack, whichever instance
    // takes it, is seen as `ok` by the browser on A.
    let (status, cmd) = api_b.relay(outlet.id.into(), "a", true).await;
    assert!(status.is_success(), "{status} {cmd}");
    let got = dev.next_command().await;
    assert_eq!(got.id.as_str(), cmd["id"].as_str().unwrap());
    dev.send("ack", json!({"id": got.id.as_str(), "status": "ok"}))
        .await;
    let update = next_json(&mut ws_a, |v| {
        v["type"] == "command" && v["command"]["id"] == cmd["id"] && v["command"]["status"] == "ok"
    })
    .await;
    assert_eq!(update["user_id"], alice.id);
    let counts: HashMap<&str, u64> = [("a", on_a), ("b", on_b)].into();
    eprintln!("readings ingested per instance: {counts:?}");
    drop(m);
    b.app.stop().await;
}

/// The environment of the real binary as one instance behind `m`, on `db`, with the stable
/// name `name`; its writer holds readings for 2 s, so that a kill finds them uncommitted.
pub(super) fn instance_env(m: &Mosquitto, db: &str, name: &str) -> Vec<(&'static str, String)> {
    [
        ("SMART_OUTLET_DATABASE__URL", db),
        ("SMART_OUTLET_MQTT__MODE", "external"),
        ("SMART_OUTLET_MQTT__EXTERNAL__HOST", "127.0.0.1"),
        ("SMART_OUTLET_MQTT__EXTERNAL__PORT", &m.port.to_string()),
        ("SMART_OUTLET_MQTT__EXTERNAL__USERNAME", ADMIN),
        ("SMART_OUTLET_MQTT__EXTERNAL__PASSWORD", ADMIN_PASSWORD),
        (
            "SMART_OUTLET_MQTT__EXTERNAL__PROVISIONING",
            "mosquitto-dynsec",
        ),
        ("SMART_OUTLET_MQTT__EXTERNAL__INSTANCE_ID", name),
        ("SMART_OUTLET_HISTORY__INTERVAL", "0s"),
        ("SMART_OUTLET_HISTORY__FLUSH_INTERVAL", "2s"),
        ("SMART_OUTLET_HISTORY__BATCH_SIZE", "100000"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// `env` as the launch helpers take it.
pub(super) fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The real binary as one instance ([`instance_env`]).
async fn instance_process(
    m: &Mosquitto,
    db: &str,
    data: &std::path::Path,
    name: &str,
) -> tokio::process::Child {
    let env = instance_env(m, db, name);
    let mut c = crate::cli::cmd(data);
    c.env("SMART_OUTLET_DATABASE__URL", db);
    serve_cmd(c, broker::free_local_addr().unwrap(), &env_refs(&env)).await
}

#[tokio::test]
async fn an_instance_killed_mid_ingest_loses_nothing_the_broker_acknowledged() {
    const READINGS: i64 = 3000;
    const BASE: i64 = 1000;
    let m = Mosquitto::start().await;
    let port = m.port;
    let a = spawn_app_with(move |s| {
        use_mosquitto(s, port);
        s.mqtt.external.instance_id = "a".into();
        s.history.interval = std::time::Duration::ZERO;
    })
    .await;
    needs_postgres(&a);
    let (_, secret, outlet) = a.seed().await;
    let data = tempfile::tempdir().unwrap();
    let mut k = instance_process(&m, &a.database_url, data.path(), "k").await;
    // both instances are in the group before the CCU publishes
    let store = a.store().clone();
    let dev = Device::connect(a.mqtt_addr, "02", &secret).await.unwrap();
    let mut probe = 0;
    wait_until("instance k takes a share of the readings", || {
        probe += 1;
        let (dev, store) = (&dev, store.clone());
        async move {
            dev.reading("FE", probe, 0).await;
            let before = store.count_readings(outlet.id).await.unwrap();
            // a reading k took is not committed for 2 s; a's are within 20 ms
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            store.count_readings(outlet.id).await.unwrap() == before && before < probe as u64
        }
    })
    .await;

    // Mosquitto acknowledges every reading to the CCU; half are handed to k.
    for i in 0..READINGS {
        dev.reading("FE", BASE + i, 0).await;
    }
    let values = |store: backend::Store| async move {
        let rows = store
            .readings(outlet.id, 0, i64::MAX, 100_000)
            .await
            .unwrap();
        rows.iter().map(|r| r.current_a).collect::<Vec<i64>>()
    };
    k.start_kill().unwrap();
    k.wait().await.unwrap();
    let at_kill = values(store.clone())
        .await
        .into_iter()
        .filter(|v| *v >= BASE)
        .count();
    assert!(
        (at_kill as i64) < READINGS,
        "everything was committed before the kill ({at_kill}): the test proves nothing"
    );

    // k comes back under its name: the broker delivers what k had not acknowledged.
    let _k = instance_process(&m, &a.database_url, data.path(), "k").await;
    let want: Vec<i64> = (BASE..BASE + READINGS).collect();
    let mut stored = Vec::new();
    let complete = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            stored = values(store.clone()).await;
            stored.retain(|v| *v >= BASE);
            if stored.len() >= want.len() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
    .await;
    stored.sort_unstable();
    let missing = want
        .iter()
        .filter(|v| stored.binary_search(v).is_err())
        .count();
    assert!(
        complete.is_ok() && missing == 0,
        "{missing} of {READINGS} readings missing ({} stored, {at_kill} at the kill)",
        stored.len()
    );
    let mut distinct = stored.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), stored.len(), "a reading was stored twice");
    eprintln!(
        "{READINGS} readings; {at_kill} stored at the kill; all {} after k restarted",
        stored.len()
    );
}
