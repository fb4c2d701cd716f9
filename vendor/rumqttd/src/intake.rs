// smart-outlet patch: intake hook (whole file). rumqttd queues a QoS 1 PUBACK before the
// publish is routed, and keeps publishes only in memory: a crash after the PUBACK loses what
// the client was told is safe. This hook lets the embedding program keep publishes durably
// before any acknowledgement of them leaves the router.

use std::sync::Arc;

/// Takes publishes before they are acknowledged.
pub trait Intake: Send + Sync + 'static {
    /// A publish the connection's authorizer allowed (or a will being published), before
    /// it is routed. `false` refuses it: the client is disconnected (reason "quota
    /// exceeded") and receives no acknowledgement for it, so it keeps the message.
    fn accept(&self, client_id: &str, topic: &str, payload: &[u8]) -> bool;
    /// Called on the router thread before acknowledgements of accepted publishes are sent
    /// to their clients: make what `accept` took durable here. `false`: it is not (the disk
    /// failed) and was dropped; the router disconnects every client with an acknowledgement
    /// pending instead of sending it, so each keeps its publish and sends it again.
    fn commit(&self) -> bool;
}

/// A shared [`Intake`], as the router configuration holds it.
#[derive(Clone)]
pub struct IntakeRef(pub Arc<dyn Intake>);

impl std::fmt::Debug for IntakeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntakeRef")
    }
}
