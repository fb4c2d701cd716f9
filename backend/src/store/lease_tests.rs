//! `Store`'s leases on either database (`TEST_DATABASE_URL` selects PostgreSQL): a lease is
//! taken over only after it expired, renewed by its holder, given up or handed on by its
//! holder only, never granted to two holders at once, and forced by a session's owner.

use super::test_database::TestDatabase;
use super::*;

const TTL: i64 = 1_000;

async fn store(dir: &tempfile::TempDir) -> (TestDatabase, Store) {
    let db = TestDatabase::create(&dir.path().join("t.db"))
        .await
        .unwrap();
    let store = Store::open(db.url(), 8).await.unwrap();
    (db, store)
}

#[tokio::test]
async fn a_lease_is_renewed_by_its_holder_and_taken_over_only_after_it_expired() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = store(&dir).await;
    let t0 = 1_000_000;
    assert!(s.try_acquire_lease("timers", "a", t0, TTL).await.unwrap());
    assert_eq!(
        s.lease_holder("timers").await.unwrap(),
        Some(("a".to_string(), t0 + TTL))
    );
    assert!(
        !s.try_acquire_lease("timers", "b", t0 + 10, TTL)
            .await
            .unwrap(),
        "held and not expired"
    );
    // The holder renews: its expiry moves on.
    assert!(
        s.try_acquire_lease("timers", "a", t0 + 500, TTL)
            .await
            .unwrap()
    );
    assert_eq!(
        s.lease_holder("timers").await.unwrap(),
        Some(("a".to_string(), t0 + 500 + TTL))
    );
    // Past the first expiry but not the renewed one: still a's.
    assert!(
        !s.try_acquire_lease("timers", "b", t0 + TTL + 1, TTL)
            .await
            .unwrap()
    );
    // At the expiry itself: still a's (`expires_at < now`).
    let expiry = t0 + 500 + TTL;
    assert!(
        !s.try_acquire_lease("timers", "b", expiry, TTL)
            .await
            .unwrap()
    );
    // Past it: b takes over, and a's late renewal fails.
    assert!(
        s.try_acquire_lease("timers", "b", expiry + 1, TTL)
            .await
            .unwrap()
    );
    assert!(
        !s.try_acquire_lease("timers", "a", expiry + 2, TTL)
            .await
            .unwrap(),
        "the former holder cannot renew a lease taken over"
    );
    assert_eq!(
        s.lease_holder("timers").await.unwrap(),
        Some(("b".to_string(), expiry + 1 + TTL))
    );
    // Leases of other names are apart.
    assert!(s.try_acquire_lease("other", "a", t0, TTL).await.unwrap());
}

#[tokio::test]
async fn only_the_holder_gives_a_lease_up_and_then_another_takes_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = store(&dir).await;
    let t0 = 5_000;
    assert!(s.try_acquire_lease("timers", "a", t0, TTL).await.unwrap());
    assert!(!s.release_lease("timers", "b").await.unwrap());
    assert!(
        !s.try_acquire_lease("timers", "b", t0 + 1, TTL)
            .await
            .unwrap()
    );
    assert!(s.release_lease("timers", "a").await.unwrap());
    assert_eq!(s.lease_holder("timers").await.unwrap(), None);
    assert!(
        s.try_acquire_lease("timers", "b", t0 + 2, TTL)
            .await
            .unwrap()
    );
    assert!(!s.release_lease("timers", "a").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn holders_racing_for_a_lease_never_both_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = store(&dir).await;
    // Each round: eight holders try at the same instant, on a free lease (round 0) or one
    // that just expired; exactly one wins.
    for round in 0..20i64 {
        let now = 10_000 + round * (TTL + 1);
        let tries = (0..8).map(|h| {
            let s = s.clone();
            tokio::spawn(async move {
                let holder = format!("h{h}");
                let won = s.try_acquire_lease("timers", &holder, now, TTL).await;
                (holder, won.unwrap())
            })
        });
        let mut winners = Vec::new();
        for t in tries.collect::<Vec<_>>() {
            let (holder, won) = t.await.unwrap();
            if won {
                winners.push(holder);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let stored = s.lease_holder("timers").await.unwrap().unwrap();
        assert_eq!(stored, (winners[0].clone(), now + TTL), "round {round}");
    }
}

#[tokio::test]
async fn a_forced_lease_is_taken_from_any_holder_and_its_old_holder_cannot_renew_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = store(&dir).await;
    let t0 = 20_000;
    // free: forcing creates it
    s.force_lease("session:a", "owner-1", t0, TTL)
        .await
        .unwrap();
    assert_eq!(
        s.lease_holder("session:a").await.unwrap(),
        Some(("owner-1".to_string(), t0 + TTL))
    );
    // expired and adopted by another instance, then the owner is back: it forces it
    assert!(
        s.try_acquire_lease("session:a", "adopter", t0 + TTL + 1, TTL)
            .await
            .unwrap()
    );
    s.force_lease("session:a", "owner-2", t0 + TTL + 2, TTL)
        .await
        .unwrap();
    assert_eq!(
        s.lease_holder("session:a").await.unwrap(),
        Some(("owner-2".to_string(), t0 + 2 * TTL + 2))
    );
    assert!(
        !s.try_acquire_lease("session:a", "adopter", t0 + TTL + 3, TTL)
            .await
            .unwrap(),
        "the adopter's next renewal fails: it stops"
    );
    // a drained marker (never expiring) is forced back too
    assert!(
        s.hand_lease("session:a", "owner-2", "drained:x", i64::MAX)
            .await
            .unwrap()
    );
    s.force_lease("session:a", "owner-3", t0 + 5, TTL)
        .await
        .unwrap();
    assert_eq!(
        s.lease_holder("session:a").await.unwrap().unwrap().0,
        "owner-3"
    );
}

#[tokio::test]
async fn expired_leases_lists_only_expired_ones_under_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = store(&dir).await;
    let t0 = 100_000;
    s.force_lease("session:a", "a", t0, TTL).await.unwrap();
    s.force_lease("session:b", "b", t0 + 500, TTL)
        .await
        .unwrap();
    s.force_lease("session:c", "c", t0, TTL).await.unwrap();
    assert!(s.try_acquire_lease("timers", "a", t0, TTL).await.unwrap());
    // "session:%" and "session_" must not match as patterns would
    s.force_lease("sessionXa", "x", t0, TTL).await.unwrap();
    assert!(
        s.hand_lease("session:c", "c", "drained:z", i64::MAX)
            .await
            .unwrap()
    );
    assert_eq!(
        s.expired_leases("session:", t0 + TTL).await.unwrap(),
        vec![]
    );
    assert_eq!(
        s.expired_leases("session:", t0 + TTL + 1).await.unwrap(),
        vec![("session:a".to_string(), "a".to_string())]
    );
    assert_eq!(
        s.expired_leases("session:", i64::MAX).await.unwrap(),
        vec![
            ("session:a".to_string(), "a".to_string()),
            ("session:b".to_string(), "b".to_string()),
        ],
        "a drained marker never expires"
    );
}

#[tokio::test]
async fn only_the_holder_hands_a_lease_on() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = store(&dir).await;
    assert!(
        !s.hand_lease("session:a", "a", "drained:a", i64::MAX)
            .await
            .unwrap(),
        "no such lease"
    );
    s.force_lease("session:a", "adopter", 0, TTL).await.unwrap();
    assert!(
        !s.hand_lease("session:a", "someone", "drained:x", i64::MAX)
            .await
            .unwrap()
    );
    assert!(
        s.hand_lease("session:a", "adopter", "drained:adopter", i64::MAX)
            .await
            .unwrap()
    );
    assert_eq!(
        s.lease_holder("session:a").await.unwrap(),
        Some(("drained:adopter".to_string(), i64::MAX))
    );
}
