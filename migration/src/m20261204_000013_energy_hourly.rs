//! `energy_hourly`: each outlet's charge per hour (mA·ms per socket, so that a change of the
//! configured voltage or price needs no recomputation), written when readings older than
//! `energy.keep_readings` are rolled up and deleted. Additive: a second roll-up of the same
//! hour adds to the row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on SQLite and PostgreSQL.
const UP: [&str; 1] = ["CREATE TABLE energy_hourly ( \
       outlet_id integer NOT NULL REFERENCES outlets (id) ON DELETE CASCADE, \
       hour BIGINT NOT NULL, \
       charge_a BIGINT NOT NULL, \
       charge_b BIGINT NOT NULL, \
       covered_ms BIGINT NOT NULL, \
       readings BIGINT NOT NULL, \
       PRIMARY KEY (outlet_id, hour) )"];

const DOWN: [&str; 1] = ["DROP TABLE energy_hourly"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::ddl::run_sql(m, &UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::ddl::run_sql(m, &DOWN).await
    }
}
