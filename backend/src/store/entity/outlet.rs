//! The `outlets` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outlets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub ccu_id: String,
    pub device_id: String,
    pub name: String,
    pub location: String,
    pub threshold_ma: i64,
    pub current_a: Option<i64>,
    pub current_b: Option<i64>,
    pub relay_a: Option<bool>,
    pub relay_b: Option<bool>,
    pub is_overload: bool,
    pub online: bool,
    pub last_seen: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub cutoff_protected: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
