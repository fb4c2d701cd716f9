//! The old firmware's only acknowledgement is the answer to its POST, so a reading is answered
//! once it is committed; the breaker reading of `POST /api/breaker-data/` lives here too.

use crate::app::Backend;
use crate::ingest::IngestError;
use crate::registry::CcuEntry;
use ccu_core::protocol::BreakerReading;
use std::time::Duration;

/// Longest wait for a reading's commit before the old firmware is told it failed.
const COMMIT_PATIENCE: Duration = Duration::from_secs(5);

impl Backend {
    /// Waits until what the request produced is committed (group commit: no flush interval
    /// waited for), so a crash after the answer loses nothing. A reading the database does not
    /// take in [`COMMIT_PATIENCE`] is an error for the caller; it stays queued and is stored
    /// when the database takes it.
    pub(super) async fn stored_before_answer(&self) -> Result<(), IngestError> {
        match tokio::time::timeout(COMMIT_PATIENCE, self.inner.writer.committed()).await {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(IngestError::Internal(crate::Error::NotStored)),
        }
    }

    /// Takes an old-firmware breaker reading of `ccu`; whether it got a history row.
    pub async fn legacy_breaker_reading(
        &self,
        ccu: &CcuEntry,
        current_ma: i64,
    ) -> Result<bool, IngestError> {
        if let Err(e) = self.legacy_seen(&ccu.id).await {
            tracing::warn!(ccu = %ccu.id, cause = %e, "legacy presence update failed");
        }
        let history = |b: &Backend| b.state().ccu(&ccu.id).and_then(|s| s.last_history_ts);
        let before = history(self);
        let reading = BreakerReading {
            current_ma,
            ts: None,
        };
        self.ingest_breaker(ccu, reading).await?;
        self.stored_before_answer().await?;
        Ok(history(self) != before)
    }
}
