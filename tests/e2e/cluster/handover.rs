//! A killed instance's broker session is adopted (`backend::adopt`): behind one Mosquitto,
//! instance A (the real binary, `instance_id = "a"`) is killed with `kill -9` and the
//! in-process instance B, holder of the `timers` lease, claims A's expired `session:a` lease,
//! drains what the broker kept for A, and stores every reading the CCU was told is safe
//! without A ever coming back; and an A that comes back while B drains takes its session back
//! with nothing lost.
//!
//! Readings carry distinct `ts` (one second apart, unix ms) so that each is identified in the
//! database whatever its current; a copy of one is counted apart (a publish committed but not
//! yet acknowledged is legitimately delivered again).

use super::{env_refs, instance_env, needs_postgres};
use crate::cli::{Logged, serve_logged};
use crate::external_mosquitto::{Mosquitto, use_mosquitto};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use system_tests::{Device, TestApp, http_get, spawn_app_with, wait_until};

/// `cluster.lease_ttl` of both instances: how long A may be silent before B adopts.
const TTL: Duration = Duration::from_secs(1);
/// What the hand-over may take beyond `TTL` (claim round, drain, commits; CI on two cores).
const MARGIN: Duration = Duration::from_secs(15);

/// Instance B: in-process, first, so it holds the `timers` lease.
async fn instance_b(m: &Mosquitto, adopt: bool) -> TestApp {
    let port = m.port;
    let b = spawn_app_with(move |s| {
        use_mosquitto(s, port);
        s.mqtt.external.instance_id = "b".into();
        s.history.interval = Duration::ZERO;
        s.cluster.lease_ttl = TTL;
        s.cluster.adopt_sessions = adopt;
    })
    .await;
    needs_postgres(&b);
    b
}

/// Instance A: the real binary behind `m` on `db`; its writer holds readings for 2 s, so that
/// a kill finds some received and not acknowledged.
async fn instance_a(m: &Mosquitto, db: &str, data: &std::path::Path) -> Logged {
    let mut env = instance_env(m, db, "a");
    env.push((
        "SMART_OUTLET_CLUSTER__LEASE_TTL",
        format!("{}ms", TTL.as_millis()),
    ));
    let mut c = crate::cli::cmd(data);
    c.env("SMART_OUTLET_DATABASE__URL", db);
    serve_logged(c, broker::free_local_addr().unwrap(), &env_refs(&env)).await
}

/// Readings instance A accepted so far (its `/metrics`).
async fn ingested_by(a: &Logged) -> u64 {
    let addr = a.http.trim_start_matches("http://").parse().unwrap();
    let body = http_get(addr, "/metrics").await;
    body.lines()
        .find_map(|l| l.strip_prefix("smart_outlet_readings_ingested_total{transport=\"mqtt\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// A reading of outlet FE measured at `ts`.
async fn reading_at(dev: &Device, ts: i64, ma: i64) {
    let r = serde_json::json!({"device_id": "FE", "current_a": ma, "current_b": 0, "ts": ts});
    dev.send("sensor", r).await;
}

/// Publishes readings at `ts` of `first + i * 1000` until one is taken by A (round-robin in
/// the `$share` group: A is subscribed). Returns the next free `ts`.
async fn until_a_takes_a_share(dev: &Device, a: &Logged, first: i64) -> i64 {
    let mut ts = first;
    wait_until("instance A takes a share of the readings", || {
        ts += 1000;
        let at = ts;
        async move {
            reading_at(dev, at, 500).await;
            ingested_by(a).await > 0
        }
    })
    .await;
    ts + 1000
}

/// How many times each `ts` in `[from, to)` is stored for the outlet.
async fn stored(store: &backend::Store, outlet: i32, from: i64, to: i64) -> BTreeMap<i64, u32> {
    let rows = store.readings(outlet, from, to, 1_000_000).await.unwrap();
    let mut n = BTreeMap::new();
    for r in rows {
        *n.entry(r.ts).or_insert(0) += 1;
    }
    n
}

/// Polls until every `ts` of `want` is stored, or `deadline`; the `ts` missing at the end.
async fn missing_at(
    store: &backend::Store,
    outlet: i32,
    want: &[i64],
    deadline: Instant,
) -> Vec<i64> {
    let (from, to) = (want[0], want[want.len() - 1] + 1);
    loop {
        let have = stored(store, outlet, from, to).await;
        let missing: Vec<i64> = want
            .iter()
            .copied()
            .filter(|t| !have.contains_key(t))
            .collect();
        if missing.is_empty() || Instant::now() >= deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Both instances in the group behind one Mosquitto, a CCU, and the times of its next `n`
/// readings (one second apart, from where A took its first share).
struct Pair {
    m: Mosquitto,
    b: TestApp,
    a: Logged,
    data: tempfile::TempDir,
    dev: Device,
    outlet: backend::domain::OutletRecord,
    want: Vec<i64>,
}

async fn pair(n: usize) -> Pair {
    let m = Mosquitto::start().await;
    let b = instance_b(&m, true).await;
    let (_, secret, outlet) = b.seed().await;
    let data = tempfile::tempdir().unwrap();
    let a = instance_a(&m, &b.database_url, data.path()).await;
    let dev = Device::connect(b.mqtt_addr, "02", &secret).await.unwrap();
    let t0 = backend::clock::now_ms() - 3 * 3_600_000;
    let start = until_a_takes_a_share(&dev, &a, t0).await;
    let want = (0..n as i64).map(|i| start + i * 1000).collect();
    Pair {
        m,
        b,
        a,
        data,
        dev,
        outlet,
        want,
    }
}

#[tokio::test]
async fn a_killed_instance_s_session_is_adopted_and_every_reading_it_was_handed_is_stored() {
    const N: usize = 2000;
    let Pair {
        m: _broker,
        b,
        mut a,
        data: _a_data,
        dev,
        outlet,
        want,
    } = pair(N).await;

    // The CCU publishes at about one reading a millisecond; A is killed half-way.
    let sent = Arc::new(AtomicUsize::new(0));
    let publisher = {
        let (want, sent) = (want.clone(), sent.clone());
        tokio::spawn(async move {
            let mut pace = tokio::time::interval(Duration::from_millis(1));
            for (i, ts) in want.iter().enumerate() {
                pace.tick().await;
                reading_at(&dev, *ts, 1000 + i as i64).await;
                sent.store(i + 1, Relaxed);
            }
            dev
        })
    };
    wait_until("half the readings published", || {
        let sent = sent.clone();
        async move { sent.load(Relaxed) >= N / 2 }
    })
    .await;
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
    let killed = Instant::now();
    let at_kill = stored(b.store(), outlet.id, want[0], want[N - 1] + 1)
        .await
        .len();
    let dev = publisher.await.unwrap();

    let missing = missing_at(b.store(), outlet.id, &want, killed + TTL + MARGIN).await;
    let took = killed.elapsed();
    assert!(
        missing.is_empty(),
        "{} of {N} readings missing {took:?} after A was killed ({at_kill} stored at the kill; \
         B adopted {} session(s), received {} publishes through them)",
        missing.len(),
        b.backend().metrics().sessions_adopted.load(Relaxed),
        b.backend().metrics().adopted_messages.load(Relaxed),
    );
    let counters = b.backend().metrics();
    assert!(
        at_kill < N,
        "everything was stored at the kill: the test proves nothing"
    );
    assert_eq!(counters.sessions_adopted.load(Relaxed), 1);
    let adopted = counters.adopted_messages.load(Relaxed);
    assert!(adopted > 0, "B received nothing through A's session");
    wait_until("B has drained A's session", || async {
        counters.sessions_drained.load(Relaxed) == 1
    })
    .await;
    let drained = killed.elapsed();
    let (holder, _) = b.store().lease_holder("session:a").await.unwrap().unwrap();
    assert!(holder.starts_with("drained:"), "{holder}");

    // A's session was unsubscribed: the broker queues nothing more for it, B gets it all.
    let more: Vec<i64> = (0..200).map(|i| want[N - 1] + (i + 1) * 1000).collect();
    for ts in &more {
        reading_at(&dev, *ts, 800).await;
    }
    let missing = missing_at(b.store(), outlet.id, &more, Instant::now() + MARGIN).await;
    assert!(
        missing.is_empty(),
        "{} of {} readings published after the drain missing: queued for A's session",
        missing.len(),
        more.len()
    );
    assert_eq!(counters.adopted_messages.load(Relaxed), adopted);
    assert_eq!(counters.sessions_adopted.load(Relaxed), 1, "adopted once");
    let copies = stored(b.store(), outlet.id, want[0], want[N - 1] + 1)
        .await
        .values()
        .filter(|n| **n > 1)
        .count();
    eprintln!(
        "{N} readings, A killed after {} published: {at_kill} stored at the kill, all {N} \
         stored {took:?} after the kill (lease_ttl {TTL:?}); A's session drained after \
         {drained:?}, {adopted} publishes through it; {copies} stored twice",
        N / 2
    );
}

#[tokio::test]
async fn an_instance_back_while_its_session_is_adopted_takes_it_back_with_nothing_lost() {
    const N: usize = 1000;
    let Pair {
        m,
        b,
        mut a,
        data,
        dev,
        outlet,
        want,
    } = pair(N).await;
    for (i, ts) in want[..N / 2].iter().enumerate() {
        reading_at(&dev, *ts, 1000 + i as i64).await;
    }

    // Nothing can be stored (so B acknowledges nothing) until the table is unlocked.
    let locker = backend::Store::open(&b.database_url, 1).await.unwrap();
    let lock = locker.db().begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE sensor_readings IN EXCLUSIVE MODE")
        .await
        .unwrap();
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
    let counters = b.backend().metrics();
    wait_until("B adopts A's session and receives what it kept", || async {
        b.backend().sessions_adopting() == 1 && counters.adopted_messages.load(Relaxed) > 0
    })
    .await;

    // A comes back under its name while B holds A's publishes unacknowledged.
    let a = instance_a(&m, &b.database_url, data.path()).await;
    wait_until("B leaves A's session to A", || async {
        counters.sessions_left.load(Relaxed) == 1
    })
    .await;
    lock.rollback().await.unwrap();
    // A is subscribed again: the CCU's next readings are shared by both.
    for (i, ts) in want[N / 2..].iter().enumerate() {
        reading_at(&dev, *ts, 5000 + i as i64).await;
    }
    let missing = missing_at(b.store(), outlet.id, &want, Instant::now() + MARGIN).await;
    assert!(
        missing.is_empty(),
        "{} of {N} readings missing",
        missing.len()
    );
    assert_eq!(
        counters.sessions_drained.load(Relaxed),
        0,
        "B drained first"
    );
    let (holder, _) = b.store().lease_holder("session:a").await.unwrap().unwrap();
    assert!(
        !holder.starts_with("drained:") && holder != b.backend().instance(),
        "A holds its lease: {holder}"
    );
    let on_a = ingested_by(&a).await;
    assert!(on_a > 0, "A ingested nothing after it came back");
    let copies = stored(b.store(), outlet.id, want[0], want[N - 1] + 1)
        .await
        .values()
        .filter(|n| **n > 1)
        .count();
    let adopted = counters.adopted_messages.load(Relaxed);
    assert!(
        copies as u64 <= adopted,
        "{copies} readings stored twice, more than B received through A's session ({adopted})"
    );
    eprintln!(
        "{N} readings; B received {adopted} publishes through A's session before A took it \
         back; none lost, {copies} stored twice (B committed them after it left); A ingested \
         {on_a} after it came back"
    );
}
