//! The schema a fresh SQLite database gets from every migration, compared with the snapshot
//! `schema.sqlite.sql`: reshaping the migrations' code must not change the SQL they run.
//! `UPDATE_SCHEMA_SNAPSHOT=1` rewrites the snapshot (for a new migration, never a changed one).

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

const SNAPSHOT: &str = "tests/schema.sqlite.sql";

/// Every table and index as SQLite stores its `CREATE` statement, in name order.
async fn dump(db: &DatabaseConnection) -> String {
    let rows = db
        .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        ))
        .await
        .expect("read sqlite_master");
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("", "name").expect("name");
            let sql: String = r.try_get("", "sql").expect("sql");
            format!("-- {name}\n{sql};\n")
        })
        .collect()
}

#[tokio::test]
async fn fresh_schema_matches_snapshot_and_down_undoes_it() {
    // One connection: each connection to `sqlite::memory:` is a database of its own.
    let db = Database::connect(
        ConnectOptions::new("sqlite::memory:")
            .max_connections(1)
            .to_owned(),
    )
    .await
    .expect("connect");
    Migrator::up(&db, None).await.expect("up");
    let schema = dump(&db).await;

    if std::env::var_os("UPDATE_SCHEMA_SNAPSHOT").is_some() {
        std::fs::write(SNAPSHOT, &schema).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).expect("read snapshot");
    assert_eq!(schema, snapshot, "the migrations' schema changed");

    Migrator::down(&db, None).await.expect("down");
    let after_down = dump(&db).await;
    let left: Vec<&str> = after_down
        .lines()
        .filter(|l| l.starts_with("-- "))
        .collect();
    assert_eq!(left, ["-- seaql_migrations"], "down left these behind");
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(
        dump(&db).await,
        snapshot,
        "up after down gives another schema"
    );
}
