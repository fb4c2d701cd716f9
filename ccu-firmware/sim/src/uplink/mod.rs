//! The CCU's connection to the server, behind a trait: MQTT, or the old firmware's HTTP polling.
//!
//! The core only needs `ccu_core::hal::MqttSession` (connected? publish). A simulated CCU also
//! needs to start, cut and close the connection, and to receive the server's messages: that
//! is [`Uplink`]. [`MqttUplink`] is the MQTT implementation over rumqttc; [`HttpUplink`] is the
//! old firmware's HTTP polling, which maps `publish("ccu/<id>/sensor", …)` to its own requests
//! and feeds what it fetches into [`UplinkEvents::messages`] as `ccu/<id>/cmd` /
//! `ccu/<id>/devices` messages.

pub mod http;
pub mod mqtt;

pub use http::{Executed, HttpUplink, LegacyHandle, LegacyHttpConfig, LegacyStats};
pub use mqtt::{BrokerAddr, MqttConfig, MqttUplink};

use ccu_core::hal::MqttSession;
use std::future::Future;
use tokio::sync::{mpsc, watch};

/// A message from the server, for `Ccu::handle_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The topic, e.g. `ccu/02/cmd`.
    pub topic: String,
    /// The payload.
    pub payload: Vec<u8>,
}

/// The receiving ends of an uplink, kept by the CCU runner (outside the core).
#[derive(Debug)]
pub struct UplinkEvents {
    /// Messages from the server, in arrival order.
    pub messages: mpsc::UnboundedReceiver<Inbound>,
    /// True while the session is up (changes wake the runner).
    pub connected: watch::Receiver<bool>,
}

/// A transport to the server that a simulated CCU can drive.
pub trait Uplink: MqttSession + Send + 'static {
    /// Starts connecting; reconnects by itself after failures until [`Uplink::cut`] or
    /// [`Uplink::close`]. A no-op when already started.
    fn connect(&mut self);

    /// Drops the connection abruptly (network cut): no goodbye, so the server's last-will
    /// handling sees the CCU vanish. Nothing is sent until the next [`Uplink::connect`].
    fn cut(&mut self);

    /// Says goodbye (offline status) and closes the connection.
    fn close(&mut self) -> impl Future<Output = ()> + Send;

    /// Messages handed to the transport since the start.
    fn published(&self) -> u64;
}
