//! `Store::write_batch` on either database (`TEST_DATABASE_URL` selects PostgreSQL): every row
//! is stored with its values, the latest state keeps what an update leaves out, and a batch
//! larger than any bound-value limit is written in one call, a device's slot holds one row.

use super::batch::CcuLatest;
use super::test_database::TestDatabase;
use super::*;
use crate::domain::Transport;

/// A migrated store on a throw-away database, with one CCU `B1` and outlets `01`, `02` (four
/// connections: a test may hold a transaction open while others work).
pub(super) async fn store_with_outlets(dir: &std::path::Path) -> (TestDatabase, Store, i32, i32) {
    let db = TestDatabase::create(&dir.join("t.db")).await.unwrap();
    let store = Store::open(db.url(), 4).await.unwrap();
    let user = store.insert_user("owner", "h").await.unwrap();
    store
        .insert_ccu("B1", user.id, "ccu", Transport::Mqtt, "h", 16_000)
        .await
        .unwrap();
    let o1 = store.insert_outlet("B1", "01", "one", "").await.unwrap();
    let o2 = store.insert_outlet("B1", "02", "two", "").await.unwrap();
    (db, store, o1.id, o2.id)
}

pub(super) fn sensor(outlet_id: i32, ts: i64, current_a: i64) -> SensorRow {
    SensorRow {
        outlet_id,
        ts,
        current_a,
        current_b: 0,
        relay_a: (ts % 3 != 0).then_some(ts % 2 == 0),
        relay_b: None,
        is_overload: false,
        slot: Some(ts),
    }
}

pub(super) fn breaker(ts: i64, current_ma: i64) -> BreakerRow {
    BreakerRow {
        ccu_id: "B1".into(),
        ts,
        current_ma,
        threshold_ma: 16_000,
        slot: Some(ts),
    }
}

#[tokio::test]
async fn rows_are_stored_with_their_values_and_latest_state_keeps_what_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;

    let mut first = Batch::default();
    first.sensor.extend((1..=100).map(|ts| sensor(o1, ts, ts)));
    first.sensor.extend((1..=50).map(|ts| sensor(o2, ts, ts)));
    first.breaker.extend((1..=30).map(|ts| breaker(ts, ts)));
    first.outlets.insert(
        o1,
        OutletLatest {
            current_a: Some(100),
            current_b: Some(1),
            relay_a: Some(true),
            last_seen: Some(100),
            ..Default::default()
        },
    );
    first.outlets.insert(
        o2,
        OutletLatest {
            relay_b: Some(false),
            is_overload: Some(true),
            last_seen: Some(50),
            ..Default::default()
        },
    );
    first.ccus.insert(
        "B1".into(),
        CcuLatest {
            breaker: Some((30, 30)),
            last_seen: 100,
        },
    );
    store.write_batch(&first).await.unwrap();
    assert_eq!(store.count_readings(o1).await.unwrap(), 100);
    assert_eq!(store.count_readings(o2).await.unwrap(), 50);
    assert_eq!(store.count_breaker_readings("B1").await.unwrap(), 30);

    let mut second = Batch::default();
    second
        .sensor
        .extend((101..=150).map(|ts| sensor(o1, ts, ts + 10_000)));
    second
        .breaker
        .extend((31..=40).map(|ts| breaker(ts, ts + 10_000)));
    second.outlets.insert(
        o1,
        OutletLatest {
            current_b: Some(7),
            relay_a: Some(false),
            last_seen: Some(150),
            ..Default::default()
        },
    );
    second.outlets.insert(o2, OutletLatest::default());
    store.write_batch(&second).await.unwrap();
    assert_eq!(store.count_readings(o1).await.unwrap(), 150);
    assert_eq!(store.count_readings(o2).await.unwrap(), 50);
    assert_eq!(store.count_breaker_readings("B1").await.unwrap(), 40);

    // every row with its own values, in time order
    let rows = store.readings(o1, 0, 1_000, 1_000).await.unwrap();
    let a: Vec<i64> = rows.iter().map(|r| r.current_a).collect();
    let expected: Vec<i64> = (1..=100).chain((101..=150).map(|ts| ts + 10_000)).collect();
    assert_eq!(a, expected);
    let rows = store.breaker_readings("B1", 0, 1_000, 1_000).await.unwrap();
    let ma: Vec<i64> = rows.iter().map(|r| r.current_ma).collect();
    let expected: Vec<i64> = (1..=30).chain((31..=40).map(|ts| ts + 10_000)).collect();
    assert_eq!(ma, expected);

    // the latest state: what an update leaves out keeps its stored value
    let one = store.get_outlet(o1).await.unwrap().unwrap();
    assert_eq!(one.current_a, Some(100));
    assert_eq!(one.current_b, Some(7));
    assert_eq!(one.relay_a, Some(false));
    assert_eq!(one.relay_b, None);
    assert!(!one.is_overload);
    assert_eq!(one.last_seen, Some(150));
    assert!(one.online);
    let two = store.get_outlet(o2).await.unwrap().unwrap();
    assert_eq!(two.current_a, None);
    assert_eq!(two.relay_a, None);
    assert_eq!(two.relay_b, Some(false));
    assert!(two.is_overload);
    assert_eq!(two.last_seen, Some(50));
    assert!(two.online);
    let ccu = store.get_ccu("B1").await.unwrap().unwrap();
    assert_eq!(ccu.breaker_ma, Some(30));
    assert_eq!(ccu.last_seen, Some(100));
    store.db.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_batch_of_twenty_thousand_rows_per_table_is_written_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    // 7 and 4 bound values a row: more than PostgreSQL's 65 535 and SQLite's 32 766 per statement
    let mut b = Batch::default();
    b.sensor
        .extend((0..10_000).flat_map(|ts| [sensor(o1, ts, ts), sensor(o2, ts, ts)]));
    b.breaker.extend((0..20_000).map(|ts| breaker(ts, ts)));
    b.outlets.insert(
        o2,
        OutletLatest {
            current_a: Some(9_999),
            last_seen: Some(9_999),
            ..Default::default()
        },
    );
    store.write_batch(&b).await.unwrap();
    assert_eq!(store.count_readings(o1).await.unwrap(), 10_000);
    assert_eq!(store.count_readings(o2).await.unwrap(), 10_000);
    assert_eq!(store.count_breaker_readings("B1").await.unwrap(), 20_000);
    let rows = store.readings(o2, 9_990, 10_000, 100).await.unwrap();
    let a: Vec<i64> = rows.iter().map(|r| r.current_a).collect();
    assert_eq!(a, (9_990..10_000).collect::<Vec<_>>());
    let two = store.get_outlet(o2).await.unwrap().unwrap();
    assert_eq!((two.current_a, two.last_seen), (Some(9_999), Some(9_999)));
    store.db.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_row_whose_device_already_has_its_slot_is_not_stored_again() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    // in one batch: the second row of (o1, slot 1) and of (B1, slot 5) are copies
    let mut b = Batch::default();
    b.sensor
        .extend([sensor(o1, 1, 10), sensor(o1, 1, 11), sensor(o2, 1, 12)]);
    b.breaker.extend([breaker(5, 1), breaker(5, 2)]);
    assert_eq!(
        store.write_batch(&b).await.unwrap().copies,
        2,
        "copies in one batch"
    );
    // in a later batch (a redelivery): the slot is taken; rows without a slot never collide
    let unslotted = |current_a| SensorRow {
        slot: None,
        ..sensor(o1, 1, current_a)
    };
    let mut again = Batch::default();
    again
        .sensor
        .extend([sensor(o1, 1, 13), unslotted(14), unslotted(15)]);
    again.breaker.push(breaker(5, 3));
    assert_eq!(
        store.write_batch(&again).await.unwrap().copies,
        2,
        "copies of stored rows"
    );
    assert_eq!(store.count_readings(o1).await.unwrap(), 3);
    assert_eq!(store.count_readings(o2).await.unwrap(), 1);
    assert_eq!(store.count_breaker_readings("B1").await.unwrap(), 1);
    let mut a: Vec<i64> = store
        .readings(o1, 0, 10, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.current_a)
        .collect();
    a.sort_unstable();
    assert_eq!(a, [10, 14, 15], "the first row of a slot stays");
    store.db.clone().close().await.unwrap();
}
