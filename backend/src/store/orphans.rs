//! Rows of devices deleted while their readings waited in the history writer: the foreign
//! keys refuse them, so a batch holding one can never commit. They are taken out of it.

use super::Store;
use super::batch::Batch;
use super::entity::{ccu, outlet};
use crate::Error;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;

impl Store {
    /// Removes from `b` the rows and latest state of outlets and CCUs that no longer exist;
    /// the number of history rows removed.
    pub async fn drop_orphans(&self, b: &mut Batch) -> Result<u64, Error> {
        let outlet_ids: HashSet<i32> = b
            .sensor
            .iter()
            .map(|r| r.outlet_id)
            .chain(b.outlets.keys().copied())
            .collect();
        let ccu_ids: HashSet<String> = b
            .breaker
            .iter()
            .map(|r| r.ccu_id.clone())
            .chain(b.ccus.keys().cloned())
            .collect();
        let outlets: HashSet<i32> = outlet::Entity::find()
            .select_only()
            .column(outlet::Column::Id)
            .filter(outlet::Column::Id.is_in(outlet_ids))
            .into_tuple()
            .all(self.db())
            .await?
            .into_iter()
            .collect();
        let ccus: HashSet<String> = ccu::Entity::find()
            .select_only()
            .column(ccu::Column::Id)
            .filter(ccu::Column::Id.is_in(ccu_ids))
            .into_tuple()
            .all(self.db())
            .await?
            .into_iter()
            .collect();
        let before = b.n_rows();
        b.sensor.retain(|r| outlets.contains(&r.outlet_id));
        b.outlets.retain(|id, _| outlets.contains(id));
        b.breaker.retain(|r| ccus.contains(&r.ccu_id));
        b.ccus.retain(|id, _| ccus.contains(id));
        Ok((before - b.n_rows()) as u64)
    }
}
