//! `ccu/<id>/ack`: the outcome of a command on the PIC.

use serde::{Deserialize, Serialize};

/// The outcome the CCU saw on the radio link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckStatus {
    /// The PIC acknowledged the command.
    Ok,
    /// The CCU could not execute it (unknown outlet, bad arguments).
    Failed,
    /// No RF ACK came back after every retry.
    Timeout,
}

/// An acknowledgement of one command, by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The command id from [`super::Command::id`].
    pub id: heapless::String<{ super::MAX_COMMAND_ID_LEN }>,
    /// The outcome.
    pub status: AckStatus,
    /// A short human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<heapless::String<64>>,
}
