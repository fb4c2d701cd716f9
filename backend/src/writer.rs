//! The history writer: one task that groups readings and latest-state updates into
//! transactions of up to `history.batch_size` rows or `history.flush_interval`.
//!
//! Ingest never waits on a database round trip per reading; it waits only when the writer
//! is a whole channel behind (back-pressure instead of loss). A batch that fails is retried
//! until it is stored (the spool keeps taking device publishes meanwhile); only at shutdown
//! is it given up after [`STOP_PATIENCE`], and then the spool still holds its publishes.
//! With a spool, a batch also carries how far the spool is stored ([`WriteOp::Release`]),
//! committed in the same transaction, and the spool is released after the commit.

use crate::bus::{AckToken, Bus};
use crate::metrics::Metrics;
use crate::spool::Spool;
use crate::store::batch::CcuLatest;
use crate::store::{Batch, BreakerRow, OutletLatest, SensorRow, Store};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Queue length between ingest and the writer.
const CHANNEL: usize = 65_536;
/// How long a failing batch is retried once the writer is asked to stop.
pub const STOP_PATIENCE: Duration = Duration::from_secs(20);
/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// One thing to write.
#[derive(Debug)]
pub enum WriteOp {
    /// A history row.
    Sensor(SensorRow),
    /// A history row.
    Breaker(BreakerRow),
    /// Newest outlet state.
    Outlet(i32, OutletLatest),
    /// Newest CCU state.
    Ccu(String, CcuLatest),
    /// Everything produced by spool records up to this one was sent before.
    Release(u64),
    /// Everything produced by this broker publish was sent before: acknowledge it to the
    /// broker once committed (persistent sessions, `Bus::ack`).
    Ack(AckToken),
    /// Answer once everything sent before is committed.
    Flush(oneshot::Sender<()>),
    /// Answer whether everything sent before is stored, once its batch is committed (or
    /// given up at shutdown). Group commit: the batch is written as soon as nothing else is
    /// queued, not at the end of `flush_interval`.
    Committed(oneshot::Sender<bool>),
    /// Write everything sent before, answer, and end the task (shutdown).
    Stop(oneshot::Sender<()>),
}

/// The sending side.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<WriteOp>,
}

impl Writer {
    /// Starts the writer task.
    pub fn spawn(
        store: Store,
        batch_size: usize,
        flush_interval: Duration,
        metrics: Arc<Metrics>,
        spool: Option<Arc<Spool>>,
        bus: Bus,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (acks, to_ack) = mpsc::unbounded_channel();
        tokio::spawn(acker(to_ack, bus, metrics.clone()));
        let sink = Sink {
            store,
            metrics,
            spool,
            acks,
        };
        let task = tokio::spawn(run(rx, sink, batch_size, flush_interval));
        (Writer { tx }, task)
    }

    /// Queues an operation (waits only when the queue is full).
    pub async fn send(&self, op: WriteOp) {
        if self.tx.send(op).await.is_err() {
            tracing::error!("history writer stopped; update lost");
        }
    }

    /// Waits until everything queued before is committed.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::Flush(tx)).await;
        let _ = rx.await;
    }

    /// Whether everything queued before is stored, once it is: what a device that gets no
    /// other acknowledgement (the legacy HTTP shim) waits for before its answer.
    pub async fn committed(&self) -> bool {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::Committed(tx)).await;
        rx.await.unwrap_or(false)
    }

    /// Commits everything queued before and ends the writer; later updates are refused
    /// (and logged). Call once nothing produces updates any more.
    pub async fn stop(&self) {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::Stop(tx)).await;
        let _ = rx.await;
    }
}

/// Where batches go.
struct Sink {
    store: Store,
    metrics: Arc<Metrics>,
    spool: Option<Arc<Spool>>,
    /// To [`acker`].
    acks: mpsc::UnboundedSender<ToAcker>,
}

/// What the [`acker`] is handed.
enum ToAcker {
    /// Acknowledge this publish.
    Ack(AckToken),
    /// Answer once every acknowledgement before is with the MQTT client.
    Done(oneshot::Sender<()>),
}

/// Sends the broker the acknowledgements of committed publishes, in commit order, each
/// waiting for room in the MQTT client's queue (never dropped, and never holding up the
/// writer: the queue between them is unbounded, and bounded in practice by the broker's
/// in-flight window). Ends with the writer.
async fn acker(mut rx: mpsc::UnboundedReceiver<ToAcker>, bus: Bus, metrics: Arc<Metrics>) {
    while let Some(msg) = rx.recv().await {
        match msg {
            ToAcker::Ack(token) => {
                if !bus.ack(token).await {
                    metrics.broker_acks_failed.fetch_add(1, Relaxed);
                }
            }
            ToAcker::Done(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// What waits for a batch's commit besides its rows.
#[derive(Default)]
struct After {
    waiters: Vec<oneshot::Sender<()>>,
    acks: Vec<AckToken>,
    committed: Vec<oneshot::Sender<bool>>,
}

async fn run(
    mut rx: mpsc::Receiver<WriteOp>,
    sink: Sink,
    batch_size: usize,
    flush_interval: Duration,
) {
    let mut stopping = false;
    while !stopping && let Some(first) = rx.recv().await {
        let mut batch = Batch::default();
        let mut after = After::default();
        let mut flush_now = add(&mut batch, &mut after, &mut stopping, first);
        let deadline = Instant::now() + flush_interval;
        while !flush_now && batch.n_rows() < batch_size {
            if !after.committed.is_empty() {
                // someone waits for this batch: take what is queued already, then write
                match rx.try_recv() {
                    Ok(op) => flush_now = add(&mut batch, &mut after, &mut stopping, op),
                    Err(_) => break,
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(op)) => flush_now = add(&mut batch, &mut after, &mut stopping, op),
                Ok(None) | Err(_) => break,
            }
        }
        let stored = sink.write(&mut batch, stopping).await;
        if stored {
            // only what is stored is acknowledged; the rest the broker delivers again
            for ack in after.acks {
                let _ = sink.acks.send(ToAcker::Ack(ack));
            }
        }
        if stopping {
            // the last batch: its acknowledgements are with the MQTT client before the stop
            // is answered (the connection stays up until they are written)
            let (done, handed) = oneshot::channel();
            if sink.acks.send(ToAcker::Done(done)).is_ok() {
                let _ = handed.await;
            }
        }
        for c in after.committed {
            let _ = c.send(stored);
        }
        for w in after.waiters {
            let _ = w.send(());
        }
    }
    tracing::debug!("history writer stopped");
}

/// Adds `op` to the batch; true when the batch must be written now.
fn add(batch: &mut Batch, after: &mut After, stopping: &mut bool, op: WriteOp) -> bool {
    let waiters = &mut after.waiters;
    match op {
        WriteOp::Sensor(r) => batch.sensor.push(r),
        WriteOp::Breaker(r) => batch.breaker.push(r),
        WriteOp::Outlet(id, l) => batch.outlets.entry(id).or_default().merge(l),
        WriteOp::Ccu(id, l) => {
            let e = batch.ccus.entry(id).or_default();
            e.last_seen = e.last_seen.max(l.last_seen);
            if l.breaker.is_some() {
                e.breaker = l.breaker;
            }
        }
        WriteOp::Release(seq) => batch.spool_release = Some(seq),
        WriteOp::Ack(token) => after.acks.push(token),
        WriteOp::Committed(c) => after.committed.push(c),
        WriteOp::Flush(w) => {
            waiters.push(w);
            return true;
        }
        WriteOp::Stop(w) => {
            waiters.push(w);
            *stopping = true;
            return true;
        }
    }
    false
}

impl Sink {
    /// Takes the rows of deleted devices out of a batch the foreign keys refused; true when
    /// there were any (the batch is tried again at once).
    async fn drop_orphans(&self, batch: &mut Batch) -> bool {
        match self.store.drop_orphans(batch).await {
            Ok(0) => false,
            Ok(n) => {
                self.metrics.history_orphans.fetch_add(n, Relaxed);
                tracing::warn!(
                    rows = n,
                    "history rows of deleted outlets or CCUs dropped (deleted while they waited for the writer)"
                );
                true
            }
            Err(e) => {
                tracing::warn!(cause = %e, "cannot look up deleted devices of a refused batch");
                false
            }
        }
    }

    /// Writes the batch, retrying until it is stored (or, once `stopping`, for
    /// [`STOP_PATIENCE`]); then releases the spool up to the batch's mark. True once
    /// stored (or nothing to store).
    async fn write(&self, batch: &mut Batch, stopping: bool) -> bool {
        if batch.is_empty() {
            return true;
        }
        let metrics = &self.metrics;
        let mut delay = Duration::from_millis(50);
        let started = Instant::now();
        let mut attempt = 0u32;
        let copies = loop {
            attempt += 1;
            match self.store.write_batch(batch).await {
                Ok(copies) => break copies,
                Err(e) if e.is_foreign_key() && self.drop_orphans(batch).await => continue,
                Err(e) => {
                    let n = metrics.history_errors.fetch_add(1, Relaxed) + 1;
                    metrics.history_failing.store(true, Relaxed);
                    tracing::warn!(cause = %e, attempt, errors = n, rows = batch.n_rows(), "history batch failed; retrying");
                    if stopping && started.elapsed() >= STOP_PATIENCE {
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
        };
        metrics.history_failing.store(false, Relaxed);
        metrics.history_batches.fetch_add(1, Relaxed);
        metrics
            .history_rows
            .fetch_add((batch.n_rows() as u64).saturating_sub(copies), Relaxed);
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
        true
    }
}
