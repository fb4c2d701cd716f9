//! The RF command codes (CMD byte) and the socket codes used in DATA_L / DATA_H / SENDER.

use crate::protocol::Socket;

/// The CMD byte of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CommandCode {
    /// CCU→PIC: are you there? Answered by an ACK echoing `0x01`.
    Ping = 0x01,
    /// CCU→PIC: switch the socket in DATA_L on.
    RelayOn = 0x02,
    /// CCU→PIC: switch the socket in DATA_L off.
    RelayOff = 0x03,
    /// CCU→PIC: report both sockets' currents (answered by two REPORT_DATA frames).
    ReadCurrent = 0x04,
    /// PIC→CCU: one socket's RMS current in mA; the socket is in the SENDER byte.
    ReportData = 0x05,
    /// PIC→CCU: DATA_H = socket (relay commands) or 0, DATA_L = the acknowledged code.
    Ack = 0x06,
    /// CCU→PIC: per-socket overload threshold in mA (DATA_H:DATA_L).
    SetThreshold = 0x07,
    /// CCU→PIC (config mode only): new device id in DATA_L.
    SetDeviceId = 0x08,
    /// CCU→PIC (config mode only): new master id in DATA_L.
    SetIdMaster = 0x09,
}

impl CommandCode {
    /// Every code, in numeric order.
    pub const ALL: [CommandCode; 9] = [
        CommandCode::Ping,
        CommandCode::RelayOn,
        CommandCode::RelayOff,
        CommandCode::ReadCurrent,
        CommandCode::ReportData,
        CommandCode::Ack,
        CommandCode::SetThreshold,
        CommandCode::SetDeviceId,
        CommandCode::SetIdMaster,
    ];

    /// The byte on the wire.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Parses a CMD byte.
    pub const fn from_code(byte: u8) -> Option<CommandCode> {
        Some(match byte {
            0x01 => CommandCode::Ping,
            0x02 => CommandCode::RelayOn,
            0x03 => CommandCode::RelayOff,
            0x04 => CommandCode::ReadCurrent,
            0x05 => CommandCode::ReportData,
            0x06 => CommandCode::Ack,
            0x07 => CommandCode::SetThreshold,
            0x08 => CommandCode::SetDeviceId,
            0x09 => CommandCode::SetIdMaster,
            _ => return None,
        })
    }

    /// The name used in the original documentation (`RELAY_ON`, …).
    pub const fn name(self) -> &'static str {
        match self {
            CommandCode::Ping => "PING",
            CommandCode::RelayOn => "RELAY_ON",
            CommandCode::RelayOff => "RELAY_OFF",
            CommandCode::ReadCurrent => "READ_CURRENT",
            CommandCode::ReportData => "REPORT_DATA",
            CommandCode::Ack => "ACK",
            CommandCode::SetThreshold => "SET_THRESHOLD",
            CommandCode::SetDeviceId => "SET_DEVICE_ID",
            CommandCode::SetIdMaster => "SET_ID_MASTER",
        }
    }

    /// True for the relay commands, whose ACK carries the socket in DATA_H.
    pub const fn is_relay(self) -> bool {
        matches!(self, CommandCode::RelayOn | CommandCode::RelayOff)
    }
}

impl TryFrom<u8> for CommandCode {
    type Error = u8;

    fn try_from(byte: u8) -> Result<Self, u8> {
        CommandCode::from_code(byte).ok_or(byte)
    }
}

impl From<CommandCode> for u8 {
    fn from(code: CommandCode) -> u8 {
        code.code()
    }
}

/// The socket's RF code: `0x01` = A, `0x02` = B.
pub const fn socket_code(socket: Socket) -> u8 {
    match socket {
        Socket::A => 0x01,
        Socket::B => 0x02,
    }
}

/// Parses a socket RF code; anything but `0x01`/`0x02` is `None`.
pub const fn socket_from_code(byte: u8) -> Option<Socket> {
    match byte {
        0x01 => Some(Socket::A),
        0x02 => Some(Socket::B),
        _ => None,
    }
}
