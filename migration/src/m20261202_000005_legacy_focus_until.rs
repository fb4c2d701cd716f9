//! How long a legacy CCU's focus lasts: an outlet a person has open in the dashboard stays
//! focused only while the dashboard keeps saying so.

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Ccus {
    Table,
    /// Unix ms until which `legacy_focus` holds; NULL = until cleared (the old routes).
    LegacyFocusUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(m, Ccus::Table, [big_integer_null(Ccus::LegacyFocusUntil)]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, Ccus::Table, [Ccus::LegacyFocusUntil]).await
    }
}
