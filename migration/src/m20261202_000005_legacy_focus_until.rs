//! How long a legacy CCU's focus lasts: an outlet a person has open in the dashboard stays
//! focused only while the dashboard keeps saying so.

use sea_orm_migration::{prelude::*, schema::*};

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
        m.alter_table(
            Table::alter()
                .table(Ccus::Table)
                .add_column(big_integer_null(Ccus::LegacyFocusUntil))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Ccus::Table)
                .drop_column(Ccus::LegacyFocusUntil)
                .to_owned(),
        )
        .await
    }
}
