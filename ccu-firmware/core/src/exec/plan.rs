//! From a server [`Command`] to the RF [`Exchange`] that carries it out (or a rejection).

use super::{Exchange, ExecSettings};
use crate::outlet::OutletTable;
use crate::protocol::{Command, CommandKind};
use crate::rf::Frame;

/// Why a command cannot be executed; published as `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The outlet is not in the CCU's table.
    UnknownOutlet,
    /// A relay command without a socket.
    MissingSocket,
    /// `set_threshold` without a value.
    MissingValue,
    /// `set_threshold` with 0 (the original ignored those).
    ZeroThreshold,
    /// The command queue was full.
    QueueFull,
}

impl Rejection {
    /// The ack's `detail` text.
    pub const fn detail(self) -> &'static str {
        match self {
            Rejection::UnknownOutlet => "unknown outlet",
            Rejection::MissingSocket => "socket required",
            Rejection::MissingValue => "value required",
            Rejection::ZeroThreshold => "value must be > 0",
            Rejection::QueueFull => "command queue full",
        }
    }
}

/// Validates `command` against the table and builds its exchange from master id `master`.
///
/// A `set_threshold` stages the threshold on the outlet, committed by the ACK.
pub fn plan(
    command: &Command,
    master: u8,
    table: &mut OutletTable,
    settings: &ExecSettings,
) -> Result<Exchange, Rejection> {
    let outlet = table
        .get_mut(command.device_id)
        .ok_or(Rejection::UnknownOutlet)?;
    let device = command.device_id.0;
    let ack = |frame| Exchange::ack(frame, settings.ack_timeout_ms, settings.max_retries);
    Ok(match command.command {
        CommandKind::RelayOn | CommandKind::RelayOff => {
            let socket = command.socket.ok_or(Rejection::MissingSocket)?;
            let on = command.command == CommandKind::RelayOn;
            ack(Frame::relay(device, master, on, socket))
        }
        CommandKind::SetThreshold => {
            let value = command.value.ok_or(Rejection::MissingValue)?;
            if value == 0 {
                return Err(Rejection::ZeroThreshold);
            }
            outlet.stage_threshold(value);
            ack(Frame::set_threshold(device, master, value))
        }
        CommandKind::Ping => ack(Frame::ping(device, master)),
        CommandKind::ReadSensors => Exchange::read(
            command.device_id,
            master,
            settings.read_window_ms,
            settings.max_retries,
        ),
    })
}
