//! The time range and bucket count of a history request, checked before any arithmetic so
//! that none of it can overflow: both ends within `[0, MAX_TS]`, `from < to`, at most
//! [`MAX_RANGE_MS`] apart, `1..=MAX_BUCKETS` buckets. Anything else is a clear 400.

/// Most buckets one request may ask for.
pub const MAX_BUCKETS: i64 = 5000;
/// Buckets when the request names none.
pub const DEFAULT_BUCKETS: i64 = 500;
/// Latest accepted time: 10000-01-01T00:00:00Z in unix ms.
pub const MAX_TS: i64 = 253_402_300_800_000;
/// Longest range of one request (history and CSV): 400 days.
pub const MAX_RANGE_MS: i64 = 400 * DAY_MS;
/// Range when the request names no `from`.
pub const DEFAULT_RANGE_MS: i64 = DAY_MS;
const DAY_MS: i64 = 86_400_000;

/// A checked `[from, to)` in unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Start (inclusive).
    pub from: i64,
    /// End (exclusive).
    pub to: i64,
}

impl Range {
    /// `[from, to)` with defaults (`to`: now + 1 ms, `from`: `to` − 24 h), or why not.
    pub fn parse(from: Option<i64>, to: Option<i64>, now: i64) -> Result<Range, String> {
        Range::parse_with_default(from, to, now, DEFAULT_RANGE_MS)
    }

    /// As [`Range::parse`], `from` defaulting to `to` − `default_ms`.
    pub fn parse_with_default(
        from: Option<i64>,
        to: Option<i64>,
        now: i64,
        default_ms: i64,
    ) -> Result<Range, String> {
        let to = to.unwrap_or_else(|| now.saturating_add(1).clamp(1, MAX_TS));
        let from = from.unwrap_or_else(|| to.saturating_sub(default_ms).max(0));
        for (name, v) in [("from", from), ("to", to)] {
            if !(0..=MAX_TS).contains(&v) {
                return Err(format!(
                    "`{name}` = {v} is out of range: unix milliseconds from 0 to {MAX_TS} (year 10000)"
                ));
            }
        }
        if from >= to {
            return Err(format!("`from` ({from}) must be before `to` ({to})"));
        }
        let span = to - from;
        if span > MAX_RANGE_MS {
            return Err(format!(
                "the range is {span} ms; at most {MAX_RANGE_MS} ms (400 days) per request, split it"
            ));
        }
        Ok(Range { from, to })
    }

    /// Width (ms, at least 1) of `buckets` equal buckets covering the range.
    pub fn bucket_width(&self, buckets: Option<i64>) -> Result<i64, String> {
        let n = buckets.unwrap_or(DEFAULT_BUCKETS);
        if !(1..=MAX_BUCKETS).contains(&n) {
            return Err(format!("`buckets` = {n}: must be 1 to {MAX_BUCKETS}"));
        }
        // span ≤ MAX_RANGE_MS and n ≤ MAX_BUCKETS: no overflow.
        let span = self.to - self.from;
        Ok(((span + n - 1) / n).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;

    #[test]
    fn defaults_and_normal_ranges() {
        let r = Range::parse(None, None, NOW).unwrap();
        assert_eq!((r.from, r.to), (NOW + 1 - DAY_MS, NOW + 1));
        let r = Range::parse(Some(NOW - 3_600_000), Some(NOW), NOW).unwrap();
        assert_eq!(r.bucket_width(Some(12)), Ok(300_000));
        assert_eq!(r.bucket_width(None), Ok(7200));
        let tiny = Range::parse(Some(0), Some(1), NOW).unwrap();
        assert_eq!(tiny.bucket_width(Some(MAX_BUCKETS)), Ok(1));
        let year = Range::parse(Some(NOW - 365 * DAY_MS), None, NOW).unwrap();
        assert_eq!(year.to, NOW + 1);
    }

    #[test]
    fn bad_ranges_are_errors_not_overflows() {
        let cases: &[(Option<i64>, Option<i64>, &str)] = &[
            (Some(i64::MIN), Some(i64::MAX), "out of range"),
            (Some(i64::MIN), None, "out of range"),
            (None, Some(i64::MIN), "out of range"),
            (None, Some(i64::MAX), "out of range"),
            (Some(i64::MAX), None, "out of range"),
            (Some(-1), Some(5), "out of range"),
            (Some(0), Some(MAX_TS + 1), "out of range"),
            (Some(NOW), Some(NOW), "must be before"),
            (Some(NOW), Some(NOW - 1), "must be before"),
            (Some(0), Some(MAX_TS), "400 days"),
            (Some(NOW - 401 * DAY_MS), Some(NOW), "400 days"),
        ];
        for (from, to, want) in cases {
            let err = Range::parse(*from, *to, NOW).unwrap_err();
            assert!(err.contains(want), "{from:?} {to:?}: {err}");
        }
        for now in [i64::MIN, 0, i64::MAX] {
            let _ = Range::parse(None, None, now);
        }
    }

    #[test]
    fn bucket_counts_are_bounded() {
        let r = Range::parse(Some(NOW - 400 * DAY_MS), Some(NOW), NOW).unwrap();
        for n in [0, -1, i64::MIN, MAX_BUCKETS + 1, i64::MAX] {
            assert!(r.bucket_width(Some(n)).is_err(), "{n}");
        }
        assert_eq!(r.bucket_width(Some(MAX_BUCKETS)), Ok(6_912_000));
    }
}
