//! Automatic cut-off near the breaker limit: a CCU's `auto_cutoff_pct` (of its breaker
//! threshold; NULL = off) and `last_cutoff_at` (the cool-down, claimed with one conditional
//! UPDATE so that only one instance cuts), and an outlet's `cutoff_protected` (never cut
//! automatically).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on SQLite and PostgreSQL.
const UP: [&str; 3] = [
    "ALTER TABLE ccus ADD COLUMN auto_cutoff_pct INTEGER",
    "ALTER TABLE ccus ADD COLUMN last_cutoff_at BIGINT",
    "ALTER TABLE outlets ADD COLUMN cutoff_protected BOOLEAN NOT NULL DEFAULT FALSE",
];

const DOWN: [&str; 3] = [
    "ALTER TABLE outlets DROP COLUMN cutoff_protected",
    "ALTER TABLE ccus DROP COLUMN last_cutoff_at",
    "ALTER TABLE ccus DROP COLUMN auto_cutoff_pct",
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
