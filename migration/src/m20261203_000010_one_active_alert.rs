//! At most one active alert per condition (kind, CCU, outlet), enforced by the database, so
//! that instances sharing it raise a lasting condition once: a partial unique index over the
//! alerts not cleared. Duplicates already there (two instances raised one condition) are
//! cleared first, keeping the oldest.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on SQLite and PostgreSQL (both have partial and expression indexes).
const CLEAR_DUPLICATES: &str = "UPDATE alerts SET cleared_at = raised_at \
    WHERE cleared_at IS NULL AND id NOT IN (SELECT MIN(id) FROM alerts \
    WHERE cleared_at IS NULL GROUP BY kind, ccu_id, COALESCE(outlet_id, -1))";
const CREATE_INDEX: &str = "CREATE UNIQUE INDEX idx_alerts_one_active \
    ON alerts (kind, ccu_id, COALESCE(outlet_id, -1)) WHERE cleared_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(CLEAR_DUPLICATES).await?;
        db.execute_unprepared(CREATE_INDEX).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX idx_alerts_one_active")
            .await?;
        Ok(())
    }
}
