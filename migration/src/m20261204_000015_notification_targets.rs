//! `notification_targets`: where a user's alerts and automatic cut-offs are pushed (a generic
//! JSON webhook, ntfy, Gotify, Slack- or Discord-compatible webhooks). Deleted with the user.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on SQLite and PostgreSQL (the id column differs only in how it counts).
const UP_SQLITE: &str = "CREATE TABLE notification_targets ( \
       id integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
       user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE, \
       kind varchar NOT NULL, \
       url varchar NOT NULL, \
       created_at BIGINT NOT NULL )";
const UP_POSTGRES: &str = "CREATE TABLE notification_targets ( \
       id serial PRIMARY KEY, \
       user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE, \
       kind varchar NOT NULL, \
       url varchar NOT NULL, \
       created_at BIGINT NOT NULL )";
const INDEX: &str = "CREATE INDEX idx_notification_targets_user ON notification_targets (user_id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let create = match db.get_database_backend() {
            sea_orm_migration::sea_orm::DbBackend::Postgres => UP_POSTGRES,
            _ => UP_SQLITE,
        };
        db.execute_unprepared(create).await?;
        db.execute_unprepared(INDEX).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP TABLE notification_targets")
            .await?;
        Ok(())
    }
}
