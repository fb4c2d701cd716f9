//! Reading history queries: bounded reads and keyset pages (the CSV export streams those).

use super::Store;
use super::entity::{breaker_reading, sensor_reading};
use crate::Error;
use crate::domain::{BreakerPoint, ReadingPoint};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

impl Store {
    /// Stored readings of an outlet in `[from, to)`, oldest first, at most `limit`.
    pub async fn readings(
        &self,
        outlet_id: i32,
        from: i64,
        to: i64,
        limit: u64,
    ) -> Result<Vec<ReadingPoint>, Error> {
        let rows = sensor_reading::Entity::find()
            .filter(sensor_reading::Column::OutletId.eq(outlet_id))
            .filter(sensor_reading::Column::Ts.gte(from))
            .filter(sensor_reading::Column::Ts.lt(to))
            .order_by_asc(sensor_reading::Column::Ts)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ReadingPoint {
                ts: r.ts,
                current_a: r.current_a,
                current_b: r.current_b,
                is_overload: r.is_overload,
            })
            .collect())
    }

    /// Number of stored readings of an outlet.
    pub async fn count_readings(&self, outlet_id: i32) -> Result<u64, Error> {
        Ok(sensor_reading::Entity::find()
            .filter(sensor_reading::Column::OutletId.eq(outlet_id))
            .count(self.db())
            .await?)
    }

    /// Stored breaker readings of a CCU in `[from, to)`, oldest first, at most `limit`.
    pub async fn breaker_readings(
        &self,
        ccu_id: &str,
        from: i64,
        to: i64,
        limit: u64,
    ) -> Result<Vec<BreakerPoint>, Error> {
        let rows = breaker_reading::Entity::find()
            .filter(breaker_reading::Column::CcuId.eq(ccu_id))
            .filter(breaker_reading::Column::Ts.gte(from))
            .filter(breaker_reading::Column::Ts.lt(to))
            .order_by_asc(breaker_reading::Column::Ts)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| BreakerPoint {
                ts: r.ts,
                current_ma: r.current_ma,
            })
            .collect())
    }

    /// Number of stored breaker readings of a CCU.
    pub async fn count_breaker_readings(&self, ccu_id: &str) -> Result<u64, Error> {
        Ok(breaker_reading::Entity::find()
            .filter(breaker_reading::Column::CcuId.eq(ccu_id))
            .count(self.db())
            .await?)
    }
}

/// Where a page of history ended: the `(ts, id)` of its last row. Rows are ordered by
/// `(ts, id)`, so the next page starts strictly after it (keyset paging: no offsets, each
/// page an index range scan however deep into the range it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    /// `ts` of the last row sent.
    pub ts: i64,
    /// Its id.
    pub id: i64,
}

/// Rows after `c` in `(ts, id)` order. `ts >= c.ts` lets the (…, ts) index start at the
/// cursor; the index ends in the row id, so `(ts, id)` order needs no sort.
fn after_cursor<C: ColumnTrait>(ts: C, id: C, c: HistoryCursor) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(ts.gte(c.ts))
        .add(sea_orm::Condition::any().add(ts.gt(c.ts)).add(id.gt(c.id)))
}

/// One keyset page of a series: `[from, to)`, after the cursor, at most `limit` rows.
struct Window {
    from: i64,
    to: i64,
    after: Option<HistoryCursor>,
    limit: u64,
}

impl Window {
    /// `q` narrowed to this page, in `(ts, id)` order.
    fn page<E: EntityTrait, C: ColumnTrait>(&self, q: Select<E>, ts: C, id: C) -> Select<E> {
        let mut q = q.filter(ts.gte(self.from)).filter(ts.lt(self.to));
        if let Some(c) = self.after {
            q = q.filter(after_cursor(ts, id, c));
        }
        q.order_by_asc(ts).order_by_asc(id).limit(self.limit)
    }
}

impl Store {
    /// One page of an outlet's readings in `[from, to)` after `after`, ordered by `(ts, id)`,
    /// at most `limit`; with the cursor of its last row.
    pub async fn readings_page(
        &self,
        outlet_id: i32,
        from: i64,
        to: i64,
        after: Option<HistoryCursor>,
        limit: u64,
    ) -> Result<(Vec<ReadingPoint>, Option<HistoryCursor>), Error> {
        use sensor_reading::Column::{Id, OutletId, Ts};
        let q = sensor_reading::Entity::find().filter(OutletId.eq(outlet_id));
        let window = Window {
            from,
            to,
            after,
            limit,
        };
        let rows = window.page(q, Ts, Id).all(self.db()).await?;
        let cursor = rows.last().map(|r| HistoryCursor { ts: r.ts, id: r.id });
        let points = rows
            .into_iter()
            .map(|r| ReadingPoint {
                ts: r.ts,
                current_a: r.current_a,
                current_b: r.current_b,
                is_overload: r.is_overload,
            })
            .collect();
        Ok((points, cursor))
    }

    /// One page of a CCU's breaker readings in `[from, to)` after `after`, ordered by
    /// `(ts, id)`, at most `limit`; with the cursor of its last row.
    pub async fn breaker_page(
        &self,
        ccu_id: &str,
        from: i64,
        to: i64,
        after: Option<HistoryCursor>,
        limit: u64,
    ) -> Result<(Vec<BreakerPoint>, Option<HistoryCursor>), Error> {
        use breaker_reading::Column::{CcuId, Id, Ts};
        let q = breaker_reading::Entity::find().filter(CcuId.eq(ccu_id));
        let window = Window {
            from,
            to,
            after,
            limit,
        };
        let rows = window.page(q, Ts, Id).all(self.db()).await?;
        let cursor = rows.last().map(|r| HistoryCursor { ts: r.ts, id: r.id });
        let points = rows
            .into_iter()
            .map(|r| BreakerPoint {
                ts: r.ts,
                current_ma: r.current_ma,
            })
            .collect();
        Ok((points, cursor))
    }
}
