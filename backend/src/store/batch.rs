//! One write transaction for a batch of readings and the latest state they imply.

use super::entity::{breaker_reading, ccu, outlet, sensor_reading};
use super::{Store, batch_pg};
use crate::Error;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    Set, TransactionTrait, Value,
};
use std::collections::HashMap;

/// Rows per INSERT statement on SQLite (32766 bound values at most; 9 columns a row).
const ROWS_PER_INSERT: usize = 1000;

/// A history row of an outlet.
#[derive(Debug, Clone)]
pub struct SensorRow {
    /// Outlet.
    pub outlet_id: i32,
    /// When (unix ms).
    pub ts: i64,
    /// Socket A (mA).
    pub current_a: i64,
    /// Socket B (mA).
    pub current_b: i64,
    /// Relay A as reported.
    pub relay_a: Option<bool>,
    /// Relay B as reported.
    pub relay_b: Option<bool>,
    /// Overload trip.
    pub is_overload: bool,
    /// At most one row per outlet and slot: a second is dropped as a copy (None: never).
    pub slot: Option<i64>,
}

/// A history row of a breaker.
#[derive(Debug, Clone)]
pub struct BreakerRow {
    /// CCU.
    pub ccu_id: String,
    /// When (unix ms).
    pub ts: i64,
    /// Load (mA).
    pub current_ma: i64,
    /// The CCU's threshold at that time.
    pub threshold_ma: i64,
    /// At most one row per breaker and slot (None: never dropped).
    pub slot: Option<i64>,
}

/// The newest state of an outlet; `None` fields keep the stored value.
#[derive(Debug, Clone, Default)]
pub struct OutletLatest {
    /// Socket A (mA).
    pub current_a: Option<i64>,
    /// Socket B (mA).
    pub current_b: Option<i64>,
    /// Relay A.
    pub relay_a: Option<bool>,
    /// Relay B.
    pub relay_b: Option<bool>,
    /// Overload trip.
    pub is_overload: Option<bool>,
    /// When it was measured (unix ms); also marks the outlet online.
    pub last_seen: Option<i64>,
}

impl OutletLatest {
    /// Folds a newer update into this one.
    pub fn merge(&mut self, newer: OutletLatest) {
        self.current_a = newer.current_a.or(self.current_a);
        self.current_b = newer.current_b.or(self.current_b);
        self.relay_a = newer.relay_a.or(self.relay_a);
        self.relay_b = newer.relay_b.or(self.relay_b);
        self.is_overload = newer.is_overload.or(self.is_overload);
        self.last_seen = newer.last_seen.or(self.last_seen);
    }
}

/// The newest state of a CCU.
#[derive(Debug, Clone, Default)]
pub struct CcuLatest {
    /// Breaker load and when it was measured.
    pub breaker: Option<(i64, i64)>,
    /// Last message (unix ms).
    pub last_seen: i64,
}

/// Everything one transaction writes. Latest-state entries are coalesced per device.
#[derive(Debug, Default)]
pub struct Batch {
    /// History rows.
    pub sensor: Vec<SensorRow>,
    /// History rows.
    pub breaker: Vec<BreakerRow>,
    /// Latest outlet state by outlet id.
    pub outlets: HashMap<i32, OutletLatest>,
    /// Latest CCU state by CCU id.
    pub ccus: HashMap<String, CcuLatest>,
    /// The spool record up to which everything is in this batch or stored before it.
    pub spool_release: Option<u64>,
}

impl Batch {
    /// Number of history rows.
    pub fn n_rows(&self) -> usize {
        self.sensor.len() + self.breaker.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.sensor.is_empty()
            && self.breaker.is_empty()
            && self.outlets.is_empty()
            && self.ccus.is_empty()
            && self.spool_release.is_none()
    }
}

/// A batch's transaction with its history rows inserted, not yet committed
/// ([`Store::insert_rows`], then [`Store::commit_batch`]).
pub struct OpenBatch {
    txn: DatabaseTransaction,
    /// History rows stored (the others were copies or orphans).
    stored: u64,
    /// History rows left out because their outlet is gone (PostgreSQL; on SQLite the foreign
    /// key refuses the batch instead).
    orphans: u64,
}

/// What a committed batch did not store, of its history rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// Rows whose device already had a row in their slot.
    pub copies: u64,
    /// Rows of outlets deleted while the rows waited for the writer.
    pub orphans: u64,
}

impl OpenBatch {
    /// Rolls the transaction back.
    pub async fn rollback(self) {
        if let Err(e) = self.txn.rollback().await {
            tracing::debug!(cause = %e, "rollback of an open batch failed");
        }
    }
}

/// How long a batch's statements wait for a lock another transaction holds before they fail
/// (and the writer tries again): a batch in flight never waits for its successor for good.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '10s'";

impl Store {
    /// Writes a batch in one transaction, with the spool position it reaches. Returns how
    /// many history rows were not stored, and why.
    pub async fn write_batch(&self, b: &Batch) -> Result<Written, Error> {
        let open = self.insert_rows(b).await?;
        self.commit_batch(open, b).await
    }

    /// Begins a batch's transaction and inserts its history rows: the part of a batch that
    /// can run while the previous batch commits (PostgreSQL; rows are only ever added).
    pub async fn insert_rows(&self, b: &Batch) -> Result<OpenBatch, Error> {
        let txn = self.db().begin().await?;
        let (stored, orphans) = if self.backend() == DbBackend::Postgres {
            txn.execute_unprepared(LOCK_TIMEOUT).await?;
            let (sensor, orphans) = batch_pg::insert_sensor(&txn, &b.sensor).await?;
            (
                sensor + batch_pg::insert_breaker(&txn, &b.breaker).await?,
                orphans,
            )
        } else {
            let stored =
                insert_sensor(&txn, &b.sensor).await? + insert_breaker(&txn, &b.breaker).await?;
            (stored, 0)
        };
        Ok(OpenBatch {
            txn,
            stored,
            orphans,
        })
    }

    /// Writes the batch's latest state and spool position and commits: once the batch
    /// before it is committed, so that newer state is written last. What was not stored, as
    /// [`Store::write_batch`].
    pub async fn commit_batch(&self, open: OpenBatch, b: &Batch) -> Result<Written, Error> {
        let OpenBatch {
            txn,
            stored,
            orphans,
        } = open;
        if self.backend() == DbBackend::Postgres {
            batch_pg::update_outlets(&txn, &b.outlets).await?;
        } else {
            update_outlets(&txn, &b.outlets).await?;
        }
        update_ccus(&txn, &b.ccus).await?;
        if let Some(seq) = b.spool_release {
            super::spool_position::set_released(&txn, seq).await?;
        }
        txn.commit().await?;
        Ok(Written {
            copies: (b.n_rows() as u64).saturating_sub(stored + orphans),
            orphans,
        })
    }
}

/// Multi-row INSERTs of at most [`ROWS_PER_INSERT`] rows, a copy of a stored (outlet, slot)
/// skipped; the number stored.
async fn insert_sensor(txn: &DatabaseTransaction, rows: &[SensorRow]) -> Result<u64, DbErr> {
    let mut stored = 0;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let models = chunk.iter().map(|r| sensor_reading::ActiveModel {
            outlet_id: Set(r.outlet_id),
            ts: Set(r.ts),
            current_a: Set(r.current_a),
            current_b: Set(r.current_b),
            relay_a: Set(r.relay_a),
            relay_b: Set(r.relay_b),
            is_overload: Set(r.is_overload),
            slot: Set(r.slot),
            ..Default::default()
        });
        use sensor_reading::Column::{OutletId, Slot};
        stored += sensor_reading::Entity::insert_many(models)
            .on_conflict(slot_taken([OutletId, Slot], Slot))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(stored)
}

/// Skip a row whose (device, slot) is stored: the partial unique index of migration 000011.
fn slot_taken<C: sea_orm::sea_query::IntoIden + Copy>(key: [C; 2], slot: C) -> OnConflict {
    OnConflict::columns(key)
        .target_and_where(Expr::col(slot).is_not_null())
        .do_nothing()
        .to_owned()
}

/// Like [`insert_sensor`], for breaker rows.
async fn insert_breaker(txn: &DatabaseTransaction, rows: &[BreakerRow]) -> Result<u64, DbErr> {
    let mut stored = 0;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let models = chunk.iter().map(|r| breaker_reading::ActiveModel {
            ccu_id: Set(r.ccu_id.clone()),
            ts: Set(r.ts),
            current_ma: Set(r.current_ma),
            threshold_ma: Set(r.threshold_ma),
            slot: Set(r.slot),
            ..Default::default()
        });
        use breaker_reading::Column::{CcuId, Slot};
        stored += breaker_reading::Entity::insert_many(models)
            .on_conflict(slot_taken([CcuId, Slot], Slot))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(stored)
}

/// One UPDATE per outlet, of the fields it has.
async fn update_outlets(
    txn: &DatabaseTransaction,
    outlets: &HashMap<i32, OutletLatest>,
) -> Result<(), DbErr> {
    for (id, l) in outlets {
        let mut q = outlet::Entity::update_many();
        let mut any = false;
        let cols = [
            (outlet::Column::CurrentA, l.current_a.map(Value::from)),
            (outlet::Column::CurrentB, l.current_b.map(Value::from)),
            (outlet::Column::RelayA, l.relay_a.map(Value::from)),
            (outlet::Column::RelayB, l.relay_b.map(Value::from)),
            (outlet::Column::IsOverload, l.is_overload.map(Value::from)),
            (outlet::Column::LastSeen, l.last_seen.map(Value::from)),
            (
                outlet::Column::Online,
                l.last_seen.map(|_| Value::from(true)),
            ),
        ];
        for (col, v) in cols {
            if let Some(v) = v {
                q = q.col_expr(col, Expr::value(v));
                any = true;
            }
        }
        if any {
            q.filter(outlet::Column::Id.eq(*id)).exec(txn).await?;
        }
    }
    Ok(())
}

/// One UPDATE per CCU (a batch holds few).
async fn update_ccus(
    txn: &DatabaseTransaction,
    ccus: &HashMap<String, CcuLatest>,
) -> Result<(), DbErr> {
    for (id, l) in ccus {
        let mut q =
            ccu::Entity::update_many().col_expr(ccu::Column::LastSeen, Expr::value(l.last_seen));
        if let Some((ma, at)) = l.breaker {
            q = q
                .col_expr(ccu::Column::BreakerMa, Expr::value(ma))
                .col_expr(ccu::Column::BreakerAt, Expr::value(at));
        }
        q.filter(ccu::Column::Id.eq(id.as_str())).exec(txn).await?;
    }
    Ok(())
}
