//! Users get an admin role and a disabled flag; the oldest existing user becomes admin.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    IsAdmin,
    Disabled,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column_if_not_exists(boolean(Users::IsAdmin).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column_if_not_exists(boolean(Users::Disabled).default(false))
                .to_owned(),
        )
        .await?;
        // An existing installation's first user is its admin.
        let first = Query::select()
            .expr(Expr::col(Users::Id).min())
            .from(Users::Table)
            .to_owned();
        m.exec_stmt(
            Query::update()
                .table(Users::Table)
                .value(Users::IsAdmin, true)
                .and_where(Expr::col(Users::Id).in_subquery(first))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::Disabled)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::IsAdmin)
                .to_owned(),
        )
        .await
    }
}
