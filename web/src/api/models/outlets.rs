//! Outlet bodies: the outlet with its live state, new outlets, changes.

use super::*;

/// An outlet with its live state.
#[derive(Debug, Object)]
pub struct Outlet {
    /// Id.
    pub id: i32,
    /// Its CCU.
    pub ccu_id: String,
    /// The PIC id, two upper-case hex digits.
    pub device_id: String,
    /// Display name: 1 to 100 characters, no control characters.
    pub name: String,
    /// Where it is: at most 100 characters, no control characters.
    pub location: String,
    /// Per-socket alert threshold (mA, 0 = none).
    pub threshold_ma: i64,
    /// Socket A (mA; 65535 = overload trip).
    #[oai(nullable)]
    pub current_a: Option<i64>,
    /// Socket B (mA).
    #[oai(nullable)]
    pub current_b: Option<i64>,
    /// Relay A as confirmed by the device (null = unknown).
    #[oai(nullable)]
    pub relay_a: Option<bool>,
    /// Relay B as confirmed by the device.
    #[oai(nullable)]
    pub relay_b: Option<bool>,
    /// Either socket in overload trip.
    pub is_overload: bool,
    /// Reporting.
    pub online: bool,
    /// Last reading (unix ms).
    #[oai(nullable)]
    pub last_seen: Option<i64>,
    /// Its CCU runs the old HTTP firmware, which reads each unfocused outlet once per round
    /// robin (outlets × 30 s): the currents are "last heard", not live. Opening the outlet
    /// (`POST /outlets/{id}/view`) or sending it a command makes it read every 2 s.
    pub polled: bool,
    /// Silence after which it counts as offline and is alerted (seconds).
    pub silent_after_s: i64,
    /// Never switched off by its CCU's automatic cut-off.
    pub cutoff_protected: bool,
}

impl From<d::OutletRecord> for Outlet {
    fn from(o: d::OutletRecord) -> Outlet {
        Outlet {
            id: o.id,
            ccu_id: o.ccu_id,
            device_id: o.device_id,
            name: o.name,
            location: o.location,
            threshold_ma: o.threshold_ma,
            current_a: o.current_a,
            current_b: o.current_b,
            relay_a: o.relay_a,
            relay_b: o.relay_b,
            is_overload: o.is_overload,
            online: o.online,
            last_seen: o.last_seen,
            polled: o.polled,
            silent_after_s: o.silent_after_ms / 1000,
            cutoff_protected: o.cutoff_protected,
        }
    }
}

/// An outlet to add.
#[derive(Debug, Object)]
pub struct NewOutlet {
    /// The CCU it is paired with.
    pub ccu_id: String,
    /// 1 or 2 hex digits; `fe`, `0xFE` and `FE` are the same id.
    pub device_id: String,
    /// Display name: 1 to 100 characters, no control characters.
    pub name: String,
    /// Where it is: at most 100 characters, no control characters.
    #[oai(nullable)]
    pub location: Option<String>,
}

/// Changes to an outlet.
#[derive(Debug, Object)]
pub struct OutletPatch {
    /// New name: 1 to 100 characters, no control characters.
    #[oai(nullable)]
    pub name: Option<String>,
    /// New location: at most 100 characters, no control characters.
    #[oai(nullable)]
    pub location: Option<String>,
    /// Move to another of your CCUs.
    #[oai(nullable)]
    pub ccu_id: Option<String>,
}

/// Protect an outlet from the automatic cut-off, or not.
#[derive(Debug, Object)]
pub struct CutoffProtection {
    /// Never switch this outlet off automatically.
    pub protected: bool,
}
