//! The 433 MHz HC-12 link to the PIC outlets: 8-byte frames, command codes, a resynchronising reader.
//!
//! A frame is `SOF(0xAA) TARGET SENDER CMD DATA_H DATA_L CRC EOF(0xBB)` with
//! `CRC = TARGET ^ SENDER ^ CMD ^ DATA_H ^ DATA_L`; 16-bit data is big-endian.

pub mod code;
pub mod frame;
pub mod reader;

pub use code::{CommandCode, socket_code, socket_from_code};
pub use frame::{Frame, FrameError, checksum};
pub use reader::{Feed, FrameReader, ReaderStats};

/// Start-of-frame byte.
pub const SOF: u8 = 0xAA;
/// End-of-frame byte.
pub const EOF: u8 = 0xBB;
/// Every frame is exactly this long.
pub const FRAME_LEN: usize = 8;
/// The CCU's own (master) id at the original firmware's HEAD; PICs default to `0x01`.
pub const DEFAULT_MASTER_ID: u8 = 0x02;
/// Current value (mA) a PIC reports for a socket in overload trip.
pub const OVERLOAD_RAW: u16 = 0xFFFF;
