//! Database migrations (sea-orm-migration), the same for SQLite and PostgreSQL except where
//! one says otherwise (000012: PostgreSQL only).
//!
//! Timestamps are BIGINT unix milliseconds everywhere: portable, and cheap to range-scan and
//! bucket for downsampled history.

pub use sea_orm_migration::prelude::*;

mod ddl;
mod m20261123_000001_initial;
mod m20261123_000002_accounts;
mod m20261202_000003_legacy_binding;
mod m20261202_000004_user_admin;
mod m20261202_000005_legacy_focus_until;
mod m20261203_000007_spool_position;
mod m20261203_000008_ccu_readings_dropped;
mod m20261203_000009_leases;
mod m20261203_000010_one_active_alert;
mod m20261203_000011_reading_slot;
mod m20261204_000012_readings_outlet_guard;
mod m20261204_000013_energy_hourly;
mod m20261204_000014_auto_cutoff;
mod m20261204_000015_notification_targets;
mod m20261204_000016_schedules;

/// Every migration in order; `Migrator::up(&db, None)` is idempotent and runs at start-up.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_accounts::Migration),
            Box::new(m20261202_000003_legacy_binding::Migration),
            Box::new(m20261202_000004_user_admin::Migration),
            Box::new(m20261202_000005_legacy_focus_until::Migration),
            Box::new(m20261203_000007_spool_position::Migration),
            Box::new(m20261203_000008_ccu_readings_dropped::Migration),
            Box::new(m20261203_000009_leases::Migration),
            Box::new(m20261203_000010_one_active_alert::Migration),
            Box::new(m20261203_000011_reading_slot::Migration),
            Box::new(m20261204_000012_readings_outlet_guard::Migration),
            Box::new(m20261204_000013_energy_hourly::Migration),
            Box::new(m20261204_000014_auto_cutoff::Migration),
            Box::new(m20261204_000015_notification_targets::Migration),
            Box::new(m20261204_000016_schedules::Migration),
        ]
    }
}
