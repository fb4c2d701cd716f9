//! The MQTT session to the server; incoming messages are pushed in with `Ccu::handle_message`.

/// A connected-or-not MQTT client (the port owns reconnects, the last will and subscriptions).
///
/// The port should set the last will `ccu/<id>/status` = `{"online":false}` (retained) and
/// subscribe to `ccu/<id>/cmd` and `ccu/<id>/devices`.
pub trait MqttSession {
    /// The client's error.
    type Error;

    /// True while connected to the broker.
    fn is_connected(&self) -> bool;

    /// Publishes `payload` on `topic` (QoS 1); `retain` for presence.
    fn publish(&mut self, topic: &str, payload: &[u8], retain: bool) -> Result<(), Self::Error>;
}
