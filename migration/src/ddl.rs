//! Statement builders the migrations share: a new table, a foreign key that cascades, indexes,
//! and columns added or dropped one `ALTER TABLE` at a time (SQLite's takes one column).
//!
//! They only spell the statements the migrations used to build inline: an applied migration
//! must run the same SQL forever (`tests/schema.rs` pins the schema they give).

use sea_orm_migration::prelude::*;

/// `CREATE TABLE IF NOT EXISTS <table>`, for the caller's columns and keys.
pub fn new_table(table: impl IntoTableRef) -> TableCreateStatement {
    Table::create().table(table).if_not_exists().to_owned()
}

/// A foreign key from `from.col` to `to.key` whose rows are deleted with the row they point at.
pub fn cascade_on_delete(
    (from, col): (impl IntoTableRef, impl IntoIden),
    (to, key): (impl IntoTableRef, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, key)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// `CREATE INDEX IF NOT EXISTS <name> ON <table> (<cols>)`; `.unique()` makes it unique.
pub fn index<T, C>(name: &str, table: T, cols: &[C]) -> IndexCreateStatement
where
    T: IntoTableRef,
    C: IntoIden + Copy,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for &c in cols {
        stmt.col(c);
    }
    stmt
}

/// Runs each raw statement, in order (migrations written as SQL the same on both databases).
pub async fn run_sql(m: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = m.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// `DROP TABLE IF EXISTS` each table, in the order given (children before their parents).
pub async fn drop_tables(
    m: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        m.drop_table(Table::drop().table(table).if_exists().to_owned())
            .await?;
    }
    Ok(())
}

/// `ALTER TABLE <table> ADD COLUMN` each column, in order.
pub async fn add_columns<T: IntoTableRef + Copy>(
    m: &SchemaManager<'_>,
    table: T,
    cols: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    alter_each(m, table, cols, |alter, col| alter.add_column(col)).await
}

/// `ALTER TABLE <table> ADD COLUMN IF NOT EXISTS` each column, in order.
pub async fn add_columns_if_not_exists<T: IntoTableRef + Copy>(
    m: &SchemaManager<'_>,
    table: T,
    cols: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    alter_each(m, table, cols, |alter, col| {
        alter.add_column_if_not_exists(col)
    })
    .await
}

/// `ALTER TABLE <table> DROP COLUMN` each column, in order.
pub async fn drop_columns<T: IntoTableRef + Copy, C: IntoIden>(
    m: &SchemaManager<'_>,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    alter_each(m, table, cols, |alter, col| alter.drop_column(col)).await
}

/// One `ALTER TABLE <table>` statement per item, each made by `change`.
async fn alter_each<T: IntoTableRef + Copy, I>(
    m: &SchemaManager<'_>,
    table: T,
    items: impl IntoIterator<Item = I>,
    change: impl Fn(&mut TableAlterStatement, I) -> &mut TableAlterStatement,
) -> Result<(), DbErr> {
    for item in items {
        let mut alter = Table::alter();
        alter.table(table);
        change(&mut alter, item);
        m.alter_table(alter).await?;
    }
    Ok(())
}
