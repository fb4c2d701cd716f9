//! The alert body.

use super::*;

/// An alert.
#[derive(Debug, Object)]
pub struct Alert {
    /// Id.
    pub id: i32,
    /// `overload`, `outlet_threshold`, `breaker_threshold`, `ccu_offline`, `outlet_offline`.
    pub kind: String,
    /// CCU.
    #[oai(nullable)]
    pub ccu_id: Option<String>,
    /// Outlet.
    #[oai(nullable)]
    pub outlet_id: Option<i32>,
    /// Outlet device id.
    #[oai(nullable)]
    pub device_id: Option<String>,
    /// Text.
    pub message: String,
    /// Value that raised it (mA).
    #[oai(nullable)]
    pub value: Option<i64>,
    /// Threshold crossed (mA).
    #[oai(nullable)]
    pub threshold: Option<i64>,
    /// Raised (unix ms).
    pub raised_at: i64,
    /// Cleared (unix ms); null while active.
    #[oai(nullable)]
    pub cleared_at: Option<i64>,
    /// Active now.
    pub active: bool,
    /// Acknowledged (unix ms).
    #[oai(nullable)]
    pub acknowledged_at: Option<i64>,
}

impl From<d::AlertRecord> for Alert {
    fn from(a: d::AlertRecord) -> Alert {
        Alert {
            active: a.active(),
            id: a.id,
            kind: a.kind.as_str().to_string(),
            ccu_id: a.ccu_id,
            outlet_id: a.outlet_id,
            device_id: a.device_id,
            message: a.message,
            value: a.value,
            threshold: a.threshold,
            raised_at: a.raised_at,
            cleared_at: a.cleared_at,
            acknowledged_at: a.acknowledged_at,
        }
    }
}
