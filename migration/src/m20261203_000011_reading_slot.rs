//! One history row per outlet (per breaker) per slot, enforced by the database: a nullable
//! `slot` on both reading tables and a unique index over (device, slot), partial (`slot IS NOT
//! NULL`) so that a row without a slot costs no index insert. The writer inserts
//! with `ON CONFLICT DO NOTHING`, so a reading delivered twice (a broker redelivering what an
//! instance committed but had not acknowledged) and two instances keeping a row for the same
//! history interval store one row. Rows written before have no slot (NULLs never collide).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on SQLite and PostgreSQL.
const UP: [&str; 4] = [
    "ALTER TABLE sensor_readings ADD COLUMN slot BIGINT",
    "ALTER TABLE breaker_readings ADD COLUMN slot BIGINT",
    "CREATE UNIQUE INDEX uq_sensor_readings_outlet_slot ON sensor_readings (outlet_id, slot) \
     WHERE slot IS NOT NULL",
    "CREATE UNIQUE INDEX uq_breaker_readings_ccu_slot ON breaker_readings (ccu_id, slot) \
     WHERE slot IS NOT NULL",
];

const DOWN: [&str; 4] = [
    "DROP INDEX uq_sensor_readings_outlet_slot",
    "DROP INDEX uq_breaker_readings_ccu_slot",
    "ALTER TABLE sensor_readings DROP COLUMN slot",
    "ALTER TABLE breaker_readings DROP COLUMN slot",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::ddl::run_sql(m, &UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::ddl::run_sql(m, &DOWN).await
    }
}
