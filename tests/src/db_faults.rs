//! Database failures a test can cause and undo while the server runs.

use crate::TestApp;
use sea_orm::ConnectionTrait;

/// Renames a table of the running server's database (`ALTER TABLE … RENAME TO …`, the same on
/// SQLite and PostgreSQL): every statement on it fails until it is renamed back.
pub async fn rename_table(app: &TestApp, from: &str, to: &str) {
    app.store()
        .db()
        .execute_unprepared(&format!("ALTER TABLE {from} RENAME TO {to}"))
        .await
        .expect("rename table");
}
