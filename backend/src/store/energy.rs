//! Energy from readings: each outlet's charge per hour, from the readings still stored and
//! from `energy_hourly`, and the roll-up that moves readings older than the retention into
//! `energy_hourly` and deletes them (with the breaker readings as old).
//!
//! A reading stands for the time until the next stored reading of its outlet, at most `gap`
//! (and, for the newest, until `horizon`); its hour is the hour it was taken in. A socket in
//! overload trip (65535) draws nothing. Charge is in mA·ms, exact integers; the service turns
//! it into Wh with the configured voltage.

use super::Store;
use super::stats::placeholders;
use crate::Error;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, TransactionTrait, Value};
use serde::Serialize;

/// One hour in ms.
pub const HOUR_MS: i64 = 3_600_000;

/// Outlets rolled up in one transaction at most: with a reading every 2 s, 256 outlets make
/// 460 800 readings an hour, under a second of roll-up (docs/BENCHMARKS.md, "Energy").
pub const OUTLETS_PER_TRANSACTION: usize = 256;

/// One outlet's charge in one hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HourCharge {
    /// Start of the hour (unix ms).
    pub hour: i64,
    /// Socket A, mA·ms.
    pub charge_a: i64,
    /// Socket B, mA·ms.
    pub charge_b: i64,
    /// Time the readings stand for, ms.
    pub covered_ms: i64,
    /// Readings.
    pub readings: i64,
}

impl HourCharge {
    fn add(&mut self, o: &HourCharge) {
        self.charge_a = self.charge_a.saturating_add(o.charge_a);
        self.charge_b = self.charge_b.saturating_add(o.charge_b);
        self.covered_ms = self.covered_ms.saturating_add(o.covered_ms);
        self.readings = self.readings.saturating_add(o.readings);
    }

    fn from_row(r: &QueryResult) -> Result<HourCharge, Error> {
        Ok(HourCharge {
            hour: r.try_get("", "hour")?,
            charge_a: r.try_get("", "qa")?,
            charge_b: r.try_get("", "qb")?,
            covered_ms: r.try_get("", "covered")?,
            readings: r.try_get("", "n")?,
        })
    }
}

/// What one roll-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollUp {
    /// Hours rolled up (transactions).
    pub hours: u32,
    /// Outlet readings moved into `energy_hourly` and deleted.
    pub readings: u64,
    /// Breaker readings deleted.
    pub breaker: u64,
}

/// Each reading with its hour, its clamped duration `d` and its sockets' currents, for the
/// readings in `[?, ?)` of the outlets chosen by `{outlets}`; the last `?` of the window
/// query is the horizon, then `gap` twice.
const CHARGED: &str = "SELECT outlet_id, (ts / 3600000) * 3600000 AS hour, ts, a, b, \
      CASE WHEN raw > ? THEN ? WHEN raw < 0 THEN 0 ELSE raw END AS d FROM ( \
        SELECT outlet_id, ts, \
          CASE WHEN current_a = 65535 THEN 0 ELSE current_a END AS a, \
          CASE WHEN current_b = 65535 THEN 0 ELSE current_b END AS b, \
          COALESCE(LEAD(ts) OVER (PARTITION BY outlet_id ORDER BY ts), ?) - ts AS raw \
        FROM sensor_readings WHERE {outlets} AND ts >= ? AND ts < ?) r";

/// The sums of a group of [`CHARGED`] rows.
const SUMS: &str = "CAST(SUM(a * d) AS BIGINT) AS qa, CAST(SUM(b * d) AS BIGINT) AS qb, \
      CAST(SUM(d) AS BIGINT) AS covered, COUNT(*) AS n";

impl Store {
    /// `outlet`'s charge per hour for readings in `[from, to)`, oldest first: rolled-up
    /// hours plus what the stored readings give (a reading with no successor lasts until
    /// `horizon`, at most `gap`).
    pub async fn outlet_charge(
        &self,
        outlet: i32,
        from: i64,
        to: i64,
        gap: i64,
        horizon: i64,
    ) -> Result<Vec<HourCharge>, Error> {
        let charged = CHARGED.replace("{outlets}", "outlet_id = ?");
        let sql = format!(
            "SELECT hour, {SUMS} FROM ({charged}) c WHERE ts < ? GROUP BY hour ORDER BY hour"
        );
        let v = [
            Value::from(gap),
            Value::from(gap),
            Value::from(horizon),
            Value::from(outlet),
            Value::from(from),
            Value::from(to.saturating_add(gap)),
            Value::from(to),
        ];
        // By hour: a rolled-up hour adds to what its remaining readings give.
        let mut hours = std::collections::BTreeMap::new();
        for r in self.raw_rows(&sql, v).await? {
            let h = HourCharge::from_row(&r)?;
            hours.insert(h.hour, h);
        }
        let rolled = "SELECT hour, charge_a AS qa, charge_b AS qb, covered_ms AS covered, \
            readings AS n FROM energy_hourly WHERE outlet_id = ? AND hour >= ? AND hour < ? \
            ORDER BY hour";
        let first_hour = from.div_euclid(HOUR_MS) * HOUR_MS;
        let v = [
            Value::from(outlet),
            Value::from(first_hour),
            Value::from(to),
        ];
        for r in self.raw_rows(rolled, v).await? {
            let h = HourCharge::from_row(&r)?;
            hours
                .entry(h.hour)
                .and_modify(|x: &mut HourCharge| x.add(&h))
                .or_insert(h);
        }
        Ok(hours.into_values().collect())
    }

    /// The oldest stored outlet reading's time, if any (one index probe per outlet).
    async fn oldest_reading(&self) -> Result<Option<i64>, Error> {
        let sql = "SELECT MIN((SELECT MIN(ts) FROM sensor_readings r WHERE r.outlet_id = o.id)) \
            AS oldest FROM outlets o";
        let rows = self.raw_rows(sql, []).await?;
        Ok(match rows.first() {
            Some(r) => r.try_get::<Option<i64>>("", "oldest")?,
            None => None,
        })
    }

    /// Rolls the readings of whole hours before `cutoff` into `energy_hourly` and deletes
    /// them, and the breaker readings of the same hours: oldest hour first, at most
    /// `max_hours` hours, each in transactions of at most [`OUTLETS_PER_TRANSACTION`]
    /// outlets (on SQLite the history writer waits while one is open).
    pub async fn roll_up(&self, cutoff: i64, gap: i64, max_hours: u32) -> Result<RollUp, Error> {
        self.roll_up_in_chunks(cutoff, gap, max_hours, OUTLETS_PER_TRANSACTION)
            .await
    }

    /// [`Store::roll_up`] with `per_transaction` outlets per transaction.
    pub(super) async fn roll_up_in_chunks(
        &self,
        cutoff: i64,
        gap: i64,
        max_hours: u32,
        per_transaction: usize,
    ) -> Result<RollUp, Error> {
        let mut done = RollUp::default();
        let whole_hours = cutoff.div_euclid(HOUR_MS).saturating_mul(HOUR_MS);
        while done.hours < max_hours {
            let Some(oldest) = self.oldest_reading().await? else {
                break;
            };
            let end = oldest
                .div_euclid(HOUR_MS)
                .saturating_add(1)
                .saturating_mul(HOUR_MS);
            if end > whole_hours {
                break;
            }
            let ids = self.outlet_ids_with_readings_before(end).await?;
            for chunk in ids.chunks(per_transaction.max(1)) {
                done.readings += self.roll_up_outlets(end, gap, chunk).await?;
            }
            done.breaker += self.delete_breaker_readings_before(end).await?;
            done.hours += 1;
        }
        if done.hours < max_hours {
            // Breaker readings of CCUs without outlets, or hours without outlet readings.
            done.breaker += self.delete_breaker_readings_before(whole_hours).await?;
        }
        Ok(done)
    }

    /// Outlets with a reading before `end`, in id order.
    async fn outlet_ids_with_readings_before(&self, end: i64) -> Result<Vec<i32>, Error> {
        let sql = "SELECT id FROM outlets o WHERE EXISTS \
            (SELECT 1 FROM sensor_readings r WHERE r.outlet_id = o.id AND r.ts < ?) ORDER BY id";
        let rows = self.raw_rows(sql, [Value::from(end)]).await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i32>("", "id")?))
            .collect()
    }

    async fn delete_breaker_readings_before(&self, end: i64) -> Result<u64, Error> {
        let sql = "DELETE FROM breaker_readings WHERE ccu_id IN (SELECT id FROM ccus) AND ts < ?";
        self.execute_raw_sql(sql, [Value::from(end)]).await
    }

    /// Rolls up and deletes every reading before `end` of `outlets` (ids in order), in one
    /// transaction; returns how many.
    async fn roll_up_outlets(&self, end: i64, gap: i64, outlets: &[i32]) -> Result<u64, Error> {
        let (Some(&first), Some(&last)) = (outlets.first(), outlets.last()) else {
            return Ok(0);
        };
        let backend = self.backend();
        let chosen = "outlet_id IN (SELECT id FROM outlets WHERE id >= ? AND id <= ?)";
        let charged = CHARGED.replace("{outlets}", chosen);
        let insert = format!(
            "INSERT INTO energy_hourly (outlet_id, hour, charge_a, charge_b, covered_ms, readings) \
             SELECT outlet_id, hour, {SUMS} FROM ({charged}) c WHERE ts < ? \
             GROUP BY outlet_id, hour \
             ON CONFLICT (outlet_id, hour) DO UPDATE SET \
               charge_a = energy_hourly.charge_a + excluded.charge_a, \
               charge_b = energy_hourly.charge_b + excluded.charge_b, \
               covered_ms = energy_hourly.covered_ms + excluded.covered_ms, \
               readings = energy_hourly.readings + excluded.readings"
        );
        let insert_values = vec![
            Value::from(gap),
            Value::from(gap),
            Value::from(end.saturating_add(gap)),
            Value::from(first),
            Value::from(last),
            Value::from(i64::MIN),
            Value::from(end.saturating_add(gap)),
            Value::from(end),
        ];
        let delete = format!("DELETE FROM sensor_readings WHERE {chosen} AND ts < ?");
        let delete_values = vec![Value::from(first), Value::from(last), Value::from(end)];
        let statement = |sql: &str, values: Vec<Value>| {
            Statement::from_sql_and_values(backend, placeholders(backend, sql), values)
        };
        let txn = self.db().begin().await?;
        if backend == DbBackend::Postgres {
            // Two roll-ups of the same outlets (a lease changing hands mid-round) take turns:
            // the second's statements then see the readings the first deleted, and count
            // nothing twice. The writer's `FOR KEY SHARE` does not wait for this lock.
            let lock = "SELECT id FROM outlets WHERE id >= ? AND id <= ? ORDER BY id \
                FOR NO KEY UPDATE";
            let values = vec![Value::from(first), Value::from(last)];
            txn.query_all_raw(statement(lock, values)).await?;
        }
        txn.execute_raw(statement(&insert, insert_values)).await?;
        let readings = txn
            .execute_raw(statement(&delete, delete_values))
            .await?
            .rows_affected();
        txn.commit().await?;
        Ok(readings)
    }
}
