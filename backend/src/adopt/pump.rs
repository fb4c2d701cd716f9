//! The event loop of one adopted connection, in a task of its own (a poll is never cancelled
//! half-way, so no acknowledgement is left unwritten): publishes go to this instance's
//! ingest with a token that acknowledges them through this connection; what the adopter
//! steers by (CONNACK, UNSUBACK, the end of the connection) goes to it on `ctl`.

use crate::bus::{AckToken, AdoptedLink, BusEvent};
use crate::metrics::Metrics;
use rumqttc::{Event, EventLoop, Outgoing, Packet};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tokio::sync::mpsc;

/// What the connection tells the adopter.
#[derive(Debug)]
pub(super) enum Ctl {
    /// Connected; whether the broker still had the session.
    ConnAck {
        /// The broker kept the session.
        session_present: bool,
    },
    /// One UNSUBSCRIBE was acknowledged.
    UnsubAck,
    /// Our DISCONNECT was written (after every acknowledgement queued before it).
    Disconnected,
    /// The connection failed or was taken over (the owner is back).
    Lost(String),
}

/// Polls `eventloop` until the connection ends (it is not reconnected: the adopter decides).
pub(super) async fn run(
    mut eventloop: EventLoop,
    link: Arc<AdoptedLink>,
    tx: mpsc::Sender<BusEvent>,
    metrics: Arc<Metrics>,
    ctl: mpsc::UnboundedSender<Ctl>,
) {
    loop {
        let event = match eventloop.poll().await {
            Ok(event) => event,
            Err(e) => {
                let _ = ctl.send(Ctl::Lost(e.to_string()));
                return;
            }
        };
        match event {
            Event::Incoming(Packet::Publish(mut p)) => {
                metrics.adopted_messages.fetch_add(1, Relaxed);
                let payload = std::mem::take(&mut p.payload);
                let topic = p.topic.clone();
                let ack = Some(AckToken::via(p, link.clone()));
                let msg = BusEvent::Message {
                    topic,
                    payload,
                    ack,
                };
                if tx.send(msg).await.is_err() {
                    let _ = ctl.send(Ctl::Lost("ingest stopped".into()));
                    return;
                }
            }
            Event::Incoming(Packet::ConnAck(c)) => {
                let _ = ctl.send(Ctl::ConnAck {
                    session_present: c.session_present,
                });
            }
            Event::Incoming(Packet::UnsubAck(_)) => {
                let _ = ctl.send(Ctl::UnsubAck);
            }
            Event::Outgoing(Outgoing::Disconnect) => {
                let _ = ctl.send(Ctl::Disconnected);
                return;
            }
            _ => {}
        }
    }
}
