//! The simulated 433 MHz link: one shared air between a CCU's HC-12 and its PICs.
//!
//! - [`medium`]: the air itself, frames in flight with their on-air time, the PICs on it.
//! - [`loss`]: which frames are lost, from a seeded RNG (reproducible runs).
//! - [`radio`]: the CCU's end, an implementation of `ccu_core::hal::Radio`.

pub mod loss;
pub mod medium;
pub mod radio;

pub use loss::FrameLoss;
pub use medium::{AirStats, RfMedium, RfSettings, SharedMedium};
pub use radio::SimRadio;

/// UART speed of the HC-12 link (bits per second).
pub const BAUD: u64 = 9_600;
/// Bits per byte on the wire (8N1: start + 8 data + stop).
pub const BITS_PER_BYTE: u64 = 10;

/// Time on the air of `n_bytes` at 9600 8N1, in µs (8 bytes: 8333 µs).
pub const fn air_time_us(n_bytes: usize) -> u64 {
    n_bytes as u64 * BITS_PER_BYTE * 1_000_000 / BAUD
}

/// Time on the air of one 8-byte frame (µs).
pub const FRAME_AIR_US: u64 = air_time_us(ccu_core::rf::FRAME_LEN);
