//! `Store`'s schedules on either database (`TEST_DATABASE_URL` selects PostgreSQL): due ones
//! are found, a run is claimed once however many claim it at once, and a schedule goes with
//! its outlet.

use super::batch_tests::store_with_outlets;
use super::*;

fn schedule(outlet_id: i32, next_run_at: i64) -> ScheduleRecord {
    ScheduleRecord {
        id: 0,
        outlet_id,
        socket: "a".into(),
        turn_on: true,
        minute_of_day: 420,
        weekdays: 0x7f,
        timezone: "UTC".into(),
        next_run_at,
        created_at: 1,
    }
}

#[tokio::test]
async fn a_due_run_is_claimed_once_and_a_schedule_goes_with_its_outlet() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    let due = store.insert_schedule(&schedule(o1, 1_000)).await.unwrap();
    let later = store.insert_schedule(&schedule(o2, 9_000)).await.unwrap();
    assert_eq!(due.outlet_id, o1);
    let found = store.due_schedules(5_000, 10).await.unwrap();
    assert_eq!(found, std::slice::from_ref(&due));

    let claims: Vec<bool> = futures_util::future::join_all(
        (0..8).map(|_| store.claim_schedule(due.id, 1_000, 87_400_000)),
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(claims.iter().filter(|c| **c).count(), 1, "{claims:?}");
    assert!(store.due_schedules(5_000, 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .get_schedule(due.id)
            .await
            .unwrap()
            .unwrap()
            .next_run_at,
        87_400_000
    );

    store.delete_outlet(o2).await.unwrap();
    assert_eq!(store.get_schedule(later.id).await.unwrap(), None);
    assert!(store.delete_schedule(due.id).await.unwrap());
    assert!(!store.delete_schedule(due.id).await.unwrap());
}
