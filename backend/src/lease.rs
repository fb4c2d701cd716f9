//! The `timers` lease: whether this instance is, now, the one of its cluster that decides
//! command time-outs, expiry and the presence sweep.
//!
//! Every process has a random holder id. At start and every `cluster.lease_ttl / 3` it takes
//! or renews the lease in the database (`Store::try_acquire_lease`, one conditional
//! statement); it acts as holder only until a little before the lease it wrote expires, so a
//! holder whose renewals stop (a stalled task, a lost database) stops acting before another
//! instance may take over. A graceful shutdown gives the lease up at once; after a `kill -9`
//! another instance takes it once it expired. With one instance it holds the lease from its
//! start.

use crate::{Result, Store, clock};
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::Duration;

/// The lease of the timers (command time-outs and expiry, the presence sweep).
pub const TIMERS: &str = "timers";

/// One named lease as this instance sees it.
#[derive(Debug)]
pub struct Lease {
    name: &'static str,
    holder: String,
    ttl_ms: i64,
    /// Unix ms until which this instance may act as the holder; 0 while it is not.
    valid_until: AtomicI64,
}

impl Lease {
    /// Lease `name` for a new random holder id, lasting `ttl` per renewal.
    pub fn new(name: &'static str, ttl: Duration) -> Lease {
        Lease {
            name,
            holder: uuid::Uuid::new_v4().to_string(),
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
            valid_until: AtomicI64::new(0),
        }
    }

    /// This instance's holder id.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Whether this instance holds the lease now.
    pub fn held(&self) -> bool {
        clock::now_ms() < self.valid_until.load(Relaxed)
    }

    /// Takes or renews the lease in `store`. On a database error the lease held so far
    /// lapses by itself.
    pub async fn renew(&self, store: &Store) -> Result<()> {
        let now = clock::now_ms();
        let won = store
            .try_acquire_lease(self.name, &self.holder, now, self.ttl_ms)
            .await?;
        // Acted on for four fifths of its time: the rest is a margin for clocks and for a
        // round in progress.
        let until = if won {
            now.saturating_add(self.ttl_ms / 5 * 4)
        } else {
            0
        };
        let before = self.valid_until.swap(until, Relaxed);
        match (clock::now_ms() < before, won) {
            (false, true) => tracing::info!(
                lease = self.name,
                holder = %self.holder,
                "this instance took the lease: it runs command time-outs and the presence sweep"
            ),
            (true, false) => tracing::warn!(
                lease = self.name,
                holder = %self.holder,
                "this instance lost the lease to another one"
            ),
            _ => {}
        }
        Ok(())
    }

    /// Gives the lease up (graceful shutdown, after the timers stopped), so that another
    /// instance takes it at its next attempt instead of after the lease expired.
    pub async fn release(&self, store: &Store) {
        self.valid_until.store(0, Relaxed);
        match store.release_lease(self.name, &self.holder).await {
            Ok(true) => tracing::info!(lease = self.name, "lease given up"),
            Ok(false) => {}
            Err(e) => tracing::warn!(cause = %e, "cannot give the lease up; it expires by itself"),
        }
    }
}
