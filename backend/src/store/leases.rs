//! Leases (`leases`): a named right held by one instance of a cluster until it expires.
//! Taking or renewing one is a single conditional statement, so two instances racing for it
//! never both get it, on SQLite as on PostgreSQL.

use super::Store;
use super::stats::placeholders;
use crate::Error;
use sea_orm::{ConnectionTrait, Statement, Value};

impl Store {
    /// Takes lease `name` for `holder` until `now + ttl_ms`, when it is free, expired
    /// (`expires_at < now`) or already `holder`'s (a renewal). True if `holder` holds it now.
    pub async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, Error> {
        let sql = "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) \
                   ON CONFLICT (name) DO UPDATE \
                   SET holder = excluded.holder, expires_at = excluded.expires_at \
                   WHERE leases.holder = excluded.holder OR leases.expires_at < ?";
        let values = [
            Value::from(name),
            Value::from(holder),
            Value::from(now.saturating_add(ttl_ms)),
            Value::from(now),
        ];
        Ok(self.execute_raw_sql(sql, values).await? == 1)
    }

    /// Gives lease `name` up if `holder` holds it (graceful shutdown): another instance may
    /// take it at once. True if it was `holder`'s.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, Error> {
        let sql = "DELETE FROM leases WHERE name = ? AND holder = ?";
        let values = [Value::from(name), Value::from(holder)];
        Ok(self.execute_raw_sql(sql, values).await? == 1)
    }

    /// The holder of lease `name` and when it expires, if anyone holds it.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<(String, i64)>, Error> {
        let rows = self
            .raw_rows(
                "SELECT holder, expires_at FROM leases WHERE name = ?",
                [Value::from(name)],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some((
            r.try_get("", "holder")?,
            r.try_get("", "expires_at")?,
        )))
    }

    /// Runs one statement with `?` placeholders; the number of rows it changed.
    async fn execute_raw_sql<const N: usize>(
        &self,
        sql: &str,
        values: [Value; N],
    ) -> Result<u64, Error> {
        let backend = self.backend();
        let stmt = Statement::from_sql_and_values(backend, placeholders(backend, sql), values);
        Ok(self.db().execute_raw(stmt).await?.rows_affected())
    }
}
