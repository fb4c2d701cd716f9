//! `Store::outlet_charge` and `Store::roll_up` on either database (`TEST_DATABASE_URL` selects
//! PostgreSQL): charge is current × the time until the next reading (clamped), overload trips
//! draw nothing, and rolling readings up into `energy_hourly` and deleting them changes no
//! hour's charge.

use super::batch_tests::{breaker, sensor, store_with_outlets};
use super::energy::{HOUR_MS, HourCharge, RollUp};
use super::*;

/// An hour start far from the epoch, like real timestamps.
const H: i64 = 1_764_000_000_000 / HOUR_MS * HOUR_MS;
const GAP: i64 = 15_000;

async fn write(store: &Store, rows: &[(i32, i64, i64)], breakers: &[i64]) {
    let mut b = Batch::default();
    b.sensor
        .extend(rows.iter().map(|&(o, ts, ma)| sensor(o, ts, ma)));
    b.breaker
        .extend(breakers.iter().map(|&ts| breaker(ts, 100)));
    store.write_batch(&b).await.unwrap();
}

#[tokio::test]
async fn charge_is_current_times_the_time_until_the_next_reading() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    let rows = [
        (o1, H, 1_000),
        (o1, H + 10_000, 2_000),
        (o1, H + 20_000, 65_535), // overload trip: nothing drawn
        (o1, H + 30_000, 500),
        (o1, H + 2 * HOUR_MS, 3_000), // alone: stands for the gap
        (o2, H + 5_000, 9_999),       // another outlet
    ];
    write(&store, &rows, &[]).await;
    let horizon = H + 40_000 + 3 * HOUR_MS;
    let got = store
        .outlet_charge(o1, H, H + 3 * HOUR_MS, GAP, horizon)
        .await
        .unwrap();
    assert_eq!(
        got,
        [
            HourCharge {
                hour: H,
                // 10 s each; the fourth reading's successor is two hours on: clamped to 15 s
                charge_a: 1_000 * 10_000 + 2_000 * 10_000 + 500 * GAP,
                charge_b: 0,
                covered_ms: 3 * 10_000 + GAP,
                readings: 4,
            },
            HourCharge {
                hour: H + 2 * HOUR_MS,
                charge_a: 3_000 * GAP,
                charge_b: 0,
                covered_ms: GAP,
                readings: 1,
            },
        ]
    );
    // The newest reading lasts until the horizon when that is nearer than the gap.
    let now = H + 2 * HOUR_MS + 4_000;
    let last = store
        .outlet_charge(o1, H + HOUR_MS, H + 3 * HOUR_MS, GAP, now)
        .await
        .unwrap();
    assert_eq!(last[0].charge_a, 3_000 * 4_000);
    // A range that starts inside an hour counts only its readings.
    let part = store
        .outlet_charge(o1, H + 15_000, H + HOUR_MS, GAP, horizon)
        .await
        .unwrap();
    assert_eq!(part[0].readings, 2);
}

#[tokio::test]
async fn roll_up_moves_whole_old_hours_and_changes_no_hours_charge() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    let mut rows = Vec::new();
    for (i, ts) in (0..3 * HOUR_MS).step_by(7 * 60_000).enumerate() {
        rows.push((o1, H + ts, 100 + i as i64));
        rows.push((o2, H + ts + 1, 7));
    }
    // The last reading of the second hour has its successor in the third.
    rows.push((o1, H + 2 * HOUR_MS - 5_000, 1_234));
    rows.push((o1, H + 2 * HOUR_MS + 3_000, 4_321));
    write(&store, &rows, &[H, H + HOUR_MS + 1, H + 2 * HOUR_MS + 1]).await;
    let gap = 10 * 60_000;
    let horizon = H + 4 * HOUR_MS;
    let before = store
        .outlet_charge(o1, H, H + 3 * HOUR_MS, gap, horizon)
        .await
        .unwrap();
    assert_eq!(before.len(), 3);
    let stored = store.count_readings(o1).await.unwrap();
    let third_hour = before[2].readings as u64;

    // At most one hour per call when asked, here one outlet per transaction; the cut-off is
    // inside the third hour.
    let cutoff = H + 2 * HOUR_MS + 30 * 60_000;
    let first = store.roll_up_in_chunks(cutoff, gap, 1, 1).await.unwrap();
    assert_eq!(first.hours, 1);
    assert_eq!(first.breaker, 1);
    let rest = store.roll_up(cutoff, gap, 10).await.unwrap();
    assert_eq!(rest.hours, 1, "only whole hours before the cut-off");
    assert_eq!(rest.breaker, 1);
    assert_eq!(
        first.readings + rest.readings + third_hour + store.count_readings(o2).await.unwrap(),
        stored + rows.iter().filter(|r| r.0 == o2).count() as u64,
        "every reading of the first two hours (both outlets) went"
    );
    assert_eq!(store.count_readings(o1).await.unwrap(), third_hour);
    assert_eq!(store.count_breaker_readings("B1").await.unwrap(), 1);
    assert_eq!(
        store.roll_up(cutoff, gap, 10).await.unwrap(),
        RollUp::default()
    );

    let after = store
        .outlet_charge(o1, H, H + 3 * HOUR_MS, gap, horizon)
        .await
        .unwrap();
    assert_eq!(
        after, before,
        "rolled-up hours and stored readings add up the same"
    );

    // A straggler of a rolled-up hour (written late) is added to that hour's row.
    write(&store, &[(o1, H + 1_000, 50)], &[]).await;
    store.roll_up(cutoff, gap, 10).await.unwrap();
    let late = store
        .outlet_charge(o1, H, H + HOUR_MS, gap, horizon)
        .await
        .unwrap();
    assert_eq!(late[0].readings, before[0].readings + 1);
    assert!(late[0].charge_a > before[0].charge_a);

    // An outlet's energy goes with it.
    store.delete_outlet(o1).await.unwrap();
    let gone = store
        .outlet_charge(o1, H, H + 3 * HOUR_MS, gap, horizon)
        .await
        .unwrap();
    assert!(gone.is_empty(), "{gone:?}");
}

#[tokio::test]
async fn breaker_readings_of_a_ccu_without_outlets_expire_too() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    store.delete_outlet(o1).await.unwrap();
    store.delete_outlet(o2).await.unwrap();
    write(&store, &[], &[H, H + 10, H + HOUR_MS + 5, H + 2 * HOUR_MS]).await;
    let done = store.roll_up(H + 2 * HOUR_MS, GAP, 10).await.unwrap();
    assert_eq!(
        done,
        RollUp {
            hours: 0,
            readings: 0,
            breaker: 3
        }
    );
    assert_eq!(store.count_breaker_readings("B1").await.unwrap(), 1);
}

#[tokio::test]
async fn two_roll_ups_at_once_count_every_reading_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, o1, o2) = store_with_outlets(dir.path()).await;
    let mut rows = Vec::new();
    for ts in (0..2 * HOUR_MS).step_by(2_000) {
        rows.push((o1, H + ts, 1_000));
        rows.push((o2, H + ts, 2_000));
    }
    for chunk in rows.chunks(2_000) {
        write(&store, chunk, &[]).await;
    }
    let horizon = H + 3 * HOUR_MS;
    let before = store
        .outlet_charge(o1, H, H + 2 * HOUR_MS, GAP, horizon)
        .await
        .unwrap();
    let cutoff = H + 2 * HOUR_MS;
    let (a, b) = tokio::join!(
        store.roll_up(cutoff, GAP, 10),
        store.roll_up(cutoff, GAP, 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.readings + b.readings, rows.len() as u64, "{a:?} {b:?}");
    let after = store
        .outlet_charge(o1, H, H + 2 * HOUR_MS, GAP, horizon)
        .await
        .unwrap();
    assert_eq!(after, before, "no reading counted twice");
}
