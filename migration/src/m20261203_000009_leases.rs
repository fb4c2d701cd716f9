//! Leases: a named right (e.g. `timers`) that one instance of a cluster holds until
//! `expires_at`, renewed by its holder, taken over by another instance once it expired.

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{drop_tables, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Leases {
    Table,
    /// What the lease grants (`timers`: command time-outs, expiry and the presence sweep).
    Name,
    /// The instance holding it (a random id per process).
    Holder,
    /// Unix ms after which another instance may take it.
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            new_table(Leases::Table)
                .col(string(Leases::Name).primary_key())
                .col(string(Leases::Holder))
                .col(big_integer(Leases::ExpiresAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, [Leases::Table.into_iden()]).await
    }
}
