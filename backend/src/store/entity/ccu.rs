//! The `ccus` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ccus")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: i32,
    pub name: String,
    pub location: String,
    pub secret_hash: String,
    pub transport: String,
    pub breaker_threshold_ma: i64,
    pub online: bool,
    pub firmware: Option<String>,
    pub last_seen: Option<i64>,
    pub breaker_ma: Option<i64>,
    pub breaker_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub legacy_addr: Option<String>,
    pub legacy_bind_until: Option<i64>,
    pub legacy_focus: Option<String>,
    pub legacy_focus_until: Option<i64>,
    pub readings_dropped: i64,
    pub auto_cutoff_pct: Option<i32>,
    pub last_cutoff_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
