//! The `sensor_readings` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sensor_readings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub outlet_id: i32,
    pub ts: i64,
    pub current_a: i64,
    pub current_b: i64,
    pub relay_a: Option<bool>,
    pub relay_b: Option<bool>,
    pub is_overload: bool,
    /// One row per device per slot (see the `reading_slot` migration); None before it.
    pub slot: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
