//! What a running simulated CCU reports about itself after every poll.

use crate::rf::AirStats;
use ccu_core::ccu::Stats;

/// A simulated CCU's state, as seen from outside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CcuSnapshot {
    /// The session to the server is up (logged in and subscribed).
    pub connected: bool,
    /// The network is up (false between `cut_network` and `restore_network`).
    pub network_up: bool,
    /// Outlets in the core's table (from the server's device list).
    pub outlets: usize,
    /// Readings buffered with their timestamps while offline.
    pub buffered_readings: usize,
    /// Breaker readings buffered while offline.
    pub buffered_breaker: usize,
    /// Commands waiting for the radio.
    pub pending_commands: usize,
    /// Acks waiting for the server.
    pub pending_acks: usize,
    /// The last breaker measurement (mA).
    pub last_breaker_ma: Option<u32>,
    /// Messages handed to the transport.
    pub published: u64,
    /// The core's counters.
    pub stats: Stats,
    /// The air's counters.
    pub air: AirStats,
    /// The CCU task has ended.
    pub stopped: bool,
}
