//! `ccu/<id>/breaker`: the main breaker's load.

use serde::{Deserialize, Serialize};

/// The main breaker's RMS current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerReading {
    /// Load in mA.
    pub current_ma: i64,
    /// When it was measured (unix ms); absent for live readings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
}
