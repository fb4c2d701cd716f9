//! Command bodies: names, sockets, the command to send and its lifecycle.

use super::*;

// Also in `/ws`'s `command` messages, hence serde and JSON Schema.
/// A command name.
#[derive(Debug, Clone, Copy, Enum, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CommandName {
    /// Switch a socket on.
    RelayOn,
    /// Switch a socket off.
    RelayOff,
    /// Program the PIC's overload threshold (`value` mA).
    SetThreshold,
    /// Read both sockets now.
    ReadSensors,
    /// Check the PIC answers.
    Ping,
}

impl From<CommandName> for d::CommandKind {
    fn from(c: CommandName) -> d::CommandKind {
        match c {
            CommandName::RelayOn => d::CommandKind::RelayOn,
            CommandName::RelayOff => d::CommandKind::RelayOff,
            CommandName::SetThreshold => d::CommandKind::SetThreshold,
            CommandName::ReadSensors => d::CommandKind::ReadSensors,
            CommandName::Ping => d::CommandKind::Ping,
        }
    }
}

impl From<d::CommandKind> for CommandName {
    fn from(c: d::CommandKind) -> CommandName {
        match c {
            d::CommandKind::RelayOn => CommandName::RelayOn,
            d::CommandKind::RelayOff => CommandName::RelayOff,
            d::CommandKind::SetThreshold => CommandName::SetThreshold,
            d::CommandKind::ReadSensors => CommandName::ReadSensors,
            d::CommandKind::Ping => CommandName::Ping,
        }
    }
}

// Also in `/ws`'s `command` messages, hence serde and JSON Schema.
/// A socket.
#[derive(Debug, Clone, Copy, Enum, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum SocketName {
    /// Socket A.
    A,
    /// Socket B.
    B,
}

impl From<SocketName> for d::Socket {
    fn from(s: SocketName) -> d::Socket {
        match s {
            SocketName::A => d::Socket::A,
            SocketName::B => d::Socket::B,
        }
    }
}

impl From<d::Socket> for SocketName {
    fn from(s: d::Socket) -> SocketName {
        match s {
            d::Socket::A => SocketName::A,
            d::Socket::B => SocketName::B,
        }
    }
}

/// A command to send.
#[derive(Debug, Object)]
pub struct NewCommand {
    /// Target outlet.
    pub outlet_id: i32,
    /// What to do.
    pub command: CommandName,
    /// `a` or `b`, for relay commands.
    #[oai(nullable)]
    pub socket: Option<SocketName>,
    /// mA, for `set_threshold`.
    #[oai(nullable)]
    pub value: Option<i64>,
}

/// A command and where it is in its lifecycle.
#[derive(Debug, Object)]
pub struct Command {
    /// Id (UUID), echoed by the CCU's ack.
    pub id: String,
    /// CCU.
    pub ccu_id: String,
    /// Outlet.
    pub outlet_id: i32,
    /// Outlet device id.
    pub device_id: String,
    /// What.
    pub command: CommandName,
    /// `a` or `b`.
    #[oai(nullable)]
    pub socket: Option<String>,
    /// mA.
    #[oai(nullable)]
    pub value: Option<i64>,
    /// `queued`, `sent`, `ok`, `failed`, `timed_out` or `expired`.
    pub status: String,
    /// Why it failed.
    #[oai(nullable)]
    pub detail: Option<String>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Published or handed to a poll (unix ms).
    #[oai(nullable)]
    pub sent_at: Option<i64>,
    /// Final (unix ms).
    #[oai(nullable)]
    pub completed_at: Option<i64>,
    /// Expires if still queued (unix ms).
    pub expires_at: i64,
}

impl From<d::CommandRecord> for Command {
    fn from(c: d::CommandRecord) -> Command {
        Command {
            id: c.id,
            ccu_id: c.ccu_id,
            outlet_id: c.outlet_id,
            device_id: c.device_id,
            command: c.command.into(),
            socket: c.socket.map(|s| s.as_str().to_string()),
            value: c.value,
            status: c.status.as_str().to_string(),
            detail: c.detail,
            created_at: c.created_at,
            sent_at: c.sent_at,
            completed_at: c.completed_at,
            expires_at: c.expires_at,
        }
    }
}
