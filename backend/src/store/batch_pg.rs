//! PostgreSQL's side of a batch: one statement per table whatever the batch's size, the rows
//! bound as arrays and spread by `UNNEST` (no bound-value limit, one parse and plan per batch).
//!
//! A bound array holds no NULLs (sqlx binds `Vec<T>`), so an absent value travels as a
//! sentinel that `NULLIF` turns back into NULL: [`NO_I64`] for numbers, -1 for an optional
//! boolean sent as `int4` (0 false, 1 true).

use super::batch::{BreakerRow, OutletLatest, SensorRow};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, Value};
use std::collections::{HashMap, HashSet};

/// An absent number (`NULLIF(x, NO_I64)`): no reading or timestamp is `i64::MIN`.
const NO_I64: i64 = i64::MIN;
/// An absent boolean, sent as `int4`.
const NO_BOOL: i32 = -1;

/// Every row of the batch in one statement; a copy of a stored (outlet, slot) is skipped.
const INSERT_SENSOR: &str = "INSERT INTO sensor_readings \
     (outlet_id, ts, current_a, current_b, relay_a, relay_b, is_overload, slot) \
     SELECT o, t, a, b, NULLIF(ra, -1)::bool, NULLIF(rb, -1)::bool, ov, NULLIF(s, $9) \
     FROM UNNEST($1::int4[], $2::int8[], $3::int8[], $4::int8[], $5::int4[], $6::int4[], \
     $7::bool[], $8::int8[]) AS r(o, t, a, b, ra, rb, ov, s) \
     ON CONFLICT (outlet_id, slot) WHERE slot IS NOT NULL DO NOTHING";

const INSERT_BREAKER: &str = "INSERT INTO breaker_readings \
     (ccu_id, ts, current_ma, threshold_ma, slot) \
     SELECT c, t, m, th, NULLIF(s, $6) \
     FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[]) AS r(c, t, m, th, s) \
     ON CONFLICT (ccu_id, slot) WHERE slot IS NOT NULL DO NOTHING";

/// Every outlet of the batch in one statement; an absent field keeps the stored value, and a
/// `last_seen` marks the outlet online.
const UPDATE_OUTLETS: &str = "UPDATE outlets AS o SET \
     current_a = COALESCE(NULLIF(u.a, $8), o.current_a), \
     current_b = COALESCE(NULLIF(u.b, $8), o.current_b), \
     relay_a = COALESCE(NULLIF(u.ra, -1)::bool, o.relay_a), \
     relay_b = COALESCE(NULLIF(u.rb, -1)::bool, o.relay_b), \
     is_overload = COALESCE(NULLIF(u.ov, -1)::bool, o.is_overload), \
     last_seen = COALESCE(NULLIF(u.seen, $8), o.last_seen), \
     online = (u.seen <> $8) OR o.online \
     FROM UNNEST($1::int4[], $2::int8[], $3::int8[], $4::int4[], $5::int4[], $6::int4[], \
     $7::int8[]) AS u(id, a, b, ra, rb, ov, seen) \
     WHERE o.id = u.id";

/// Locks the outlets of a batch's rows against deletion until the batch commits, in id
/// order (two batches never wait for each other here: key-share locks do not conflict); the
/// ids that exist. This stands in for the foreign key's check, once per outlet instead of
/// once per row (migration 000012).
const LOCK_OUTLETS: &str =
    "SELECT id FROM outlets WHERE id = ANY($1::int4[]) ORDER BY id FOR KEY SHARE";

/// Inserts the sensor rows of outlets that exist; the number stored and the number left out
/// because their outlet is gone.
pub(super) async fn insert_sensor(
    txn: &DatabaseTransaction,
    rows: &[SensorRow],
) -> Result<(u64, u64), DbErr> {
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let mut ids: Vec<i32> = rows.iter().map(|r| r.outlet_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let wanted = ids.len();
    let existing: HashSet<i32> = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            LOCK_OUTLETS,
            [ids.into()],
        ))
        .await?
        .iter()
        .map(|r| r.try_get::<i32>("", "id"))
        .collect::<Result<_, _>>()?;
    if existing.len() == wanted {
        return Ok((insert_rows(txn, rows).await?, 0));
    }
    let kept: Vec<SensorRow> = rows
        .iter()
        .filter(|r| existing.contains(&r.outlet_id))
        .cloned()
        .collect();
    let orphans = (rows.len() - kept.len()) as u64;
    Ok((insert_rows(txn, &kept).await?, orphans))
}

/// Inserts sensor rows; the number stored.
async fn insert_rows(txn: &DatabaseTransaction, rows: &[SensorRow]) -> Result<u64, DbErr> {
    if rows.is_empty() {
        return Ok(0);
    }
    let values = vec![
        column(rows, |r| r.outlet_id),
        column(rows, |r| r.ts),
        column(rows, |r| r.current_a),
        column(rows, |r| r.current_b),
        column(rows, |r| opt_bool(r.relay_a)),
        column(rows, |r| opt_bool(r.relay_b)),
        column(rows, |r| r.is_overload),
        column(rows, |r| r.slot.unwrap_or(NO_I64)),
        NO_I64.into(),
    ];
    exec(txn, INSERT_SENSOR, values).await
}

/// Inserts the breaker rows; the number stored.
pub(super) async fn insert_breaker(
    txn: &DatabaseTransaction,
    rows: &[BreakerRow],
) -> Result<u64, DbErr> {
    if rows.is_empty() {
        return Ok(0);
    }
    let values = vec![
        column(rows, |r| r.ccu_id.clone()),
        column(rows, |r| r.ts),
        column(rows, |r| r.current_ma),
        column(rows, |r| r.threshold_ma),
        column(rows, |r| r.slot.unwrap_or(NO_I64)),
        NO_I64.into(),
    ];
    exec(txn, INSERT_BREAKER, values).await
}

/// Updates the latest state of every outlet that has something to update.
pub(super) async fn update_outlets(
    txn: &DatabaseTransaction,
    outlets: &HashMap<i32, OutletLatest>,
) -> Result<(), DbErr> {
    let mut changed: Vec<(&i32, &OutletLatest)> =
        outlets.iter().filter(|(_, l)| changes(l)).collect();
    if changed.is_empty() {
        return Ok(());
    }
    changed.sort_unstable_by_key(|(id, _)| **id);
    let values = vec![
        column(&changed, |(id, _)| **id),
        column(&changed, |(_, l)| l.current_a.unwrap_or(NO_I64)),
        column(&changed, |(_, l)| l.current_b.unwrap_or(NO_I64)),
        column(&changed, |(_, l)| opt_bool(l.relay_a)),
        column(&changed, |(_, l)| opt_bool(l.relay_b)),
        column(&changed, |(_, l)| opt_bool(l.is_overload)),
        column(&changed, |(_, l)| l.last_seen.unwrap_or(NO_I64)),
        NO_I64.into(),
    ];
    exec(txn, UPDATE_OUTLETS, values).await?;
    Ok(())
}

/// Whether an update sets any column (the per-row path skips the others too).
fn changes(l: &OutletLatest) -> bool {
    l.current_a.is_some()
        || l.current_b.is_some()
        || l.relay_a.is_some()
        || l.relay_b.is_some()
        || l.is_overload.is_some()
        || l.last_seen.is_some()
}

fn opt_bool(b: Option<bool>) -> i32 {
    b.map_or(NO_BOOL, i32::from)
}

/// One column of the rows as a bound array.
fn column<R, T>(rows: &[R], field: impl Fn(&R) -> T) -> Value
where
    Vec<T>: Into<Value>,
{
    rows.iter().map(field).collect::<Vec<T>>().into()
}

/// Runs `sql`; the number of rows it touched.
async fn exec(txn: &DatabaseTransaction, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let done = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(done.rows_affected())
}
