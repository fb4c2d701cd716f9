//! Which readings get a history row.
//!
//! Going forward (a `ts` at or after the newest stored one) one row per `history.interval`,
//! as before. Back-dated readings (a CCU's offline buffer, or a sender replaying old
//! timestamps) are downsampled to one per interval within a run and, whatever their
//! timestamps, draw on a per-outlet (per-breaker) budget: at most
//! `ingest.max_reading_age / max(interval, 1s)` rows (capped at [`MAX_BACKFILL`]), refilled
//! at one per `max(interval, 1s)`. So a batch (or a stream of batches) of back-dated readings
//! adds a bounded number of rows, in O(1) memory per outlet.

use std::time::Duration;

/// Most back-dated rows one outlet or breaker may have saved up.
pub const MAX_BACKFILL: u64 = 100_000;

/// The back-dated row budget of one outlet or breaker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backfill {
    /// `ts` of the last back-dated row.
    last: Option<i64>,
    /// Rows left.
    tokens: u64,
    /// When the budget was last topped up (None: never used, full).
    refilled_at: Option<i64>,
}

/// The rules, from `[history]` and `[ingest]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPolicy {
    /// `history.interval` in ms (0 keeps every forward reading).
    pub interval_ms: i64,
    /// One back-dated row is earned per this many ms.
    pub period_ms: i64,
    /// Largest budget.
    pub capacity: u64,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl HistoryPolicy {
    /// The policy for `history.interval` and `ingest.max_reading_age`.
    pub fn new(interval: Duration, max_reading_age: Duration) -> HistoryPolicy {
        let interval_ms = millis(interval);
        let period_ms = interval_ms.max(1000);
        let capacity = u64::try_from(millis(max_reading_age) / period_ms)
            .unwrap_or(0)
            .clamp(1, MAX_BACKFILL);
        HistoryPolicy {
            interval_ms,
            period_ms,
            capacity,
        }
    }

    /// The slot a row at `ts` takes: the database keeps at most one row per device and slot,
    /// so that a reading delivered twice, or kept by two instances for the same interval, is
    /// stored once. With an interval, the interval's start (aligned on the epoch; two rows this
    /// gate admits are an interval apart, so never in one slot); without one, the device's own
    /// `ts` (`stamped`), and none for a server-stamped reading (two in one millisecond are two
    /// readings).
    pub fn slot(&self, ts: i64, stamped: bool) -> Option<i64> {
        if self.interval_ms > 0 {
            Some(ts.saturating_sub(ts.rem_euclid(self.interval_ms)))
        } else {
            stamped.then_some(ts)
        }
    }

    /// Whether a reading at `ts` gets a row, given the newest stored `last` and the backfill
    /// budget (both updated when it does). `now` is the server's clock.
    pub fn admit(
        &self,
        last: &mut Option<i64>,
        backfill: &mut Backfill,
        ts: i64,
        now: i64,
    ) -> bool {
        match *last {
            Some(h) if ts < h => {
                h.saturating_sub(ts) >= self.interval_ms && backfill.admit(ts, now, self)
            }
            Some(h) if self.interval_ms > 0 && ts.saturating_sub(h) < self.interval_ms => false,
            _ => {
                *last = Some(ts);
                true
            }
        }
    }
}

impl Backfill {
    fn admit(&mut self, ts: i64, now: i64, p: &HistoryPolicy) -> bool {
        self.refill(now, p);
        if p.interval_ms > 0
            && let Some(l) = self.last
            && ts >= l
            && ts.saturating_sub(l) < p.interval_ms
        {
            return false;
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        self.last = Some(ts);
        true
    }

    fn refill(&mut self, now: i64, p: &HistoryPolicy) {
        match self.refilled_at {
            None => {
                self.tokens = p.capacity;
                self.refilled_at = Some(now);
            }
            Some(at) if now > at => {
                let earned = now.saturating_sub(at) / p.period_ms;
                if earned > 0 {
                    let earned_u = u64::try_from(earned).unwrap_or(u64::MAX);
                    self.tokens = self.tokens.saturating_add(earned_u).min(p.capacity);
                    self.refilled_at = Some(at.saturating_add(earned.saturating_mul(p.period_ms)));
                }
            }
            Some(_) => {}
        }
    }

    /// Rows left in the budget (tests, diagnostics).
    pub fn tokens(&self) -> u64 {
        self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const NOW: i64 = 1_764_000_000_000;

    fn policy(interval_s: u64, age_s: u64) -> HistoryPolicy {
        HistoryPolicy::new(Duration::from_secs(interval_s), Duration::from_secs(age_s))
    }

    #[test]
    fn forward_readings_keep_one_per_interval() {
        let p = policy(60, 7 * 86_400);
        let (mut last, mut bf) = (None, Backfill::default());
        let kept: Vec<i64> = (0..10)
            .map(|i| NOW + i * 20_000)
            .filter(|ts| p.admit(&mut last, &mut bf, *ts, *ts))
            .collect();
        assert_eq!(kept, vec![NOW, NOW + 60_000, NOW + 120_000, NOW + 180_000]);
    }

    #[test]
    fn a_back_dated_run_is_downsampled() {
        let p = policy(60, 7 * 86_400);
        let (mut last, mut bf) = (Some(NOW), Backfill::default());
        // An hour of buffered readings every 2 s: one per minute is kept.
        let kept = (0..1800)
            .map(|i| NOW - 3_600_000 + i * 2000)
            .filter(|ts| p.admit(&mut last, &mut bf, *ts, NOW))
            .count();
        assert_eq!(kept, 60);
        assert_eq!(last, Some(NOW), "the forward cursor is untouched");
    }

    #[test]
    fn replays_of_old_readings_are_bounded_by_the_budget() {
        let p = policy(60, 3600); // budget: 60 rows
        assert_eq!(p.capacity, 60);
        let (mut last, mut bf) = (Some(NOW), Backfill::default());
        let mut kept = 0;
        // The same ten back-dated readings, replayed a thousand times.
        for _ in 0..1000 {
            for i in 0..10 {
                if p.admit(&mut last, &mut bf, NOW - 1_800_000 + i * MIN, NOW) {
                    kept += 1;
                }
            }
        }
        assert_eq!(kept, 60, "never more than the budget");
        // An hour later the budget is full again, not more.
        let later = NOW + 3_600_000;
        let kept_later = (0..1000)
            .filter(|i| p.admit(&mut last, &mut bf, NOW - 1_800_000 + (i % 10) * MIN, later))
            .count();
        assert_eq!(kept_later, 60);
    }

    #[test]
    fn interval_zero_keeps_forward_readings_and_bounds_back_dated_ones() {
        let p = policy(0, 7 * 86_400);
        assert_eq!(p.capacity, MAX_BACKFILL);
        let (mut last, mut bf) = (None, Backfill::default());
        assert!((0..100).all(|i| p.admit(&mut last, &mut bf, NOW + i, NOW)));
        let back = (0..200_000)
            .filter(|i| p.admit(&mut last, &mut bf, NOW - 1000 - i, NOW))
            .count() as u64;
        assert_eq!(back, MAX_BACKFILL);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let p = policy(60, 7 * 86_400);
        let mut bf = Backfill::default();
        for (h, ts, now) in [
            (i64::MAX, i64::MIN, i64::MIN),
            (i64::MIN, i64::MAX, i64::MAX),
            (0, i64::MIN, i64::MAX),
            (i64::MAX, 0, 0),
        ] {
            let mut last = Some(h);
            let _ = p.admit(&mut last, &mut bf, ts, now);
        }
        for ts in [i64::MIN, i64::MAX, -1, 0] {
            let _ = p.slot(ts, true);
        }
        let huge = HistoryPolicy::new(Duration::MAX, Duration::MAX);
        let mut last = Some(i64::MAX);
        let _ = huge.admit(&mut last, &mut Backfill::default(), i64::MIN, i64::MAX);
    }

    #[test]
    fn a_slot_is_the_interval_a_reading_falls_in_or_its_device_timestamp() {
        let p = policy(60, 3600);
        assert_eq!(p.slot(NOW + 59_999, false), Some(NOW));
        assert_eq!(p.slot(NOW + 60_000, true), Some(NOW + MIN));
        assert_eq!(
            p.slot(-1, true),
            Some(-MIN),
            "aligned on the epoch below it too"
        );
        let every = policy(0, 3600);
        assert_eq!(every.slot(NOW + 7, true), Some(NOW + 7));
        assert_eq!(
            every.slot(NOW + 7, false),
            None,
            "server-stamped: never a copy"
        );
    }
}
