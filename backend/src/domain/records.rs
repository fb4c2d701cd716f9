//! Read models of users, CCUs, outlets and history points.

use serde::Serialize;

/// How a CCU talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Not known yet: becomes `mqtt` on the CCU's first MQTT session, `http` on its first
    /// legacy request (the default for new CCUs).
    Auto,
    /// MQTT (commands are pushed).
    Mqtt,
    /// The legacy HTTP cycle (commands wait for its poll).
    Http,
}

impl Transport {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Auto => "auto",
            Transport::Mqtt => "mqtt",
            Transport::Http => "http",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Transport> {
        match s {
            "auto" => Some(Transport::Auto),
            "mqtt" => Some(Transport::Mqtt),
            "http" => Some(Transport::Http),
            _ => None,
        }
    }

    /// True when the legacy HTTP shim may serve this CCU.
    pub fn serves_http(self) -> bool {
        matches!(self, Transport::Http | Transport::Auto)
    }
}

/// A user account.
#[derive(Debug, Clone, Serialize)]
pub struct UserRecord {
    /// Id.
    pub id: i32,
    /// Login name.
    pub username: String,
    /// Creation time (unix ms).
    pub created_at: i64,
    /// May manage other users (the first user is).
    pub is_admin: bool,
    /// Cannot log in; its sessions and API tokens are refused.
    pub disabled: bool,
}

/// A CCU with its presence and latest breaker load.
#[derive(Debug, Clone, Serialize)]
pub struct CcuRecord {
    /// The CCU id (MQTT username).
    pub id: String,
    /// Owning user.
    pub owner_id: i32,
    /// Display name.
    pub name: String,
    /// Where it is.
    pub location: String,
    /// MQTT or legacy HTTP.
    pub transport: Transport,
    /// Breaker alert threshold (mA).
    pub breaker_threshold_ma: i64,
    /// Connected now.
    pub online: bool,
    /// Firmware version from its status.
    pub firmware: Option<String>,
    /// Last message (unix ms).
    pub last_seen: Option<i64>,
    /// Latest breaker load (mA).
    pub breaker_ma: Option<i64>,
    /// When that was measured (unix ms).
    pub breaker_at: Option<i64>,
    /// Creation time (unix ms).
    pub created_at: i64,
    /// Legacy HTTP firmware: the client address this CCU is bound to (`None`: unbound).
    pub legacy_addr: Option<String>,
    /// Legacy HTTP firmware: unix ms until which an unbound CCU may learn its address from
    /// its first `POST /api/breaker-data/` (`None`: no window).
    pub legacy_bind_until: Option<i64>,
    /// Legacy HTTP firmware: the outlet a person focused (the old `/api/focus/<id>/` route, or
    /// open in the dashboard), while that holds.
    pub legacy_focus: Option<String>,
    /// Legacy HTTP firmware: the last address a request for this CCU was refused from
    /// (this process's memory only; offered as "rebind to …").
    pub legacy_refused_addr: Option<String>,
    /// Readings the CCU reported it dropped (offline buffer full), summed over its reports.
    pub readings_dropped: i64,
    /// Automatic cut-off: at this percentage of the breaker threshold the server switches off
    /// the unprotected socket drawing the most (`None`: off).
    pub auto_cutoff_pct: Option<i32>,
}

/// An outlet with its latest state.
#[derive(Debug, Clone, Serialize)]
pub struct OutletRecord {
    /// Id.
    pub id: i32,
    /// Its CCU.
    pub ccu_id: String,
    /// The PIC id, two upper-case hex digits.
    pub device_id: String,
    /// Display name.
    pub name: String,
    /// Where it is.
    pub location: String,
    /// Per-socket alert threshold (mA, 0 = none).
    pub threshold_ma: i64,
    /// Latest socket A current (mA, 65535 = overload).
    pub current_a: Option<i64>,
    /// Latest socket B current.
    pub current_b: Option<i64>,
    /// Relay A as reported or acknowledged by the device (`None` = unknown).
    pub relay_a: Option<bool>,
    /// Relay B.
    pub relay_b: Option<bool>,
    /// Either socket in overload trip.
    pub is_overload: bool,
    /// Heard from within `presence.stale_after`.
    pub online: bool,
    /// Last reading (unix ms).
    pub last_seen: Option<i64>,
    /// Its readings come from the old HTTP firmware's round robin (one outlet per 30 s in
    /// turn, the focused one every 2 s): a value is "last heard", not live.
    pub polled: bool,
    /// Silence after which it counts as offline (ms): the expected gap between readings.
    pub silent_after_ms: i64,
    /// Never switched off by the automatic cut-off (a fridge, a network switch).
    pub cutoff_protected: bool,
}

/// One stored outlet reading.
#[derive(Debug, Clone, Serialize)]
pub struct ReadingPoint {
    /// When (unix ms).
    pub ts: i64,
    /// Socket A (mA).
    pub current_a: i64,
    /// Socket B (mA).
    pub current_b: i64,
    /// Overload trip.
    pub is_overload: bool,
}

/// One stored breaker reading.
#[derive(Debug, Clone, Serialize)]
pub struct BreakerPoint {
    /// When (unix ms).
    pub ts: i64,
    /// Load (mA).
    pub current_ma: i64,
}
