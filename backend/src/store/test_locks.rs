//! Test support: a row lock held by a test, and PostgreSQL's view of the sessions, to put
//! the writer between two transactions on purpose (`writer/tests.rs`).

use super::Store;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

/// An open transaction of the test's, holding what it locked until [`RowLock::release`].
pub(crate) struct RowLock(DatabaseTransaction);

impl RowLock {
    /// Commits, releasing the lock.
    pub(crate) async fn release(self) {
        self.0.commit().await.unwrap();
    }
}

impl Store {
    /// Locks outlet `id`'s row `FOR UPDATE` (PostgreSQL; on SQLite an open transaction
    /// that locks nothing): a batch inserting a row of it waits to lock the outlet.
    pub(crate) async fn lock_outlet_row(&self, id: i32) -> RowLock {
        let txn = self.db().begin().await.unwrap();
        if !self.is_sqlite() {
            let sql = format!("SELECT id FROM outlets WHERE id = {id} FOR UPDATE");
            txn.execute_unprepared(&sql).await.unwrap();
        }
        RowLock(txn)
    }

    /// Sessions of this database (PostgreSQL) matching `condition` on `pg_stat_activity`.
    pub(crate) async fn count_sessions(&self, condition: &str) -> i64 {
        let sql = format!(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND {condition}"
        );
        let row = self
            .db()
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }
}
