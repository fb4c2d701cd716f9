//! The history writer: one task that groups readings and latest-state updates into
//! transactions of up to `history.batch_size` rows or `history.flush_interval`, committed
//! in order, up to `history.in_flight` of them at a time on PostgreSQL ([`sink`]).
//!
//! Ingest never waits on a database round trip per reading; it waits only when the writer
//! is a whole channel behind (back-pressure instead of loss). A batch that fails is retried
//! until it is stored (the spool keeps taking device publishes meanwhile); only at shutdown
//! is it given up after [`STOP_PATIENCE`], and then the spool still holds its publishes.
//! With a spool, a batch also carries how far the spool is stored ([`WriteOp::Release`]),
//! committed in the same transaction, and the spool is released after the commit.

mod acker;
mod sink;
#[cfg(test)]
mod tests;

use crate::bus::{AckToken, Bus};
use crate::metrics::Metrics;
use crate::spool::Spool;
use crate::store::batch::CcuLatest;
use crate::store::{Batch, BreakerRow, OutletLatest, SensorRow, Store};
use acker::ToAcker;
use sink::{Sink, Turn};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Queue length between ingest and the writer.
const CHANNEL: usize = 65_536;
/// How long a failing batch is retried once the writer is asked to stop.
pub const STOP_PATIENCE: Duration = Duration::from_secs(20);
/// Most batches in flight (`history.in_flight`): one committing, the next inserting.
pub const MAX_IN_FLIGHT: usize = 2;

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
        in_flight: usize,
        metrics: Arc<Metrics>,
        spool: Option<Arc<Spool>>,
        bus: Bus,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let fixed = (store, batch_size, flush_interval, in_flight);
        Writer::spawn_patient(fixed, metrics, spool, bus, sink::PATIENCE)
    }

    /// [`Writer::spawn`] with the patience of a batch that waits for the one before
    /// ([`sink`]); tests shorten or lengthen it.
    pub(crate) fn spawn_patient(
        (store, batch_size, flush_interval, in_flight): (Store, usize, Duration, usize),
        metrics: Arc<Metrics>,
        spool: Option<Arc<Spool>>,
        bus: Bus,
        patience: Duration,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (acks, to_ack) = mpsc::unbounded_channel();
        tokio::spawn(acker::acker(to_ack, bus, metrics.clone()));
        // SQLite has one writer at a time: a second transaction would wait for the first.
        let in_flight = if store.is_sqlite() {
            1
        } else {
            in_flight.clamp(1, MAX_IN_FLIGHT)
        };
        let sink = Arc::new(Sink {
            store,
            metrics,
            spool,
            acks,
            stop_at: OnceLock::new(),
            patience,
        });
        let task = tokio::spawn(run(rx, sink, batch_size, flush_interval, in_flight));
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

/// What waits for a batch's commit besides its rows.
#[derive(Default)]
struct After {
    waiters: Vec<oneshot::Sender<()>>,
    acks: Vec<AckToken>,
    committed: Vec<oneshot::Sender<bool>>,
}

async fn run(
    mut rx: mpsc::Receiver<WriteOp>,
    sink: Arc<Sink>,
    batch_size: usize,
    flush_interval: Duration,
    in_flight: usize,
) {
    let mut flights: VecDeque<JoinHandle<()>> = VecDeque::new();
    // the last batch's answers, for the next one's turn
    let mut prev: Option<(oneshot::Receiver<bool>, oneshot::Receiver<bool>)> = None;
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
        if stopping {
            sink.stop_at.get_or_init(Instant::now);
        }
        while flights.len() >= in_flight
            && let Some(oldest) = flights.pop_front()
        {
            let _ = oldest.await;
        }
        let (first_tx, first_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel();
        let (prev_first, prev_done) = prev.take().unzip();
        let turn = Turn {
            prev_first,
            prev_done,
            first: first_tx,
        };
        let sink = sink.clone();
        flights.push_back(tokio::spawn(async move {
            let stored = write_batch(&sink, batch, after, stopping, turn).await;
            let _ = done_tx.send(stored);
        }));
        prev = Some((first_rx, done_rx));
    }
    for flight in flights {
        let _ = flight.await;
    }
    tracing::debug!("history writer stopped");
}

/// Writes one batch in its turn and answers whoever waits for it; whether it is stored.
async fn write_batch(
    sink: &Sink,
    mut batch: Batch,
    after: After,
    stopping: bool,
    turn: Turn,
) -> bool {
    let After {
        waiters,
        acks,
        committed,
    } = after;
    // only what is stored is acknowledged; the rest the broker delivers again
    let stored = sink.write_in_turn(&mut batch, turn, acks).await;
    if stopping {
        // the last batch: its acknowledgements (and all before) are with the MQTT client
        // before the stop is answered (the connection stays up until they are written)
        let (done, handed) = oneshot::channel();
        if sink.acks.send(ToAcker::Done(done)).is_ok() {
            let _ = handed.await;
        }
    }
    for c in committed {
        let _ = c.send(stored);
    }
    for w in waiters {
        let _ = w.send(());
    }
    stored
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
