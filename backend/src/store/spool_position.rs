//! How far the spool of device publishes is stored (`spool_positions`): advanced in the
//! transaction that stores what those publishes produced.

use super::Store;
use super::stats::placeholders;
use crate::Error;
use sea_orm::{ConnectionTrait, Statement, Value};

/// The one spool of a node.
const NAME: &str = "spool";

impl Store {
    /// Every spool record up to this sequence number is stored (0: none yet).
    pub async fn spool_released(&self) -> Result<u64, Error> {
        let rows = self
            .raw_rows(
                "SELECT seq FROM spool_positions WHERE name = ?",
                [Value::from(NAME)],
            )
            .await?;
        let seq: i64 = match rows.first() {
            Some(r) => r.try_get("", "seq")?,
            None => 0,
        };
        Ok(u64::try_from(seq).unwrap_or(0))
    }
}

/// Records `seq` as stored, inside the caller's transaction.
pub(super) async fn set_released(db: &impl ConnectionTrait, seq: u64) -> Result<(), Error> {
    let backend = db.get_database_backend();
    let sql = "INSERT INTO spool_positions (name, seq) VALUES (?, ?) \
               ON CONFLICT (name) DO UPDATE SET seq = excluded.seq";
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    let stmt = Statement::from_sql_and_values(
        backend,
        placeholders(backend, sql),
        [Value::from(NAME), Value::from(seq)],
    );
    db.execute_raw(stmt).await?;
    Ok(())
}
