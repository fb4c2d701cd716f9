//! Alerts: a condition with a lifecycle (raised, cleared, acknowledged).

use serde::Serialize;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A socket reported overload trip (65535 or `is_overload`).
    Overload,
    /// An outlet socket above its threshold.
    OutletThreshold,
    /// A CCU's main breaker above its threshold.
    BreakerThreshold,
    /// A CCU went offline (will or status).
    CcuOffline,
    /// An outlet silent for `presence.stale_after`.
    OutletOffline,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 5] = [
        AlertKind::Overload,
        AlertKind::OutletThreshold,
        AlertKind::BreakerThreshold,
        AlertKind::CcuOffline,
        AlertKind::OutletOffline,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Overload => "overload",
            AlertKind::OutletThreshold => "outlet_threshold",
            AlertKind::BreakerThreshold => "breaker_threshold",
            AlertKind::CcuOffline => "ccu_offline",
            AlertKind::OutletOffline => "outlet_offline",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An alert as stored.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AlertRecord {
    /// Id.
    pub id: i32,
    /// Owner of the device.
    pub user_id: i32,
    /// Kind.
    pub kind: AlertKind,
    /// The CCU concerned.
    pub ccu_id: Option<String>,
    /// The outlet concerned.
    pub outlet_id: Option<i32>,
    /// The outlet's device id.
    pub device_id: Option<String>,
    /// Human-readable text.
    pub message: String,
    /// The value that raised it (mA).
    pub value: Option<i64>,
    /// The threshold crossed (mA).
    pub threshold: Option<i64>,
    /// Raised (unix ms).
    pub raised_at: i64,
    /// Cleared (unix ms); `None` while active.
    pub cleared_at: Option<i64>,
    /// Acknowledged (unix ms).
    pub acknowledged_at: Option<i64>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<i32>,
}

impl AlertRecord {
    /// True until the condition ends.
    pub fn active(&self) -> bool {
        self.cleared_at.is_none()
    }
}
