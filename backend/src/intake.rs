//! The embedded broker's intake: every device publish (`ccu/<id>/sensor|breaker|ack|status`,
//! wills included) is appended to the spool before the router acknowledges or routes it,
//! and committed before any acknowledgement leaves (`broker::Intake`).

use crate::metrics::Metrics;
use crate::spool::{Spool, SpoolError};
use ccu_core::protocol::Topic;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

/// The spool as the broker's intake.
pub struct SpoolIntake {
    spool: Arc<Spool>,
    metrics: Arc<Metrics>,
}

impl SpoolIntake {
    /// An intake writing to `spool`.
    pub fn new(spool: Arc<Spool>, metrics: Arc<Metrics>) -> SpoolIntake {
        SpoolIntake { spool, metrics }
    }
}

impl broker::Intake for SpoolIntake {
    fn accept(&self, client_id: &str, topic: &str, payload: &[u8]) -> bool {
        if !Topic::parse(topic).is_some_and(|t| t.kind.from_device()) {
            return true;
        }
        match self.spool.append(crate::clock::now_ms(), topic, payload) {
            Ok(_) => true,
            Err(e @ SpoolError::Full { .. }) => {
                let n = self.metrics.spool_refused.fetch_add(1, Relaxed) + 1;
                tracing::warn!(client_id, topic, cause = %e, refused = n, "spool full: publish refused, client disconnected (it keeps the message)");
                false
            }
            Err(e) => {
                let n = self.metrics.spool_errors.fetch_add(1, Relaxed) + 1;
                tracing::error!(client_id, topic, cause = %e, errors = n, "cannot spool a device publish: refused");
                false
            }
        }
    }

    fn commit(&self) -> bool {
        match self.spool.commit() {
            Ok(()) => true,
            Err(e) => {
                let n = self.metrics.spool_errors.fetch_add(1, Relaxed) + 1;
                tracing::error!(cause = %e, errors = n, "cannot write the spool: this round's publishes are dropped unacknowledged and their clients disconnected (they send them again)");
                false
            }
        }
    }
}
