//! One 8-byte RF frame: typed fields, encoding, decoding with checksum errors as values.

use super::{CommandCode, EOF, FRAME_LEN, SOF, socket_code};
use crate::protocol::Socket;

/// A decoded frame (SOF, CRC and EOF are implied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Addressee: a device id, or the master id for PIC→CCU frames.
    pub target: u8,
    /// Originator: the master id, a device id, or (REPORT_DATA) the socket code.
    pub sender: u8,
    /// The command.
    pub cmd: CommandCode,
    /// DATA_H:DATA_L as one big-endian value.
    pub data: u16,
}

/// Why 8 bytes are not a valid frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Byte 0 is not `0xAA` (holds the byte found).
    BadStart(u8),
    /// Byte 7 is not `0xBB` (holds the byte found).
    BadEnd(u8),
    /// The CRC byte does not match the XOR of bytes 1..5.
    Checksum {
        /// The XOR of bytes 1..5.
        expected: u8,
        /// The CRC byte received.
        found: u8,
    },
    /// A well-formed frame with an unknown CMD byte.
    UnknownCommand(u8),
}

/// The frame checksum: XOR of `TARGET SENDER CMD DATA_H DATA_L`.
pub const fn checksum(target: u8, sender: u8, cmd: u8, data_h: u8, data_l: u8) -> u8 {
    target ^ sender ^ cmd ^ data_h ^ data_l
}

impl Frame {
    /// A frame from its fields.
    pub const fn new(target: u8, sender: u8, cmd: CommandCode, data: u16) -> Frame {
        Frame {
            target,
            sender,
            cmd,
            data,
        }
    }

    /// A frame from its two data bytes.
    pub const fn with_bytes(target: u8, sender: u8, cmd: CommandCode, high: u8, low: u8) -> Frame {
        Frame::new(target, sender, cmd, u16::from_be_bytes([high, low]))
    }

    /// DATA_H.
    pub const fn data_h(&self) -> u8 {
        self.data.to_be_bytes()[0]
    }

    /// DATA_L.
    pub const fn data_l(&self) -> u8 {
        self.data.to_be_bytes()[1]
    }

    /// The CRC byte this frame carries on the wire.
    pub const fn crc(&self) -> u8 {
        checksum(
            self.target,
            self.sender,
            self.cmd.code(),
            self.data_h(),
            self.data_l(),
        )
    }

    /// The 8 bytes on the wire.
    pub const fn encode(&self) -> [u8; FRAME_LEN] {
        [
            SOF,
            self.target,
            self.sender,
            self.cmd.code(),
            self.data_h(),
            self.data_l(),
            self.crc(),
            EOF,
        ]
    }

    /// Decodes 8 bytes; checks SOF, EOF, CRC, then the command code.
    pub const fn decode(bytes: &[u8; FRAME_LEN]) -> Result<Frame, FrameError> {
        if bytes[0] != SOF {
            return Err(FrameError::BadStart(bytes[0]));
        }
        if bytes[7] != EOF {
            return Err(FrameError::BadEnd(bytes[7]));
        }
        let expected = checksum(bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]);
        if bytes[6] != expected {
            return Err(FrameError::Checksum {
                expected,
                found: bytes[6],
            });
        }
        match CommandCode::from_code(bytes[3]) {
            Some(cmd) => Ok(Frame::with_bytes(
                bytes[1], bytes[2], cmd, bytes[4], bytes[5],
            )),
            None => Err(FrameError::UnknownCommand(bytes[3])),
        }
    }

    /// CCU→PIC PING.
    pub const fn ping(device: u8, master: u8) -> Frame {
        Frame::new(device, master, CommandCode::Ping, 0)
    }

    /// CCU→PIC RELAY_ON / RELAY_OFF; the socket goes in DATA_L.
    pub const fn relay(device: u8, master: u8, on: bool, socket: Socket) -> Frame {
        let cmd = if on {
            CommandCode::RelayOn
        } else {
            CommandCode::RelayOff
        };
        Frame::with_bytes(device, master, cmd, 0, socket_code(socket))
    }

    /// CCU→PIC READ_CURRENT.
    pub const fn read_current(device: u8, master: u8) -> Frame {
        Frame::new(device, master, CommandCode::ReadCurrent, 0)
    }

    /// CCU→PIC SET_THRESHOLD (mA).
    pub const fn set_threshold(device: u8, master: u8, threshold_ma: u16) -> Frame {
        Frame::new(device, master, CommandCode::SetThreshold, threshold_ma)
    }

    /// CCU→PIC SET_DEVICE_ID (PIC in config mode).
    pub const fn set_device_id(device: u8, master: u8, new_id: u8) -> Frame {
        Frame::with_bytes(device, master, CommandCode::SetDeviceId, 0, new_id)
    }

    /// CCU→PIC SET_ID_MASTER (PIC in config mode).
    pub const fn set_master_id(device: u8, master: u8, new_master: u8) -> Frame {
        Frame::with_bytes(device, master, CommandCode::SetIdMaster, 0, new_master)
    }

    /// PIC→CCU REPORT_DATA: TARGET = master, SENDER = socket code, DATA = mA (0xFFFF = overload).
    pub const fn report(master: u8, socket: Socket, current_ma: u16) -> Frame {
        Frame::new(
            master,
            socket_code(socket),
            CommandCode::ReportData,
            current_ma,
        )
    }

    /// PIC→CCU ACK of `acked`: DATA_H = socket code for relay commands (else 0), DATA_L = code.
    pub const fn ack(master: u8, device: u8, acked: CommandCode, data_h: u8) -> Frame {
        Frame::with_bytes(master, device, CommandCode::Ack, data_h, acked.code())
    }

    /// The ACK a PIC sends for this CCU→PIC frame (what the CCU waits for).
    ///
    /// A SET_DEVICE_ID is acknowledged by the *new* id.
    pub const fn expected_ack(&self) -> Frame {
        let data_h = if self.cmd.is_relay() {
            self.data_l()
        } else {
            0
        };
        let from = match self.cmd {
            CommandCode::SetDeviceId => self.data_l(),
            _ => self.target,
        };
        Frame::ack(self.sender, from, self.cmd, data_h)
    }
}
