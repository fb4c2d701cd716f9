//! The store's own behaviour: WAL checkpoints by the backend's timer and never by a commit
//! (SQLite), and what holds on either database (`TEST_DATABASE_URL` selects PostgreSQL).

use super::test_database::TestDatabase;
use super::*;
use crate::bus::{Bus, BusSettings};
use sea_orm::Statement;

async fn pragma(store: &Store, sql: &str) -> i64 {
    let row = store
        .db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

fn size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A backend on `store` with its timers running and no broker (nothing connects to port 9).
async fn start_backend(store: Store) -> crate::Backend {
    let bus = BusSettings {
        host: "127.0.0.1".into(),
        port: 9,
        username: "x".into(),
        password: "x".into(),
        client_id: "store-test".into(),
        shared_group: None,
        subscribe_devices: true,
        keep_alive: Duration::from_secs(30),
        max_packet_size: 65536,
        persistent: false,
    };
    let (bus, _eventloop) = Bus::new(&bus);
    let login = ("backend".to_string(), "pw".to_string());
    crate::Backend::start(settings::Settings::for_tests(), store, bus, login)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_commit_does_not_checkpoint_the_wal_the_backends_timer_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let wal = dir.path().join("t.db-wal");
    let store = Store::open(&format!("sqlite://{}?mode=rwc", db.display()), 2)
        .await
        .unwrap();
    // every pooled connection carries the safety net, not SQLite's 1 000 pages
    for _ in 0..3 {
        assert_eq!(pragma(&store, "PRAGMA wal_autocheckpoint").await, 16384);
    }
    // 2 000 commits of 2 kB each: about 2 000 WAL pages, twice SQLite's default threshold
    let before = size(&db);
    let blob = "x".repeat(2000);
    for i in 0..2000 {
        store.insert_user(&format!("user{i}"), &blob).await.unwrap();
    }
    assert!(size(&wal) > 2000 * 2000, "the WAL holds the commits");
    assert_eq!(
        size(&db),
        before,
        "a commit copied the WAL into the database (checkpointed)"
    );

    // Nobody calls `checkpoint()` here: the backend's timer copies the WAL over.
    let backend = start_backend(store.clone()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while size(&db) < before + 2000 * 2000 {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint within 20 s: database {} bytes, WAL {} bytes",
            size(&db),
            size(&wal)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    backend.shutdown(None).await;
}

#[tokio::test]
async fn a_taken_name_is_a_conflict_and_checkpoint_is_harmless_on_either_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(&dir.path().join("t.db"))
        .await
        .unwrap();
    let store = Store::open(db.url(), 2).await.unwrap();
    assert_eq!(store.is_sqlite(), !db.is_postgres());
    store.insert_user("alice", "h").await.unwrap();
    // SQLite says "UNIQUE constraint failed", PostgreSQL "duplicate key value": both map
    match store.insert_user("alice", "h").await {
        Err(Error::Conflict(_)) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    store.checkpoint().await.unwrap();
    let users = store.list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    store.db.clone().close().await.unwrap();
}
