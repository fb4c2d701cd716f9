//! History bodies: downsampled outlet and breaker history.

use super::*;

/// Min, mean and max of a bucket.
#[derive(Debug, Object)]
pub struct Stat {
    /// Minimum.
    pub min: i64,
    /// Mean.
    pub mean: f64,
    /// Maximum.
    pub max: i64,
}

/// One downsampled bucket of outlet history.
#[derive(Debug, Object)]
pub struct ReadingBucket {
    /// Bucket start (unix ms).
    pub ts: i64,
    /// Readings in the bucket.
    pub n: i64,
    /// Socket A (mA).
    pub a: Stat,
    /// Socket B (mA).
    pub b: Stat,
    /// Any overload in the bucket.
    pub overload: bool,
}

/// Downsampled outlet history.
#[derive(Debug, Object)]
pub struct ReadingHistory {
    /// Start (unix ms).
    pub from: i64,
    /// End (unix ms, exclusive).
    pub to: i64,
    /// Bucket width (ms).
    pub bucket_ms: i64,
    /// Non-empty buckets, oldest first.
    pub buckets: Vec<ReadingBucket>,
}

/// One downsampled bucket of breaker history.
#[derive(Debug, Object)]
pub struct BreakerBucket {
    /// Bucket start (unix ms).
    pub ts: i64,
    /// Readings in the bucket.
    pub n: i64,
    /// Load (mA).
    pub current_ma: Stat,
}

/// Downsampled breaker history.
#[derive(Debug, Object)]
pub struct BreakerHistory {
    /// Start (unix ms).
    pub from: i64,
    /// End (unix ms, exclusive).
    pub to: i64,
    /// Bucket width (ms).
    pub bucket_ms: i64,
    /// Non-empty buckets, oldest first.
    pub buckets: Vec<BreakerBucket>,
}
