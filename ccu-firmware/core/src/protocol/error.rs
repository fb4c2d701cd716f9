//! `ccu/<id>/error`: the server tells a CCU why one of its messages was rejected.

use serde::{Deserialize, Serialize};

/// A rejection notice. MQTT 3.1.1 has no error reply to a publish, so the server publishes
/// this (QoS 0) on the CCU's own error topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceError {
    /// The topic kind of the rejected message (`sensor`, `breaker`, `ack`, `status`).
    pub topic: heapless::String<16>,
    /// Stable reason code, e.g. `unknown_outlet`, `malformed_json`.
    pub reason: heapless::String<32>,
    /// Human-readable detail (truncated to fit).
    pub detail: heapless::String<160>,
}

impl DeviceError {
    /// Builds a notice, truncating each field to its capacity.
    pub fn new(topic: &str, reason: &str, detail: &str) -> DeviceError {
        DeviceError {
            topic: truncated(topic),
            reason: truncated(reason),
            detail: truncated(detail),
        }
    }
}

fn truncated<const N: usize>(s: &str) -> heapless::String<N> {
    let mut out = heapless::String::new();
    for c in s.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}
