//! Building the [`Ack`] published for a command from its outcome or rejection.

use super::{Outcome, Rejection};
use crate::protocol::{Ack, AckStatus, DeviceId, MAX_COMMAND_ID_LEN};
use core::fmt::Write;

/// A command id as carried by [`crate::protocol::Command`].
pub type CommandId = heapless::String<MAX_COMMAND_ID_LEN>;

/// The ack for a finished exchange: `ok`, or `timeout` with the attempt count.
pub fn outcome_ack(id: &CommandId, device: DeviceId, outcome: Outcome) -> Ack {
    match outcome {
        Outcome::Acked | Outcome::Reported { .. } => Ack {
            id: id.clone(),
            status: AckStatus::Ok,
            detail: None,
        },
        Outcome::TimedOut { attempts } => {
            let mut detail = heapless::String::new();
            // 64 bytes always hold this text.
            let _ = write!(detail, "no answer from {device} after {attempts} attempts");
            Ack {
                id: id.clone(),
                status: AckStatus::Timeout,
                detail: Some(detail),
            }
        }
    }
}

/// The `failed` ack for a rejected command.
pub fn rejection_ack(id: &CommandId, rejection: Rejection) -> Ack {
    Ack {
        id: id.clone(),
        status: AckStatus::Failed,
        detail: heapless::String::try_from(rejection.detail()).ok(),
    }
}
