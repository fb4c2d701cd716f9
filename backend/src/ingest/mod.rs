//! Ingest of device traffic: topic routing, payload checks, and the per-kind handlers.
//!
//! Bad input (unknown CCU or outlet, another CCU's outlet, wrong types, negative or absurd
//! currents, a `ts` outside the window of `window.rs`, oversize or non-UTF-8 payloads) is
//! rejected with a log line and a per-reason
//! counter; nothing here panics or stops the loop.

mod breaker;
mod decode;
mod error;
pub mod history_gate;
mod payload;
mod sensor;
mod spooled;
mod steps;
pub mod window;

pub use decode::Rejection;
pub use error::IngestError;
pub use history_gate::{Backfill, HistoryPolicy};
pub(crate) use spooled::{received_now, replayed};
pub use window::Window;

use crate::app::Backend;
use crate::bus::BusEvent;
use crate::metrics::{RejectReason, Transport};
use crate::registry::CcuEntry;
use crate::writer::WriteOp;
use ccu_core::protocol::{DeviceError, SensorReading, Topic, TopicKind};
use std::sync::atomic::Ordering::Relaxed;
use tokio::sync::mpsc;

impl Backend {
    /// Consumes the bus until it closes: device messages go to [`Backend::ingest`]; each
    /// (re)connection republishes device lists and queued commands.
    pub async fn run_ingest(&self, mut rx: mpsc::Receiver<BusEvent>) {
        while let Some(ev) = rx.recv().await {
            match ev {
                BusEvent::Message {
                    topic,
                    payload,
                    ack,
                } => {
                    self.message_seen();
                    self.ingest(&topic, &payload).await;
                    if let Some(ack) = ack {
                        // after everything it produced, so acknowledged once committed
                        self.inner.writer.send(WriteOp::Ack(ack)).await;
                    }
                }
                BusEvent::Connected => {
                    let b = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = b.publish_all_devices().await {
                            tracing::warn!(cause = %e, "cannot publish device lists");
                        }
                    });
                }
            }
        }
    }

    /// Handles one MQTT publish from a device topic.
    pub async fn ingest(&self, topic: &str, payload: &[u8]) {
        if let Err(e) = self.ingest_inner(topic, payload).await {
            self.ingest_failed(topic, &e);
            if let IngestError::Rejected(r) = &e {
                self.notify_sender(topic, r);
            }
        }
    }

    /// Counts and logs a message not taken: a rejection under its reason, a server failure
    /// apart (as an error, never as the device's fault).
    pub fn ingest_failed(&self, origin: &str, e: &IngestError) {
        match e {
            IngestError::Rejected(r) => self.reject(origin, r),
            IngestError::Internal(cause) => {
                let n = self.inner.metrics.ingest_failures.fetch_add(1, Relaxed) + 1;
                tracing::error!(origin, %cause, failures = n, "server failed to handle a valid device message");
            }
        }
    }

    /// Tells a registered CCU why its message was rejected, on `ccu/<id>/error`.
    pub(crate) fn notify_sender(&self, topic: &str, r: &Rejection) {
        let Some(t) = Topic::parse(topic) else { return };
        if self.inner.registry.ccu(t.ccu_id).is_none() {
            return;
        }
        let notice = DeviceError::new(t.kind.as_str(), r.reason.as_str(), &r.detail);
        if let Ok(payload) = serde_json::to_vec(&notice) {
            let topic = format!("ccu/{}/{}", t.ccu_id, TopicKind::Error.as_str());
            self.inner.mqtt.bus.try_publish_qos0(topic, payload);
        }
    }

    /// Counts and logs a rejection.
    pub fn reject(&self, origin: &str, r: &Rejection) {
        let n = self.inner.metrics.reject(r.reason);
        tracing::warn!(origin, reason = r.reason.as_str(), count = n, detail = %r.detail, "rejected device message");
    }

    /// Decode the topic and authorize its CCU, then the per-kind pipeline.
    #[tracing::instrument(level = "debug", name = "ingest", skip_all, fields(topic = %topic))]
    pub(crate) async fn ingest_inner(
        &self,
        topic: &str,
        payload: &[u8],
    ) -> Result<(), IngestError> {
        let t = Topic::parse(topic)
            .filter(|t| t.kind.from_device())
            .ok_or_else(|| {
                Rejection::new(
                    RejectReason::BadTopic,
                    "not ccu/<id>/sensor|breaker|ack|status",
                )
            })?;
        let ccu = self.inner.registry.ccu(t.ccu_id).ok_or_else(|| {
            Rejection::new(
                RejectReason::UnknownCcu,
                format!("CCU {} is not registered", t.ccu_id),
            )
        })?;
        let text = payload::text(payload, self.inner.settings.ingest.max_payload_size)?;
        let now = received_now();
        if ccu.transport == crate::domain::Transport::Auto {
            self.claim_transport(&ccu.id, crate::domain::Transport::Mqtt)
                .await?;
        }
        // A replay (received before this process started) says nothing about presence now.
        let live = !replayed();
        if t.kind != TopicKind::Status && live {
            self.ccu_seen(&ccu.id, now).await?;
        }
        match t.kind {
            TopicKind::Sensor => {
                let readings = payload::sensor(text, self.inner.settings.ingest.max_batch)?;
                self.ingest_readings(&ccu, readings, Transport::Mqtt).await
            }
            TopicKind::Breaker => {
                let readings = payload::breaker(text, self.inner.settings.ingest.max_batch)?;
                for r in readings {
                    self.ingest_breaker(&ccu, r).await?;
                }
                Ok(())
            }
            TopicKind::Ack => {
                let ack = payload::ack(text)?;
                self.on_ack(&ccu.id, ack).await?;
                Ok(())
            }
            TopicKind::Status if !live => Ok(()),
            TopicKind::Status => {
                let status = payload::status(text)?;
                self.on_status(
                    &ccu.id,
                    status.online,
                    status.firmware.map(|f| f.to_string()),
                )
                .await?;
                if let Some(dropped) = status.dropped.filter(|n| *n > 0) {
                    self.on_readings_dropped(&ccu.id, dropped).await?;
                }
                Ok(())
            }
            TopicKind::Cmd | TopicKind::Devices | TopicKind::Error => Ok(()),
        }
    }

    /// Ingests readings of one CCU (MQTT or the legacy HTTP shim). Each reading is checked
    /// on its own: the valid ones are kept, the first rejection is returned.
    pub async fn ingest_readings(
        &self,
        ccu: &CcuEntry,
        readings: Vec<SensorReading>,
        transport: Transport,
    ) -> Result<(), IngestError> {
        let mut first_err = None;
        for r in readings {
            match self.ingest_reading(ccu, r).await {
                Ok(()) => self.inner.metrics.ingested(transport, 1),
                Err(e) if first_err.is_none() => first_err = Some(e),
                Err(e) => self.ingest_failed(&format!("ccu/{}/sensor", ccu.id), &e),
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
