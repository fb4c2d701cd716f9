//! `Store::raise_alert` and `Store::clear_alert` on either database (`TEST_DATABASE_URL`
//! selects PostgreSQL): one active alert per condition however many instances raise it, and
//! one of two clearers wins.

use super::test_database::TestDatabase;
use super::*;
use crate::domain::{AlertKind, Transport};

fn overload(user_id: i32, outlet_id: Option<i32>, at: i64) -> NewAlert {
    NewAlert {
        user_id,
        kind: AlertKind::OutletThreshold,
        ccu_id: Some("B1".into()),
        outlet_id,
        message: "over".into(),
        value: Some(9_000),
        threshold: Some(5_000),
        raised_at: at,
    }
}

#[tokio::test]
async fn a_condition_has_one_active_alert_and_one_clearer_wins() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(&dir.path().join("t.db"))
        .await
        .unwrap();
    let store = Store::open(db.url(), 4).await.unwrap();
    let user = store.insert_user("owner", "h").await.unwrap();
    store
        .insert_ccu("B1", user.id, "ccu", Transport::Mqtt, "h", 16_000)
        .await
        .unwrap();
    let outlet = store.insert_outlet("B1", "01", "one", "").await.unwrap();
    let other = store.insert_outlet("B1", "02", "two", "").await.unwrap();

    // Eight instances raise the same condition at once: one stores it, the rest learn its id.
    let raises = (0..8).map(|i| store.raise_alert(overload(user.id, Some(outlet.id), 10 + i)));
    let results = futures_util::future::join_all(raises).await;
    let new: Vec<i32> = results
        .iter()
        .filter_map(|r| match r.as_ref().unwrap() {
            Raised::New(a) => Some(a.id),
            Raised::Existing(_) => None,
        })
        .collect();
    assert_eq!(new.len(), 1, "{results:?}");
    for r in &results {
        let id = match r.as_ref().unwrap() {
            Raised::New(a) => a.id,
            Raised::Existing(id) => *id,
        };
        assert_eq!(id, new[0]);
    }
    // Another outlet's condition, and a CCU-wide one (no outlet), are conditions of their own.
    assert!(matches!(
        store
            .raise_alert(overload(user.id, Some(other.id), 20))
            .await
            .unwrap(),
        Raised::New(_)
    ));
    assert!(matches!(
        store
            .raise_alert(overload(user.id, None, 21))
            .await
            .unwrap(),
        Raised::New(_)
    ));
    assert!(matches!(
        store
            .raise_alert(overload(user.id, None, 22))
            .await
            .unwrap(),
        Raised::Existing(_)
    ));

    // Two instances clear it: the first one does, the second learns it was already cleared.
    let cleared = store.clear_alert(new[0], 30).await.unwrap().unwrap();
    assert_eq!(cleared.cleared_at, Some(30));
    assert!(store.clear_alert(new[0], 31).await.unwrap().is_none());
    assert_eq!(
        store.get_alert(new[0]).await.unwrap().unwrap().cleared_at,
        Some(30)
    );
    // Cleared, the condition may be raised again: a new alert.
    match store
        .raise_alert(overload(user.id, Some(outlet.id), 40))
        .await
        .unwrap()
    {
        Raised::New(a) => assert_ne!(a.id, new[0]),
        Raised::Existing(id) => panic!("a cleared alert counted as active: {id}"),
    }
}
