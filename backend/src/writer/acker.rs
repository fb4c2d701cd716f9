//! Sends the broker the acknowledgements of committed publishes, in commit order.

use crate::bus::{AckToken, Bus};
use crate::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tokio::sync::{mpsc, oneshot};

/// What the [`acker`] is handed.
pub(super) enum ToAcker {
    /// Acknowledge this publish.
    Ack(AckToken),
    /// Answer once every acknowledgement before is with the MQTT client.
    Done(oneshot::Sender<()>),
}

/// Acknowledges each publish it is handed, waiting for room in the MQTT client's queue (never
/// dropped, and never holding up the writer: the queue between them is unbounded, and bounded
/// in practice by the broker's in-flight window). Ends with the writer.
pub(super) async fn acker(
    mut rx: mpsc::UnboundedReceiver<ToAcker>,
    bus: Bus,
    metrics: Arc<Metrics>,
) {
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
