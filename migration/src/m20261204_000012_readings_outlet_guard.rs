//! PostgreSQL: `sensor_readings` without its foreign key to `outlets`, whose per-row check
//! (a trigger locking the outlet once per inserted row) was half of PostgreSQL's cost of
//! storing a reading. What the key guaranteed is kept by other means:
//!
//! - no reading of an outlet that does not exist: the history writer locks the outlets of a
//!   batch once (`FOR KEY SHARE`, sorted) in the batch's transaction and leaves out the rows
//!   of outlets that are gone; a delete of one of those outlets waits for the batch;
//! - a deleted outlet takes its readings with it: a row trigger on `outlets` deletes them,
//!   for every way an outlet is deleted (directly, or with its CCU or owner by cascade). It
//!   runs after the outlet's row is locked, so it sees the rows of a batch that held the
//!   lock (READ COMMITTED: each statement in the trigger takes a new snapshot).
//!
//! SQLite keeps the foreign key (its check is cheap and the writer is serial there).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 3] = [
    // The key's name is PostgreSQL's choice (the table was created with it inline).
    "DO $$ DECLARE c text; BEGIN \
       FOR c IN SELECT conname FROM pg_constraint \
         WHERE conrelid = 'sensor_readings'::regclass AND contype = 'f' LOOP \
         EXECUTE format('ALTER TABLE sensor_readings DROP CONSTRAINT %I', c); \
       END LOOP; \
     END $$",
    "CREATE FUNCTION delete_readings_of_outlet() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN DELETE FROM sensor_readings WHERE outlet_id = OLD.id; RETURN NULL; END $$",
    "CREATE TRIGGER outlets_delete_readings AFTER DELETE ON outlets \
     FOR EACH ROW EXECUTE FUNCTION delete_readings_of_outlet()",
];

const DOWN: [&str; 4] = [
    "DROP TRIGGER outlets_delete_readings ON outlets",
    "DROP FUNCTION delete_readings_of_outlet()",
    "DELETE FROM sensor_readings WHERE outlet_id NOT IN (SELECT id FROM outlets)",
    "ALTER TABLE sensor_readings ADD FOREIGN KEY (outlet_id) REFERENCES outlets (id) \
     ON DELETE CASCADE",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, &UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, &DOWN).await
    }
}

/// Runs `sql` on PostgreSQL (nothing on SQLite).
async fn run(m: &SchemaManager<'_>, sql: &[&str]) -> Result<(), DbErr> {
    if m.get_connection().get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    crate::ddl::run_sql(m, sql).await
}
