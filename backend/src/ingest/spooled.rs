//! Ingest from the spool: records in order, each handled as if it arrived when the broker
//! received it, then marked for release once the writer has stored what it produced.
//!
//! A record that fails on the server's side while the database does not answer is retried
//! until it succeeds: the spool keeps taking publishes meanwhile. With the database
//! answering, a failing record is retried [`ATTEMPTS_WHEN_UP`] times, then given up (counted
//! once in `ingest_failures` and `spool_abandoned`, logged): a bug, or a table gone, must not
//! stop ingest for good.

use super::IngestError;
use crate::app::Backend;
use crate::spool::{Reader, Record};
use crate::tasks::StopSignal;
use crate::writer::WriteOp;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// Records per read.
const BATCH: usize = 512;
/// Failures of one record, with the database answering, before it is given up.
const ATTEMPTS_WHEN_UP: u32 = 3;
/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

tokio::task_local! {
    /// When the record being ingested was received (unix ms).
    static RECEIVED_AT: i64;
    /// The record being ingested was received before this process started.
    static REPLAYED: bool;
}

/// "Now" for ingest: when the broker received the message being handled (a replayed record
/// is judged by the time it arrived), else the clock.
pub(crate) fn received_now() -> i64 {
    RECEIVED_AT
        .try_with(|t| *t)
        .unwrap_or_else(|_| crate::clock::now_ms())
}

/// True while a record received before this process started is ingested: it says nothing
/// about who is connected now (every session of the embedded broker is new), so presence
/// leaves it out.
pub(crate) fn replayed() -> bool {
    REPLAYED.try_with(|r| *r).unwrap_or(false)
}

impl Backend {
    /// Ingests committed spool records until `stop`, then until the reader has caught up.
    pub(crate) async fn run_spool_ingest(&self, mut reader: Reader, mut stop: StopSignal) {
        loop {
            if reader.caught_up() {
                tokio::select! {
                    biased;
                    _ = reader.wait() => {}
                    _ = stop.stopped() => if reader.caught_up() { break },
                }
            }
            let read = tokio::task::spawn_blocking(move || {
                let batch = reader.read(BATCH);
                (reader, batch)
            })
            .await;
            let Ok((r, batch)) = read else {
                tracing::error!("spool reader task failed");
                return;
            };
            reader = r;
            let records = match batch {
                Ok(records) => records,
                Err(e) => {
                    tracing::error!(cause = %e, "cannot read the spool; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            for record in records {
                self.message_seen();
                self.ingest_record(&record).await;
                self.inner.writer.send(WriteOp::Release(record.seq)).await;
            }
        }
        tracing::debug!(next = reader.next_seq(), "spool ingest stopped");
    }

    async fn ingest_record(&self, rec: &Record) {
        let mut delay = Duration::from_millis(100);
        let mut failures_when_up = 0;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let replay = rec.at < self.inner.started_at;
            let handled = REPLAYED
                .scope(
                    replay,
                    RECEIVED_AT.scope(rec.at, self.ingest_inner(&rec.topic, &rec.payload)),
                )
                .await;
            let e = match handled {
                Ok(()) => return,
                Err(e @ IngestError::Rejected(_)) => e,
                Err(e @ IngestError::Internal(_)) => {
                    if self.database_ready().await.is_ok() {
                        failures_when_up += 1;
                    }
                    if failures_when_up < ATTEMPTS_WHEN_UP {
                        tracing::warn!(seq = rec.seq, topic = %rec.topic, cause = %e, attempt, "spooled message failed on the server's side; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(MAX_BACKOFF);
                        continue;
                    }
                    let n = self.inner.metrics.spool_abandoned.fetch_add(1, Relaxed) + 1;
                    tracing::error!(
                        seq = rec.seq,
                        abandoned = n,
                        attempt,
                        "spooled message keeps failing with the database answering; given up"
                    );
                    e
                }
            };
            self.ingest_failed(&rec.topic, &e);
            if let IngestError::Rejected(r) = &e {
                self.notify_sender(&rec.topic, r);
            }
            return;
        }
    }
}
