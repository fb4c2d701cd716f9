//! The `breaker_readings` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breaker_readings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ccu_id: String,
    pub ts: i64,
    pub current_ma: i64,
    pub threshold_ma: i64,
    /// One row per device per slot (see the `reading_slot` migration); None before it.
    pub slot: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
