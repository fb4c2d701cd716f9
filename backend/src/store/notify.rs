//! Messages between the instances sharing one PostgreSQL database: `NOTIFY` on a channel
//! reaches every instance that `LISTEN`s on it (what live views use to see the events of
//! other instances).

use super::Store;
use crate::Error;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The longest payload sent: PostgreSQL refuses 8 000 bytes and more.
pub const MAX_PAYLOAD: usize = 7_900;

impl Store {
    /// Whether other instances can be notified through this database (PostgreSQL).
    pub fn can_notify(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Sends `payload` (at most [`MAX_PAYLOAD`] bytes) to every listener of `channel`,
    /// this instance's own included.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), Error> {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [channel.into(), payload.into()],
            ))
            .await?;
        Ok(())
    }

    /// Starts listening on `channels` on a connection of its own, taken from the pool.
    pub async fn listen(&self, channels: &[&str]) -> Result<Listener, Error> {
        let pool = self.db.get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool).await.map_err(sqlx_error)?;
        listener
            .listen_all(channels.iter().copied())
            .await
            .map_err(sqlx_error)?;
        Ok(Listener(listener))
    }
}

/// The receiving end of [`Store::listen`].
#[derive(Debug)]
pub struct Listener(PgListener);

impl Listener {
    /// The next notification: its channel and payload. `Ok(None)`: the connection was lost;
    /// it is opened again on the next call, and what was sent in between is gone. An error
    /// once the pool is closed.
    pub async fn next(&mut self) -> Result<Option<(String, String)>, Error> {
        let got = self.0.try_recv().await.map_err(sqlx_error)?;
        Ok(got.map(|n| (n.channel().to_string(), n.payload().to_string())))
    }
}

fn sqlx_error(e: sea_orm::sqlx::Error) -> Error {
    Error::Db(DbErr::Custom(format!("listen/notify: {e}")))
}
