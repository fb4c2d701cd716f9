//! Latency percentiles.

use serde::Serialize;
use std::time::Duration;

/// p50, p95, p99 and max of a sample, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Percentiles {
    /// Samples.
    pub n: usize,
    /// Median (ms).
    pub p50: f64,
    /// 95th percentile (ms).
    pub p95: f64,
    /// 99th percentile (ms).
    pub p99: f64,
    /// Largest (ms).
    pub max: f64,
}

impl Percentiles {
    /// Of a sample (nearest-rank).
    pub fn of(samples: &[Duration]) -> Percentiles {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if ms.is_empty() {
                return 0.0;
            }
            let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
            ms[rank - 1]
        };
        Percentiles {
            n: ms.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: ms.last().copied().unwrap_or(0.0),
        }
    }

    /// `p50 / p95 / p99 / max ms`.
    pub fn show(&self) -> String {
        format!(
            "p50 {:.2} / p95 {:.2} / p99 {:.2} / max {:.2} ms (n={})",
            self.p50, self.p95, self.p99, self.max, self.n
        )
    }
}
