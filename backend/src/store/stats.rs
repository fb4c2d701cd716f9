//! Aggregates computed in SQL: downsampled history buckets and event counts per day.

use super::Store;
use crate::Error;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::Serialize;

/// One bucket of outlet history.
#[derive(Debug, Clone, Serialize)]
pub struct ReadingBucket {
    /// Start of the bucket (unix ms).
    pub ts: i64,
    /// Readings in it.
    pub n: i64,
    /// Socket A min / mean / max (mA).
    pub a: (i64, f64, i64),
    /// Socket B min / mean / max (mA).
    pub b: (i64, f64, i64),
    /// Any overload in the bucket.
    pub overload: bool,
}

/// One bucket of breaker history.
#[derive(Debug, Clone, Serialize)]
pub struct BreakerBucket {
    /// Start of the bucket (unix ms).
    pub ts: i64,
    /// Readings in it.
    pub n: i64,
    /// Min / mean / max (mA).
    pub ma: (i64, f64, i64),
}

/// Events of one kind on one day.
#[derive(Debug, Clone, Serialize)]
pub struct EventCount {
    /// Day (unix ms of 00:00 UTC).
    pub day: i64,
    /// Kind.
    pub kind: String,
    /// Count.
    pub count: i64,
}

/// A bucket's `(min, avg, max)` from the columns `names`.
fn stat(r: &QueryResult, names: [&str; 3]) -> Result<(i64, f64, i64), Error> {
    Ok((
        r.try_get("", names[0])?,
        r.try_get("", names[1])?,
        r.try_get("", names[2])?,
    ))
}

impl Store {
    /// Runs a raw `SELECT` written with `?` placeholders, on either database.
    pub(super) async fn raw_rows<const N: usize>(
        &self,
        sql: &str,
        values: [Value; N],
    ) -> Result<Vec<QueryResult>, Error> {
        let backend = self.backend();
        let stmt = Statement::from_sql_and_values(backend, placeholders(backend, sql), values);
        Ok(self.db().query_all_raw(stmt).await?)
    }

    /// Runs one statement with `?` placeholders; the number of rows it changed.
    pub(super) async fn execute_raw_sql<const N: usize>(
        &self,
        sql: &str,
        values: [Value; N],
    ) -> Result<u64, Error> {
        let backend = self.backend();
        let stmt = Statement::from_sql_and_values(backend, placeholders(backend, sql), values);
        Ok(self.db().execute_raw(stmt).await?.rows_affected())
    }
}

pub(super) fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_string();
    }
    let mut out = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

impl Store {
    /// Outlet history in `[from, to)` in buckets of `width` ms.
    pub async fn reading_buckets(
        &self,
        outlet_id: i32,
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<ReadingBucket>, Error> {
        let sql = "SELECT (ts - ?) / ? AS b, COUNT(*) AS n, \
            MIN(current_a) AS amin, CAST(AVG(current_a) AS DOUBLE PRECISION) AS aavg, MAX(current_a) AS amax, \
            MIN(current_b) AS bmin, CAST(AVG(current_b) AS DOUBLE PRECISION) AS bavg, MAX(current_b) AS bmax, \
            MAX(CASE WHEN is_overload THEN 1 ELSE 0 END) AS ov \
            FROM sensor_readings WHERE outlet_id = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b";
        let rows = self
            .raw_rows(
                sql,
                [
                    Value::from(from),
                    Value::from(width),
                    Value::from(outlet_id),
                    Value::from(from),
                    Value::from(to),
                ],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let b: i64 = r.try_get("", "b")?;
            out.push(ReadingBucket {
                ts: from.saturating_add(b.saturating_mul(width)),
                n: r.try_get("", "n")?,
                a: stat(&r, ["amin", "aavg", "amax"])?,
                b: stat(&r, ["bmin", "bavg", "bmax"])?,
                overload: r
                    .try_get::<i32>("", "ov")
                    .map(|v| v > 0)
                    .or_else(|_| r.try_get::<i64>("", "ov").map(|v| v > 0))?,
            });
        }
        Ok(out)
    }

    /// Breaker history in `[from, to)` in buckets of `width` ms.
    pub async fn breaker_buckets(
        &self,
        ccu_id: &str,
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<BreakerBucket>, Error> {
        let sql = "SELECT (ts - ?) / ? AS b, COUNT(*) AS n, MIN(current_ma) AS mn, \
            CAST(AVG(current_ma) AS DOUBLE PRECISION) AS av, MAX(current_ma) AS mx \
            FROM breaker_readings WHERE ccu_id = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b";
        let rows = self
            .raw_rows(
                sql,
                [
                    Value::from(from),
                    Value::from(width),
                    Value::from(ccu_id.to_string()),
                    Value::from(from),
                    Value::from(to),
                ],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let b: i64 = r.try_get("", "b")?;
            out.push(BreakerBucket {
                ts: from.saturating_add(b.saturating_mul(width)),
                n: r.try_get("", "n")?,
                ma: stat(&r, ["mn", "av", "mx"])?,
            });
        }
        Ok(out)
    }

    /// Events of a user per kind per UTC day in `[from, to)`.
    pub async fn event_counts(
        &self,
        user_id: i32,
        from: i64,
        to: i64,
    ) -> Result<Vec<EventCount>, Error> {
        let sql = "SELECT created_at / 86400000 AS d, kind, COUNT(*) AS n FROM events \
            WHERE user_id = ? AND created_at >= ? AND created_at < ? GROUP BY d, kind ORDER BY d, kind";
        let rows = self
            .raw_rows(
                sql,
                [Value::from(user_id), Value::from(from), Value::from(to)],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let d: i64 = r.try_get("", "d")?;
            out.push(EventCount {
                day: d * 86_400_000,
                kind: r.try_get("", "kind")?,
                count: r.try_get("", "n")?,
            });
        }
        Ok(out)
    }
}
