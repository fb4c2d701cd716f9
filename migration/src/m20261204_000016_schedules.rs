//! `schedules`: a socket switched on or off at a time of day, on chosen weekdays, in the
//! owner's time zone. `next_run_at` is the next time it fires (unix ms), advanced with one
//! conditional UPDATE by the instance that runs it, so it fires once. Deleted with its outlet.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "outlet_id integer NOT NULL REFERENCES outlets (id) ON DELETE CASCADE, \
       socket varchar NOT NULL, \
       turn_on boolean NOT NULL, \
       minute_of_day integer NOT NULL, \
       weekdays integer NOT NULL, \
       timezone varchar NOT NULL, \
       next_run_at BIGINT NOT NULL, \
       created_at BIGINT NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let id = match m.get_connection().get_database_backend() {
            DbBackend::Postgres => "id serial PRIMARY KEY",
            _ => "id integer NOT NULL PRIMARY KEY AUTOINCREMENT",
        };
        let create = format!("CREATE TABLE schedules ( {id}, {COLUMNS} )");
        crate::ddl::run_sql(
            m,
            &[
                &create,
                "CREATE INDEX idx_schedules_next_run ON schedules (next_run_at)",
                "CREATE INDEX idx_schedules_outlet ON schedules (outlet_id)",
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::ddl::run_sql(m, &["DROP TABLE schedules"]).await
    }
}
