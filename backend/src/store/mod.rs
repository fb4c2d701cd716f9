//! Persistence: the only module that knows sea-orm entities.
//!
//! One file per aggregate adds methods to [`Store`]; [`batch`] writes readings and latest
//! state in one transaction per batch.

mod accounts;
mod alerts;
pub mod batch;
mod batch_pg;
mod ccus;
mod commands;
pub mod energy;
pub mod entity;
mod events;
mod history;
mod leases;
mod legacy_focus;
mod notification_targets;
mod notify;
mod orphans;
mod outlets;
mod schedules;
mod spool_position;
mod stats;
pub mod test_database;
mod test_dropper;
#[cfg(test)]
mod test_locks;
mod users;

pub use accounts::{SessionRecord, TokenRecord};
pub use alerts::{NewAlert, Raised};
pub use batch::{Batch, BreakerRow, OutletLatest, SensorRow, Written};
pub use ccus::CcuAuth;
pub use events::{EventFilter, NewEvent};
pub use history::HistoryCursor;
pub use notification_targets::TargetRecord;
pub use notify::{Listener, MAX_PAYLOAD};
pub use schedules::ScheduleRecord;
pub use stats::{BreakerBucket, EventCount, ReadingBucket};

use crate::Error;
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use std::time::Duration;

/// A connection pool to SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

/// WAL pages (4 KiB) after which a commit checkpoints by itself, should the timer fall behind.
const WAL_SAFETY_PAGES: &str = "16384";

impl Store {
    /// Connects (creating the SQLite file and its folder if needed) without migrating.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, Error> {
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Db(sea_orm::DbErr::Custom(format!(
                    "cannot create {}: {e}",
                    dir.display()
                )))
            })?;
        }
        let mut opt = ConnectOptions::new(url.to_string());
        opt.max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Checkpoints run on a timer (`Store::checkpoint`), not inside whichever
                    // request's commit crosses SQLite's default 1 000 pages: that commit then
                    // copied the WAL into the database and fsynced, and 1 % of relay commands
                    // took 5 ms instead of 1 (bench `commands`). This limit is the safety net.
                    .pragma("wal_autocheckpoint", WAL_SAFETY_PAGES)
            });
        let db = Database::connect(opt).await?;
        Ok(Store { db })
    }

    /// Copies the SQLite write-ahead log into the database without blocking readers or the
    /// writer (`SELECT 1`); a no-op on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), Error> {
        if self.backend() == DbBackend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await?;
        }
        Ok(())
    }

    /// Connects and applies every pending migration.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, Error> {
        let store = Store::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), Error> {
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Whether the database answers a small query within `patience` (a connection from
    /// the pool included).
    pub async fn answers_within(&self, patience: Duration) -> Result<(), Error> {
        match tokio::time::timeout(patience, self.config_fingerprint()).await {
            Ok(answer) => answer.map(|_| ()),
            Err(_) => Err(Error::Db(sea_orm::DbErr::Custom(format!(
                "no answer within {} ms",
                patience.as_millis()
            )))),
        }
    }

    /// The pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.backend() == DbBackend::Sqlite
    }

    /// The database kind.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}

/// The file path of a `sqlite://path?…` URL, `None` for memory or other databases.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(path.to_string())
}

/// Maps a unique-constraint violation to [`Error::Conflict`].
pub(crate) fn on_conflict(e: sea_orm::DbErr, what: impl Into<String>) -> Error {
    let text = e.to_string().to_lowercase();
    if text.contains("unique") || text.contains("duplicate") {
        Error::Conflict(what.into())
    } else {
        Error::Db(e)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod batch_tests;

#[cfg(test)]
mod orphan_tests;

#[cfg(test)]
mod lease_tests;

#[cfg(test)]
mod alert_tests;
#[cfg(test)]
mod cutoff_tests;
#[cfg(test)]
mod energy_tests;
#[cfg(test)]
mod finish_tests;
#[cfg(test)]
mod migration_tests;
#[cfg(test)]
mod schedule_tests;
