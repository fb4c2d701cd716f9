//! Users get an admin role and a disabled flag; the oldest existing user becomes admin.

use sea_orm_migration::{prelude::*, schema::*};

use crate::ddl::{add_columns_if_not_exists, drop_columns};

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
        let flags = [
            boolean(Users::IsAdmin).default(false).to_owned(),
            boolean(Users::Disabled).default(false).to_owned(),
        ];
        add_columns_if_not_exists(m, Users::Table, flags).await?;
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
        drop_columns(m, Users::Table, [Users::Disabled, Users::IsAdmin]).await
    }
}
