//! The MQTT contract between a CCU and the server (`docs/mqtt.md` is its prose form).
//!
//! Every message kind has its own file; [`topic`] names the topics. All payloads are JSON
//! objects; unknown fields are ignored, missing required fields are rejected.

pub mod ack;
pub mod breaker;
pub mod command;
pub mod device_id;
pub mod devices;
pub mod error;
pub mod sensor;
pub mod status;
pub mod topic;

pub use ack::{Ack, AckStatus};
pub use breaker::BreakerReading;
pub use command::{Command, CommandKind, Socket};
pub use device_id::DeviceId;
pub use devices::{DeviceEntry, DeviceList};
pub use error::DeviceError;
pub use sensor::SensorReading;
pub use status::Status;
pub use topic::{Topic, TopicKind};

/// Most outlets one CCU serves (bounded so that a device list fits in a fixed buffer).
pub const MAX_OUTLETS_PER_CCU: usize = 32;
/// Current value (mA) that a PIC reports for a socket in overload trip.
pub const OVERLOAD_MA: i64 = 65535;
/// Longest command id (a UUID is 36 characters).
pub const MAX_COMMAND_ID_LEN: usize = 40;

/// Decodes a payload without allocation (for the firmware; the server may use serde_json).
pub fn decode<'a, T: serde::Deserialize<'a>>(payload: &'a [u8]) -> Option<T> {
    serde_json_core::from_slice(payload).ok().map(|(v, _)| v)
}

/// Encodes a payload into `buf` without allocation; returns the bytes written.
pub fn encode<T: serde::Serialize>(value: &T, buf: &mut [u8]) -> Option<usize> {
    serde_json_core::to_slice(value, buf).ok()
}
