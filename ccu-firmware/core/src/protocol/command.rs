//! `ccu/<id>/cmd`: a command for one outlet, with an id the CCU echoes in its ack.

use super::DeviceId;
use serde::{Deserialize, Serialize};

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Switch a socket on.
    RelayOn,
    /// Switch a socket off.
    RelayOff,
    /// Set the PIC's per-socket overload threshold (mA in `value`).
    SetThreshold,
    /// Read both sockets now.
    ReadSensors,
    /// Check that the PIC answers.
    Ping,
}

impl CommandKind {
    /// Every command.
    pub const ALL: [CommandKind; 5] = [
        CommandKind::RelayOn,
        CommandKind::RelayOff,
        CommandKind::SetThreshold,
        CommandKind::ReadSensors,
        CommandKind::Ping,
    ];

    /// The wire name (`relay_on`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            CommandKind::RelayOn => "relay_on",
            CommandKind::RelayOff => "relay_off",
            CommandKind::SetThreshold => "set_threshold",
            CommandKind::ReadSensors => "read_sensors",
            CommandKind::Ping => "ping",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<CommandKind> {
        CommandKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// True for the relay commands, which need a socket.
    pub const fn needs_socket(self) -> bool {
        matches!(self, CommandKind::RelayOn | CommandKind::RelayOff)
    }
}

/// One of the outlet's two sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Socket {
    /// Socket A (RF code 0x01).
    A,
    /// Socket B (RF code 0x02).
    B,
}

impl Socket {
    /// `a` or `b`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Socket::A => "a",
            Socket::B => "b",
        }
    }

    /// Parses `a`/`b` in either case.
    pub fn parse(s: &str) -> Option<Socket> {
        match s {
            "a" | "A" => Some(Socket::A),
            "b" | "B" => Some(Socket::B),
            _ => None,
        }
    }
}

/// A command as published on `ccu/<id>/cmd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// Unique id, echoed in the [`super::Ack`].
    pub id: heapless::String<{ super::MAX_COMMAND_ID_LEN }>,
    /// The outlet.
    pub device_id: DeviceId,
    /// What to do.
    pub command: CommandKind,
    /// The socket, for relay commands.
    pub socket: Option<Socket>,
    /// The threshold in mA, for `set_threshold`.
    pub value: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{decode, encode};

    #[test]
    fn wire_form() {
        let c = Command {
            id: heapless::String::try_from("c-1").unwrap(),
            device_id: DeviceId(0xFE),
            command: CommandKind::RelayOn,
            socket: Some(Socket::A),
            value: None,
        };
        let mut buf = [0u8; 128];
        let n = encode(&c, &mut buf).unwrap();
        assert_eq!(
            core::str::from_utf8(&buf[..n]).unwrap(),
            r#"{"id":"c-1","device_id":"FE","command":"relay_on","socket":"a","value":null}"#
        );
        assert_eq!(decode::<Command>(&buf[..n]), Some(c));
    }
}
