//! Readings a CCU reported it dropped (offline buffer full), summed over its drop reports.

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Ccus {
    Table,
    /// Total of the `dropped` counts of the CCU's drop reports (`ccu/<id>/status`).
    ReadingsDropped,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            Ccus::Table,
            [big_integer(Ccus::ReadingsDropped).default(0).to_owned()],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, Ccus::Table, [Ccus::ReadingsDropped]).await
    }
}
