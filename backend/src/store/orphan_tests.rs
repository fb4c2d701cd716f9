//! Readings of deleted outlets, on either database (`TEST_DATABASE_URL` selects
//! PostgreSQL): a deleted outlet (or CCU) takes its readings with it, a batch holding rows
//! of a deleted outlet stores the others, and on PostgreSQL, where no foreign key guards
//! `sensor_readings` (migration 000012), a delete waits for the batch that locked the outlet
//! so that none of its rows outlive it.

use super::batch_tests::{sensor, store_with_outlets};
use super::*;
use std::time::Duration;

/// A batch of one row per outlet.
fn rows(outlets: &[i32], ts: i64) -> Batch {
    let mut b = Batch::default();
    b.sensor.extend(outlets.iter().map(|&o| sensor(o, ts, 1)));
    b
}

#[tokio::test]
async fn a_deleted_outlet_or_ccu_takes_its_readings_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    for ts in 1..=3 {
        store.write_batch(&rows(&[o1, o2], ts)).await.unwrap();
    }
    store.delete_outlet(o1).await.unwrap();
    assert_eq!(store.count_readings(o1).await.unwrap(), 0);
    assert_eq!(store.count_readings(o2).await.unwrap(), 3);
    store.delete_ccu("B1").await.unwrap();
    assert_eq!(store.count_readings(o2).await.unwrap(), 0, "by cascade");
}

#[tokio::test]
async fn the_rows_of_a_deleted_outlet_are_left_out_of_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    store.delete_outlet(o1).await.unwrap();
    let b = rows(&[o1, o2, o1], 1);
    match store.write_batch(&b).await {
        Ok(written) => {
            assert!(!store.is_sqlite(), "SQLite's foreign key refuses the batch");
            assert_eq!(
                written,
                Written {
                    copies: 0,
                    orphans: 2
                }
            );
            assert_eq!(store.count_readings(o2).await.unwrap(), 1);
            assert_eq!(store.count_readings(o1).await.unwrap(), 0);
        }
        Err(e) => assert!(store.is_sqlite() && e.is_foreign_key(), "{e}"),
    }
}

#[tokio::test]
async fn a_delete_waits_for_the_batch_that_holds_the_outlet() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    if store.is_sqlite() {
        return; // one writer at a time: the delete cannot run beside an open batch
    }
    let b = rows(&[o1, o2], 1);
    let open = store.insert_rows(&b).await.unwrap();
    let deleting = tokio::spawn({
        let store = store.clone();
        async move { store.delete_outlet(o1).await }
    });
    // The delete waits for the batch's lock on the outlet (without it, it would commit now
    // and the batch would then store a reading of an outlet that no longer exists).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.count_sessions("wait_event_type = 'Lock'").await != 1 {
        assert!(
            !deleting.is_finished(),
            "the delete did not wait for the batch"
        );
        assert!(tokio::time::Instant::now() < deadline, "no delete waiting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        store.commit_batch(open, &b).await.unwrap(),
        Written::default()
    );
    deleting.await.unwrap().unwrap();
    assert_eq!(
        store.count_readings(o1).await.unwrap(),
        0,
        "the batch's row went with its outlet"
    );
    assert_eq!(store.count_readings(o2).await.unwrap(), 1);
}
