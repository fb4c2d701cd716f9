//! Wall-clock time as unix milliseconds, the unit of every stored timestamp.

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Now, in unix milliseconds, but always later than its previous answer in this process:
/// commands made within one millisecond keep the order they were made in (the old firmware
/// is served the oldest queued command first, and a tie used to fall to the random id).
pub fn unique_ms() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = now_ms();
    let prev = LAST
        .fetch_update(Relaxed, Relaxed, |last| Some(now.max(last + 1)))
        .unwrap_or_else(|last| last);
    now.max(prev + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_times_always_go_up() {
        let times: Vec<i64> = (0..10_000).map(|_| super::unique_ms()).collect();
        assert!(times.windows(2).all(|w| w[1] > w[0]));
        assert!(times[0] >= super::now_ms() - 10_000);
    }
}
