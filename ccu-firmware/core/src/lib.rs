//! Portable `no_std` core of the CCU firmware and the device↔server MQTT contract.
//!
//! Nothing here allocates, sleeps or reads the OS clock: hardware is reached only through the
//! small traits of [`hal`], and time is passed in (or read once per [`ccu::Ccu::poll`] from the
//! injected [`hal::Clock`]), so every state machine is deterministic and host-testable.
//!
//! # Layout
//! - [`protocol`]: MQTT topic names and JSON payload types, shared by the server and the
//!   simulator so the contract cannot drift. Encoding and decoding never allocate.
//! - [`rf`]: the 8-byte HC-12 frame (`AA TARGET SENDER CMD DATA_H DATA_L CRC BB`), the typed
//!   command codes and a streaming [`rf::FrameReader`] that resynchronises on line noise.
//! - [`outlet`]: the outlet table (relay states changed only by ACKs, currents, overload,
//!   threshold, last seen) and the READ_CURRENT → two REPORT_DATA read cycle.
//! - [`exec`]: one RF exchange at a time: send a frame, match the ACK or the reports, time out
//!   and retry a bounded number of times; turns a [`protocol::Command`] into a [`protocol::Ack`].
//! - [`breaker`]: main-breaker RMS current from raw 12-bit ADC samples (SCT013 constants).
//! - [`buffer`]: a bounded ring of readings kept while the server is unreachable, encoded as
//!   JSON-array batches that fit a caller buffer.
//! - [`hal`]: the traits a port implements (radio, clock, breaker ADC, MQTT session, storage).
//! - [`ccu`]: the [`ccu::Ccu`] state machine tying it together, driven by `poll()` calls.
//! - [`error`]: the crate's [`Error`] type, generic over a device error.
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod breaker;
pub mod buffer;
pub mod ccu;
pub mod error;
pub mod exec;
pub mod hal;
pub mod outlet;
pub mod protocol;
pub mod rf;

pub use error::{Error, Result};
