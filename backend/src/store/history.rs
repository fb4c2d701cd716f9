//! Reading history queries.

use super::Store;
use super::entity::{breaker_reading, sensor_reading};
use crate::Error;
use crate::domain::{BreakerPoint, ReadingPoint};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

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
