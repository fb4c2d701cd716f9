//! Every migration's `down` on either database (`TEST_DATABASE_URL` selects PostgreSQL; the
//! migration crate's own test covers SQLite's exact schema): all the way down leaves only
//! the migrations table, up again gives the same schema, and on PostgreSQL undoing
//! migration 000012 puts the foreign key `sensor_readings → outlets` back after removing the
//! rows it would refuse.

use super::test_database::TestDatabase;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// What the schema is made of, one sorted line per column, constraint, index, trigger and
/// function (PostgreSQL), or per `CREATE` statement (SQLite).
async fn schema(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' \
               || is_nullable || ' ' || coalesce(column_default, '') AS line \
               FROM information_schema.columns WHERE table_schema = 'public' \
             UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' \
               || pg_get_constraintdef(oid) FROM pg_constraint \
               WHERE connamespace = 'public'::regnamespace \
             UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
             UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger \
               WHERE NOT tgisinternal \
             UNION ALL SELECT 'function ' || proname FROM pg_proc \
               WHERE pronamespace = 'public'::regnamespace \
             ORDER BY 1"
        }
        _ => {
            "SELECT name || ': ' || sql AS line FROM sqlite_master \
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("read the schema");
    rows.iter()
        .map(|r| r.try_get::<String>("", "line").expect("line"))
        .collect()
}

/// How many of the last migrations to undo so that 000012 is undone too.
fn steps_to_undo_000012() -> u32 {
    let all = Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name().contains("_000012_"))
        .expect("migration 000012");
    u32::try_from(all.len() - at).unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

/// A fresh database with every migration applied (keep the first two while it is used).
async fn migrated() -> (tempfile::TempDir, TestDatabase, DatabaseConnection) {
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDatabase::create(&dir.path().join("m.db"))
        .await
        .unwrap();
    let db = Database::connect(test_db.url()).await.unwrap();
    Migrator::up(&db, None).await.expect("up");
    (dir, test_db, db)
}

#[tokio::test]
async fn every_migration_goes_down_and_up_again_to_the_same_schema() {
    let (_dir, _test_db, db) = migrated().await;
    let fresh = schema(&db).await;
    assert!(
        fresh.iter().any(|l| l.contains("sensor_readings")),
        "{fresh:?}"
    );

    Migrator::down(&db, None).await.expect("down");
    let mut left = schema(&db).await;
    left.retain(|l| !l.contains("seaql_migrations"));
    assert!(left.is_empty(), "down left these behind: {left:?}");

    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(
        schema(&db).await,
        fresh,
        "up after down gives another schema"
    );
    db.close().await.unwrap();
}

/// Migration 000012 (PostgreSQL only) dropped the key; its `down` deletes the readings of
/// outlets that are gone, then adds the key back, and `up` drops it again.
#[tokio::test]
async fn undoing_the_readings_guard_restores_the_foreign_key() {
    let (_dir, _test_db, db) = migrated().await;
    let keys = "SELECT count(*)::bigint FROM pg_constraint \
                WHERE conrelid = 'sensor_readings'::regclass AND contype = 'f'";
    if db.get_database_backend() != DbBackend::Postgres {
        // SQLite kept its key all along; the migration does nothing there either way.
        Migrator::down(&db, Some(steps_to_undo_000012()))
            .await
            .expect("down 000012");
        Migrator::up(&db, None).await.expect("up 000012");
        return;
    }
    assert_eq!(scalar(&db, keys).await, 0, "000012 dropped the key");
    // Without the key PostgreSQL takes a reading of an outlet that never existed.
    db.execute_unprepared(
        "INSERT INTO sensor_readings (outlet_id, ts, current_a, current_b, is_overload) \
         VALUES (424242, 1, 0, 0, false)",
    )
    .await
    .expect("an orphan row");

    Migrator::down(&db, Some(steps_to_undo_000012()))
        .await
        .expect("down 000012");
    assert_eq!(scalar(&db, keys).await, 1, "the key is back");
    assert_eq!(
        scalar(&db, "SELECT count(*)::bigint FROM sensor_readings").await,
        0,
        "the row the key refuses was deleted first"
    );
    let triggers = "SELECT count(*)::bigint FROM pg_trigger \
                    WHERE tgname = 'outlets_delete_readings'";
    assert_eq!(scalar(&db, triggers).await, 0, "the trigger went");
    let refused = db
        .execute_unprepared(
            "INSERT INTO sensor_readings (outlet_id, ts, current_a, current_b, is_overload) \
             VALUES (424242, 1, 0, 0, false)",
        )
        .await;
    assert!(refused.is_err(), "the key refuses an orphan again");

    Migrator::up(&db, None).await.expect("up 000012 again");
    assert_eq!(scalar(&db, keys).await, 0);
    assert_eq!(scalar(&db, triggers).await, 1);
    db.close().await.unwrap();
}
