//! Legacy CCU binding: the address an old-firmware CCU calls from, the window in which an
//! unbound one may learn it, and its focused outlet (shared by every backend instance).

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Ccus {
    Table,
    /// Bound client address (text form), NULL = unbound.
    LegacyAddr,
    /// Unix ms until which an unbound CCU may learn its address, NULL = closed.
    LegacyBindUntil,
    /// The device id the dashboard focused, NULL = none.
    LegacyFocus,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let cols = [
            string_null(Ccus::LegacyAddr),
            big_integer_null(Ccus::LegacyBindUntil),
            string_null(Ccus::LegacyFocus),
        ];
        add_columns(m, Ccus::Table, cols).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let cols = [Ccus::LegacyFocus, Ccus::LegacyBindUntil, Ccus::LegacyAddr];
        drop_columns(m, Ccus::Table, cols).await
    }
}
