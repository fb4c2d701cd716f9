//! The simulated CCU's clock: tokio's monotonic time plus the wall clock captured at boot.
//!
//! Built on [`tokio::time::Instant`], so a test that pauses tokio time pauses the whole
//! simulation (radio, PIC trips, breaker) consistently. Microseconds are exposed too, for the
//! radio's 8.3 ms frames.

use ccu_core::hal::Clock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Monotonic time since the simulated boot, and unix time derived from it.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    boot: Instant,
    unix_at_boot_ms: u64,
}

impl SimClock {
    /// A clock booting now, with the host's wall clock.
    pub fn start() -> SimClock {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        SimClock {
            boot: Instant::now(),
            unix_at_boot_ms: u64::try_from(unix.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Microseconds since boot.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.boot.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The tokio instant of a monotonic time in ms (for sleeping until it).
    pub fn instant_at_ms(&self, ms: u64) -> Instant {
        self.boot + Duration::from_millis(ms)
    }

    /// The unix time (ms) of a monotonic time (ms).
    pub fn unix_at_ms(&self, ms: u64) -> u64 {
        self.unix_at_boot_ms.saturating_add(ms)
    }
}

impl Clock for SimClock {
    fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    fn unix_ms(&self) -> Option<u64> {
        Some(self.unix_at_ms(self.now_ms()))
    }
}
