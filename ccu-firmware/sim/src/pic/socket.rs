//! One relay socket of a PIC: the relay contact, the load behind it, and the overload trip.
//!
//! The PIC reads both sockets every [`CHECK_PERIOD_MS`]; a socket drawing more than its
//! threshold is tripped OFF and reports `0xFFFF`; [`RETRY_AFTER_MS`] later the relay is closed
//! again, and the next check trips it again if the load is still too high.

use super::LoadProfile;
use ccu_core::rf::OVERLOAD_RAW;

/// The PIC's protection loop period (ms).
pub const CHECK_PERIOD_MS: u64 = 200;
/// Cool-down before a tripped socket is switched back on (ms).
pub const RETRY_AFTER_MS: u64 = 5_000;
/// The factory per-socket threshold (mA), `0x0BB8`.
pub const DEFAULT_THRESHOLD_MA: u16 = 3_000;

/// A socket's state.
#[derive(Debug, Clone)]
pub struct PicSocket {
    relay_on: bool,
    threshold_ma: u16,
    load: LoadProfile,
    retry_at_ms: Option<u64>,
    trips: u32,
}

impl Default for PicSocket {
    fn default() -> Self {
        PicSocket {
            relay_on: false,
            threshold_ma: DEFAULT_THRESHOLD_MA,
            load: LoadProfile::NONE,
            retry_at_ms: None,
            trips: 0,
        }
    }
}

impl PicSocket {
    /// True while the relay contact is closed (appliance powered).
    pub fn relay_on(&self) -> bool {
        self.relay_on
    }

    /// True while in overload trip (between the trip and the retry).
    pub fn is_tripped(&self) -> bool {
        self.retry_at_ms.is_some()
    }

    /// When the tripped socket will be switched back on (ms since boot).
    pub fn retry_at_ms(&self) -> Option<u64> {
        self.retry_at_ms
    }

    /// The overload threshold (mA).
    pub fn threshold_ma(&self) -> u16 {
        self.threshold_ma
    }

    /// The load profile.
    pub fn load(&self) -> &LoadProfile {
        &self.load
    }

    /// Trips since boot.
    pub fn trips(&self) -> u32 {
        self.trips
    }

    /// The current flowing at `t_ms` (0 while the relay is open).
    pub fn current_ma(&self, t_ms: u64) -> u32 {
        if self.relay_on { self.load.at(t_ms) } else { 0 }
    }

    /// The REPORT_DATA value at `t_ms`: `0xFFFF` while tripped, else the current (mA).
    pub fn report_ma(&self, t_ms: u64) -> u16 {
        if self.is_tripped() {
            return OVERLOAD_RAW;
        }
        u16::try_from(self.current_ma(t_ms)).map_or(OVERLOAD_RAW - 1, |ma| ma.min(OVERLOAD_RAW - 1))
    }

    pub(super) fn set_threshold(&mut self, threshold_ma: u16) {
        self.threshold_ma = threshold_ma;
    }

    pub(super) fn set_load(&mut self, load: LoadProfile) {
        self.load = load;
    }

    /// RELAY_ON / RELAY_OFF. While tripped, ON changes nothing (the retry will close the relay)
    /// and OFF cancels the retry.
    pub(super) fn switch(&mut self, on: bool) {
        if on {
            if !self.is_tripped() {
                self.relay_on = true;
            }
        } else {
            self.relay_on = false;
            self.retry_at_ms = None;
        }
    }

    /// One pass of the protection loop at `t_ms`: trip if overloaded, then retry if due.
    pub(super) fn check(&mut self, t_ms: u64) {
        if self.relay_on && self.current_ma(t_ms) > u32::from(self.threshold_ma) {
            self.relay_on = false;
            self.retry_at_ms = Some(t_ms + RETRY_AFTER_MS);
            self.trips += 1;
        }
        if self.retry_at_ms.is_some_and(|at| at <= t_ms) {
            self.retry_at_ms = None;
            self.relay_on = true;
        }
    }
}
