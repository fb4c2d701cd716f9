//! How far the spool of device publishes is stored: written in the same transaction as the
//! rows those publishes produced, so a restart replays exactly what is missing.

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{drop_tables, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SpoolPositions {
    Table,
    /// Which spool (one per node).
    Name,
    /// Every record up to this sequence number is stored.
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            new_table(SpoolPositions::Table)
                .col(string(SpoolPositions::Name).primary_key())
                .col(big_integer(SpoolPositions::Seq))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, [SpoolPositions::Table.into_iden()]).await
    }
}
