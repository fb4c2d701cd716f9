//! The `alerts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub ccu_id: Option<String>,
    pub outlet_id: Option<i32>,
    pub kind: String,
    pub message: String,
    pub value: Option<i64>,
    pub threshold: Option<i64>,
    pub raised_at: i64,
    pub cleared_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
