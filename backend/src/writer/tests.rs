//! Two batches in flight (PostgreSQL) still commit in order: the later one inserts its rows
//! while the earlier one waits, but commits only after it, so the newest latest state is the
//! one kept; when the earlier one fails, or is slow to commit, the later one lets go of its
//! locks and is written after it on its own. (`TEST_DATABASE_URL` selects PostgreSQL; on
//! SQLite the writer is serial and the same sequences must end the same way.)

use super::*;
use crate::bus::BusSettings;
use crate::domain::Transport;
use crate::store::test_database::TestDatabase;
use std::sync::atomic::Ordering::Relaxed;

struct Fixture {
    _db: TestDatabase,
    store: Store,
    writer: Writer,
    metrics: Arc<Metrics>,
    /// Outlets X, Y, Z of CCU B1 (B2 has none).
    x: i32,
    y: i32,
    z: i32,
}

/// A writer with two batches in flight, whose later batch waits `patience` for the earlier.
async fn fixture(dir: &std::path::Path, patience: Duration) -> Fixture {
    let db = TestDatabase::create(&dir.join("t.db")).await.unwrap();
    let store = Store::open(db.url(), 4).await.unwrap();
    let user = store.insert_user("owner", "h").await.unwrap();
    for ccu in ["B1", "B2"] {
        store
            .insert_ccu(ccu, user.id, "ccu", Transport::Mqtt, "h", 16_000)
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for d in ["01", "02", "03"] {
        ids.push(store.insert_outlet("B1", d, d, "").await.unwrap().id);
    }
    let (bus, _unpolled) = Bus::new(&BusSettings {
        host: "127.0.0.1".into(),
        port: 9,
        username: "backend".into(),
        password: "unused".into(),
        client_id: "backend".into(),
        shared_group: None,
        subscribe_devices: true,
        keep_alive: Duration::from_secs(30),
        max_packet_size: 1 << 16,
        persistent: false,
    });
    let metrics = Arc::new(Metrics::default());
    // Batches are cut by the test's flushes only.
    let fixed = (store.clone(), 100_000, Duration::from_secs(3600), 2);
    let (writer, _task) = Writer::spawn_patient(fixed, metrics.clone(), None, bus, patience);
    Fixture {
        _db: db,
        store,
        writer,
        metrics,
        x: ids[0],
        y: ids[1],
        z: ids[2],
    }
}

fn row(outlet_id: i32, ts: i64) -> WriteOp {
    WriteOp::Sensor(SensorRow {
        outlet_id,
        ts,
        current_a: 1,
        current_b: 0,
        relay_a: None,
        relay_b: None,
        is_overload: false,
        slot: None,
    })
}

fn latest(outlet_id: i32, ma: i64) -> WriteOp {
    WriteOp::Outlet(
        outlet_id,
        OutletLatest {
            current_a: Some(ma),
            ..Default::default()
        },
    )
}

/// Queues `ops` and a flush that cuts the batch; the flush's answer.
async fn batch(w: &Writer, ops: Vec<WriteOp>) -> oneshot::Receiver<()> {
    for op in ops {
        w.send(op).await;
    }
    let (tx, rx) = oneshot::channel();
    w.send(WriteOp::Flush(tx)).await;
    rx
}

async fn current_a(store: &Store, id: i32) -> Option<i64> {
    store.get_outlet(id).await.unwrap().unwrap().current_a
}

#[tokio::test]
async fn the_later_batch_commits_after_the_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    // Patient enough never to give up here.
    let f = fixture(dir.path(), Duration::from_secs(3600)).await;
    let postgres = !f.store.is_sqlite();
    // Batch A waits for a lock on outlet Y (a batch locks its rows' outlets), held by the test.
    let blocker = f.store.lock_outlet_row(f.y).await;
    let a = batch(&f.writer, vec![row(f.y, 1), latest(f.x, 1)]).await;
    let b = batch(&f.writer, vec![row(f.x, 2), latest(f.x, 2)]).await;
    if postgres {
        // A waits on the lock, B has inserted and waits for A (idle in its transaction,
        // beside the test's own).
        system_wait(|| async {
            f.store.count_sessions("wait_event_type = 'Lock'").await == 1
                && f.store
                    .count_sessions("state = 'idle in transaction'")
                    .await
                    == 2
        })
        .await;
        assert_eq!(
            f.store.count_readings(f.x).await.unwrap(),
            0,
            "B's row must not be visible before A commits"
        );
        assert_eq!(current_a(&f.store, f.x).await, None);
    }
    blocker.release().await;
    both_stored(&f, a, b).await;
    assert_eq!(f.store.count_readings(f.x).await.unwrap(), 1);
    assert_eq!(f.metrics.history_batches.load(Relaxed), 2);
}

#[tokio::test]
async fn when_the_earlier_batch_fails_the_later_one_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path(), sink::PATIENCE).await;
    // A holds a breaker row of CCU B2, deleted after it was queued: A's first attempt fails
    // (the breaker's foreign key).
    f.writer
        .send(WriteOp::Breaker(BreakerRow {
            ccu_id: "B2".into(),
            ts: 1,
            current_ma: 100,
            threshold_ma: 16_000,
            slot: None,
        }))
        .await;
    f.store.delete_ccu("B2").await.unwrap();
    let a = batch(&f.writer, vec![row(f.y, 1), latest(f.x, 1)]).await;
    let b = batch(&f.writer, vec![row(f.x, 2), latest(f.x, 2)]).await;
    both_stored(&f, a, b).await;
    assert_eq!(f.metrics.history_orphans.load(Relaxed), 1);
    assert_eq!(f.store.count_readings(f.x).await.unwrap(), 1);
    assert_eq!(f.metrics.history_rows.load(Relaxed), 2);
}

#[tokio::test]
async fn a_later_batch_kept_waiting_lets_go_of_its_locks() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path(), Duration::from_millis(200)).await;
    if f.store.is_sqlite() {
        return; // one batch at a time: nothing is held while waiting
    }
    // A waits on the test's lock on outlet Y; B inserts a row of outlet Z (taking a key-share
    // lock on Z's row) and would wait for A holding it.
    let blocker = f.store.lock_outlet_row(f.y).await;
    let a = batch(&f.writer, vec![row(f.y, 1), latest(f.x, 1)]).await;
    let b = batch(&f.writer, vec![row(f.z, 2), latest(f.x, 2)]).await;
    // B has inserted (idle in its transaction, beside the test's own), or has already let go.
    system_wait(|| async {
        f.metrics.history_yields.load(Relaxed) == 1
            || f.store
                .count_sessions("state = 'idle in transaction'")
                .await
                == 2
    })
    .await;
    // Z can be deleted while A still waits: B lets go of Z (without the patience, the delete
    // waited for A, here until A's 10 s lock_timeout).
    tokio::time::timeout(Duration::from_secs(5), f.store.delete_outlet(f.z))
        .await
        .expect("the delete is not held by the waiting batch")
        .unwrap();
    blocker.release().await;
    both_stored(&f, a, b).await;
    assert_eq!(
        f.metrics.history_orphans.load(Relaxed),
        1,
        "B's row of the deleted outlet"
    );
    assert_eq!(f.metrics.history_rows.load(Relaxed), 1);
}

/// Waits for batches A (a row of Y, X's state 1) and B (X's state 2) and checks what every
/// test here ends with: the newer state of X, Y's one row.
async fn both_stored(f: &Fixture, a: oneshot::Receiver<()>, b: oneshot::Receiver<()>) {
    a.await.unwrap();
    b.await.unwrap();
    assert_eq!(
        current_a(&f.store, f.x).await,
        Some(2),
        "the newer state wins"
    );
    assert_eq!(f.store.count_readings(f.y).await.unwrap(), 1);
}

/// Polls `cond` every 10 ms for up to 10 s.
async fn system_wait<F, Fut>(cond: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond().await {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the sessions"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
