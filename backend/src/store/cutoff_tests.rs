//! `Store::claim_cutoff` on either database (`TEST_DATABASE_URL` selects PostgreSQL): of
//! claims within the cool-down exactly one wins, also when they race; after it, the next
//! wins.

use super::batch_tests::store_with_outlets;

#[tokio::test]
async fn one_cutoff_per_cooldown_even_when_claims_race() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store, _, _) = store_with_outlets(dir.path()).await;
    let now = 1_000_000;
    let claims: Vec<bool> =
        futures_util::future::join_all((0..8).map(|_| store.claim_cutoff("B1", now, 30_000)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    assert_eq!(claims.iter().filter(|w| **w).count(), 1, "{claims:?}");
    assert!(
        !store
            .claim_cutoff("B1", now + 29_999, 30_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_cutoff("B1", now + 30_000, 30_000)
            .await
            .unwrap()
    );
    assert!(!store.claim_cutoff("NOPE", now, 30_000).await.unwrap());
}
