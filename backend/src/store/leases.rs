//! Leases (`leases`): a named right held by one instance of a cluster until it expires.
//! Taking or renewing one is a single conditional statement, so two instances racing for it
//! never both get it, on SQLite as on PostgreSQL. The owner of a broker session forces its
//! `session:<instance_id>` lease (`force_lease`); an expired one is adopted (`docs/scale-out.md`).

use super::Store;
use crate::Error;
use sea_orm::Value;

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

    /// Takes lease `name` for `holder` until `now + ttl_ms` whoever holds it: the owner of a
    /// broker session takes its session back at start, from an instance that adopted it.
    pub async fn force_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<(), Error> {
        let sql = "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) \
                   ON CONFLICT (name) DO UPDATE \
                   SET holder = excluded.holder, expires_at = excluded.expires_at";
        let values = [
            Value::from(name),
            Value::from(holder),
            Value::from(now.saturating_add(ttl_ms)),
        ];
        self.execute_raw_sql(sql, values).await?;
        Ok(())
    }

    /// Leases whose name starts with `prefix` and that expired before `now`, as
    /// (name, holder), by name.
    pub async fn expired_leases(
        &self,
        prefix: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, Error> {
        let len = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
        let rows = self
            .raw_rows(
                "SELECT name, holder FROM leases \
                 WHERE substr(name, 1, ?) = ? AND expires_at < ? ORDER BY name",
                [Value::from(len), Value::from(prefix), Value::from(now)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("", "name")?, r.try_get("", "holder")?)))
            .collect()
    }

    /// Hands lease `name` from `holder` to `to` until `expires_at` (an adopted session once
    /// drained). True if `holder` held it.
    pub async fn hand_lease(
        &self,
        name: &str,
        holder: &str,
        to: &str,
        expires_at: i64,
    ) -> Result<bool, Error> {
        let sql = "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ?";
        let values = [
            Value::from(to),
            Value::from(expires_at),
            Value::from(name),
            Value::from(holder),
        ];
        Ok(self.execute_raw_sql(sql, values).await? == 1)
    }
}
