//! The accepted time window of a reading's `ts`: at most `ingest.max_reading_age` old and at
//! most `ingest.max_clock_skew` ahead of the server's clock. Saturating arithmetic: any `u64`
//! a device sends and any clock value give an answer, never an overflow.

use super::Rejection;
use crate::metrics::RejectReason;
use settings::IngestSettings;

/// The window, in milliseconds either side of now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Oldest accepted age.
    pub max_age_ms: i64,
    /// Largest accepted lead over the server's clock.
    pub max_skew_ms: i64,
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Window {
    /// The window `[ingest]` configures.
    pub fn of(s: &IngestSettings) -> Window {
        Window {
            max_age_ms: millis(s.max_reading_age),
            max_skew_ms: millis(s.max_clock_skew),
        }
    }

    /// The reading's time: its `ts` if inside the window around `now`, `now` when it has
    /// none; a `ts` outside is a rejection saying by how much it missed.
    pub fn check(&self, ts: Option<u64>, now: i64) -> Result<i64, Rejection> {
        let Some(raw) = ts else { return Ok(now) };
        let latest = now.saturating_add(self.max_skew_ms);
        let earliest = now.saturating_sub(self.max_age_ms);
        let ts = match i64::try_from(raw) {
            Ok(ts) if ts <= latest => ts,
            _ => {
                let ahead = i64::try_from(raw).unwrap_or(i64::MAX).saturating_sub(now);
                return Err(Rejection::new(
                    RejectReason::BadTimestamp,
                    format!(
                        "ts {raw} is {ahead} ms in the future, limit {} ms (ingest.max_clock_skew)",
                        self.max_skew_ms
                    ),
                ));
            }
        };
        if ts < earliest {
            return Err(Rejection::new(
                RejectReason::StaleTimestamp,
                format!(
                    "ts {raw} is {} ms old, limit {} ms (ingest.max_reading_age)",
                    now.saturating_sub(ts),
                    self.max_age_ms
                ),
            ));
        }
        Ok(ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    const W: Window = Window {
        max_age_ms: 7 * DAY,
        max_skew_ms: 300_000,
    };

    fn reason(ts: u64, now: i64) -> Option<RejectReason> {
        W.check(Some(ts), now).err().map(|r| r.reason)
    }

    #[test]
    fn inside_the_window_keeps_its_time() {
        let now = 1_764_000_000_000;
        assert_eq!(W.check(None, now).ok(), Some(now));
        for ts in [now, now - 7 * DAY, now + 300_000, now - 1, now - DAY] {
            assert_eq!(W.check(Some(ts as u64), now).ok(), Some(ts), "{ts}");
        }
    }

    #[test]
    fn outside_the_window_is_rejected_with_its_reason() {
        let now = 1_764_000_000_000;
        assert_eq!(
            reason((now - 7 * DAY - 1) as u64, now),
            Some(RejectReason::StaleTimestamp)
        );
        assert_eq!(
            reason((now - 3650 * DAY) as u64, now),
            Some(RejectReason::StaleTimestamp)
        );
        assert_eq!(reason(0, now), Some(RejectReason::StaleTimestamp));
        assert_eq!(
            reason((now + 300_001) as u64, now),
            Some(RejectReason::BadTimestamp)
        );
        assert_eq!(
            reason((now + DAY) as u64, now),
            Some(RejectReason::BadTimestamp)
        );
        assert_eq!(
            reason(i64::MAX as u64, now),
            Some(RejectReason::BadTimestamp)
        );
        assert_eq!(reason(u64::MAX, now), Some(RejectReason::BadTimestamp));
        let r = W.check(Some((now - 10 * DAY) as u64), now).unwrap_err();
        assert!(r.detail.contains("864000000 ms old"), "{}", r.detail);
    }

    #[test]
    fn extreme_clocks_and_limits_do_not_overflow() {
        let wide = Window {
            max_age_ms: i64::MAX,
            max_skew_ms: i64::MAX,
        };
        for now in [i64::MIN, -1, 0, 1, i64::MAX] {
            for ts in [0, 1, u64::MAX, i64::MAX as u64] {
                let _ = W.check(Some(ts), now);
                let _ = wide.check(Some(ts), now);
            }
        }
        assert_eq!(wide.check(Some(0), i64::MAX).ok(), Some(0));
        assert_eq!(wide.check(Some(i64::MAX as u64), 0).ok(), Some(i64::MAX));
    }
}
