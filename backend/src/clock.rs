//! Wall-clock time as unix milliseconds, the unit of every stored timestamp.

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
