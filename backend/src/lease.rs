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

use crate::app::Backend;
use crate::{Result, clock};
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

    /// The outcome of a take-or-renew attempt begun at `started` (unix ms). A held lease is
    /// acted on for four fifths of its time: the rest is a margin for clocks and a round in
    /// progress. Returns whether it was held before.
    fn record(&self, started: i64, won: bool) -> bool {
        let until = if won {
            started.saturating_add(self.ttl_ms / 5 * 4)
        } else {
            0
        };
        let before = self.valid_until.swap(until, Relaxed);
        clock::now_ms() < before
    }
}

impl Backend {
    /// Whether this instance runs the timers now (holds the [`TIMERS`] lease).
    pub fn runs_timers(&self) -> bool {
        self.inner.lease.held()
    }

    /// This instance's view of the timers lease (its holder id).
    pub fn lease(&self) -> &Lease {
        &self.inner.lease
    }

    /// Stops the timers, the lease's renewal among them, without giving the lease up: what
    /// a `kill -9` leaves behind, for tests of the takeover.
    #[doc(hidden)]
    pub async fn halt_timers_as_if_killed(&self) {
        self.inner.tasks.stop_timers().await;
    }

    /// Takes or renews the timers lease (at start, then every `cluster.lease_ttl / 3`). On a
    /// database error the lease held so far lapses by itself.
    pub(crate) async fn renew_lease(&self) -> Result<()> {
        let lease = &self.inner.lease;
        let now = clock::now_ms();
        let won = self
            .inner
            .store
            .try_acquire_lease(lease.name, &lease.holder, now, lease.ttl_ms)
            .await?;
        let before = lease.record(now, won);
        match (before, won) {
            (false, true) => tracing::info!(
                lease = lease.name,
                holder = %lease.holder,
                "this instance took the lease: it runs command time-outs and the presence sweep"
            ),
            (true, false) => tracing::warn!(
                lease = lease.name,
                holder = %lease.holder,
                "this instance lost the lease to another one"
            ),
            _ => {}
        }
        Ok(())
    }

    /// Gives the timers lease up (graceful shutdown, after the timers stopped), so that
    /// another instance takes it at its next attempt instead of after the lease expired.
    pub(crate) async fn release_lease(&self) {
        let lease = &self.inner.lease;
        lease.valid_until.store(0, Relaxed);
        match self
            .inner
            .store
            .release_lease(lease.name, &lease.holder)
            .await
        {
            Ok(true) => tracing::info!(lease = lease.name, "lease given up"),
            Ok(false) => {}
            Err(e) => tracing::warn!(cause = %e, "cannot give the lease up; it expires by itself"),
        }
    }
}
