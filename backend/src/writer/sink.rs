//! Where batches go: each is written in its turn, commits in the order the batches were made.
//!
//! On PostgreSQL two batches can be in flight: a batch inserts its history rows in its own
//! transaction while the batch before it commits, then writes its latest state and spool
//! position and commits once that one has (rows only ever add up, so inserting them early
//! changes nothing; the latest state and the spool position must be written in order). When
//! the batch before fails its first attempt, or has not committed within [`PATIENCE`] (1 s), this
//! one rolls back, waits until that one is stored, and is then written on its own with
//! retries, as every batch is on SQLite. The patience bounds how long this batch holds its
//! locks while it waits inside the process, where PostgreSQL's deadlock detector cannot see
//! the wait: a lock queued between the two (an outlet deleted while its readings are in
//! flight, an `ALTER TABLE`) would otherwise hold all three until the `lock_timeout`.

use super::STOP_PATIENCE;
use super::acker::ToAcker;
use crate::bus::AckToken;
use crate::metrics::Metrics;
use crate::spool::Spool;
use crate::store::{Batch, Store, Written};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How long a batch that has inserted its rows waits, holding its locks, for the batch before
/// to commit before it rolls back and waits without them.
pub(super) const PATIENCE: Duration = Duration::from_secs(1);

/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Where a batch stands in the order of commits.
pub(super) struct Turn {
    /// Whether the batch before committed at its first attempt (None: there is none).
    pub prev_first: Option<oneshot::Receiver<bool>>,
    /// Whether the batch before is stored, once it is (false: given up at shutdown).
    pub prev_done: Option<oneshot::Receiver<bool>>,
    /// Tells the batch after whether this one committed at its first attempt.
    pub first: oneshot::Sender<bool>,
}

/// The database and what follows a commit.
pub(super) struct Sink {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub spool: Option<Arc<Spool>>,
    /// To the acker.
    pub acks: mpsc::UnboundedSender<ToAcker>,
    /// When the writer was asked to stop: failing batches are given up [`STOP_PATIENCE`]
    /// after it.
    pub stop_at: OnceLock<Instant>,
    /// How long a batch holding its locks waits for the one before: [`PATIENCE`].
    pub patience: Duration,
}

/// A receiver's answer; a dropped sender counts as "no".
async fn answer(rx: Option<oneshot::Receiver<bool>>) -> bool {
    match rx {
        Some(rx) => rx.await.unwrap_or(false),
        None => true,
    }
}

impl Sink {
    /// Writes `batch` in its turn and acknowledges its publishes once it is stored, before
    /// the batch after may commit (acknowledgements leave in commit order). True once stored
    /// (or nothing to store).
    pub(super) async fn write_in_turn(
        &self,
        batch: &mut Batch,
        turn: Turn,
        acks: Vec<AckToken>,
    ) -> bool {
        let Turn {
            prev_first,
            prev_done,
            first,
        } = turn;
        if !batch.is_empty() {
            let open = self.store.insert_rows(batch).await;
            let prev_committed = match tokio::time::timeout(self.patience, answer(prev_first)).await
            {
                Ok(committed) => committed,
                Err(_) => {
                    self.metrics.history_yields.fetch_add(1, Relaxed);
                    tracing::debug!(
                        "the batch before is slow to commit: this one lets go of its locks and waits"
                    );
                    false
                }
            };
            match open {
                Ok(open) if prev_committed => match self.store.commit_batch(open, batch).await {
                    Ok(written) => {
                        self.stored(batch, written, acks);
                        let _ = first.send(true);
                        return true;
                    }
                    Err(e) => self.failed(&e, batch, 1),
                },
                Ok(open) => open.rollback().await,
                Err(e) => self.failed(&e, batch, 1),
            }
        }
        // After a failure (or with nothing to write): on its own, once the batch before is.
        let _ = first.send(false);
        if !answer(prev_done).await {
            return false; // given up at shutdown: so is this one (the spool replays both)
        }
        let stored = self.write(batch).await;
        if stored {
            for ack in acks {
                let _ = self.acks.send(ToAcker::Ack(ack));
            }
        }
        stored
    }

    /// Writes the batch alone, retrying until it is stored (or, once the writer is asked to
    /// stop, for [`STOP_PATIENCE`]). True once stored (or nothing to store).
    async fn write(&self, batch: &mut Batch) -> bool {
        if batch.is_empty() {
            return true;
        }
        let mut delay = Duration::from_millis(50);
        let mut attempt = 1u32;
        loop {
            attempt += 1;
            match self.store.write_batch(batch).await {
                Ok(written) => {
                    self.stored(batch, written, Vec::new());
                    return true;
                }
                Err(e) if e.is_foreign_key() && self.drop_orphans(batch).await => continue,
                Err(e) => {
                    self.failed(&e, batch, attempt);
                    if self
                        .stop_at
                        .get()
                        .is_some_and(|at| at.elapsed() >= STOP_PATIENCE)
                    {
                        tracing::error!(
                            rows = batch.n_rows(),
                            spooled = self.spool.is_some(),
                            "history batch given up at shutdown; the spool replays it at the next start when it holds it"
                        );
                        return false;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Counts and logs a failed attempt.
    fn failed(&self, e: &crate::Error, batch: &Batch, attempt: u32) {
        let n = self.metrics.history_errors.fetch_add(1, Relaxed) + 1;
        self.metrics.history_failing.store(true, Relaxed);
        tracing::warn!(cause = %e, attempt, errors = n, rows = batch.n_rows(), "history batch failed; retrying");
    }

    /// After a commit: counts, acknowledges the batch's publishes, releases the spool.
    fn stored(&self, batch: &Batch, written: Written, acks: Vec<AckToken>) {
        let Written { copies, orphans } = written;
        let metrics = &self.metrics;
        for ack in acks {
            let _ = self.acks.send(ToAcker::Ack(ack));
        }
        metrics.history_failing.store(false, Relaxed);
        metrics.history_batches.fetch_add(1, Relaxed);
        metrics.history_rows.fetch_add(
            (batch.n_rows() as u64).saturating_sub(copies + orphans),
            Relaxed,
        );
        if orphans > 0 {
            self.orphans_dropped(orphans);
        }
        if copies > 0 {
            metrics.history_duplicates.fetch_add(copies, Relaxed);
            tracing::debug!(
                copies,
                "history rows already stored (redelivered, or another instance's row for the same interval)"
            );
        }
        if let (Some(spool), Some(seq)) = (&self.spool, batch.spool_release)
            && let Err(e) = spool.release(seq)
        {
            tracing::warn!(cause = %e, seq, "cannot delete released spool segments");
        }
    }

    /// Counts and logs history rows of deleted devices, left out of a batch.
    fn orphans_dropped(&self, n: u64) {
        self.metrics.history_orphans.fetch_add(n, Relaxed);
        tracing::warn!(
            rows = n,
            "history rows of deleted outlets or CCUs dropped (deleted while they waited for the writer)"
        );
    }

    /// Takes the rows of deleted devices out of a batch the foreign keys refused; true when
    /// there were any (the batch is tried again at once).
    async fn drop_orphans(&self, batch: &mut Batch) -> bool {
        match self.store.drop_orphans(batch).await {
            Ok(0) => false,
            Ok(n) => {
                self.orphans_dropped(n);
                true
            }
            Err(e) => {
                tracing::warn!(cause = %e, "cannot look up deleted devices of a refused batch");
                false
            }
        }
    }
}
