//! Time, injected: the core never reads an OS clock.

/// Monotonic time for time-outs and schedules, wall-clock time for timestamps.
pub trait Clock {
    /// Milliseconds since boot; never goes backwards.
    fn now_ms(&self) -> u64;

    /// Unix time in ms, `None` until known (e.g. before SNTP); stamps buffered readings.
    fn unix_ms(&self) -> Option<u64>;
}
