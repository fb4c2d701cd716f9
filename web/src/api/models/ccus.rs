//! CCU bodies: the CCU, its transport, its legacy address binding, registration, changes
//! and thresholds.

use super::*;

/// How a CCU talks to the server.
#[derive(Debug, Clone, Copy, Enum, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Transport {
    /// Settled by the CCU's first MQTT session or legacy HTTP request.
    Auto,
    /// MQTT (commands pushed at once).
    Mqtt,
    /// Legacy HTTP firmware: a command reaches it at its next 2 s cycle (the server focuses
    /// the outlet with commands waiting).
    Http,
}

impl From<Transport> for d::Transport {
    fn from(t: Transport) -> d::Transport {
        match t {
            Transport::Auto => d::Transport::Auto,
            Transport::Mqtt => d::Transport::Mqtt,
            Transport::Http => d::Transport::Http,
        }
    }
}

impl From<d::Transport> for Transport {
    fn from(t: d::Transport) -> Transport {
        match t {
            d::Transport::Auto => Transport::Auto,
            d::Transport::Mqtt => Transport::Mqtt,
            d::Transport::Http => Transport::Http,
        }
    }
}

/// A CCU.
#[derive(Debug, Object)]
pub struct Ccu {
    /// Id (also its MQTT username and client id).
    pub id: String,
    /// Display name: 1 to 100 characters, no control characters.
    pub name: String,
    /// Where it is: at most 100 characters, no control characters.
    pub location: String,
    /// MQTT or legacy HTTP.
    pub transport: Transport,
    /// Connected now.
    pub online: bool,
    /// Last message (unix ms).
    #[oai(nullable)]
    pub last_seen: Option<i64>,
    /// Firmware version from its status.
    #[oai(nullable)]
    pub firmware: Option<String>,
    /// Breaker alert threshold (mA).
    pub breaker_threshold_ma: i64,
    /// Latest breaker load (mA).
    #[oai(nullable)]
    pub breaker_ma: Option<i64>,
    /// When that was measured (unix ms).
    #[oai(nullable)]
    pub breaker_at: Option<i64>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Readings the CCU lost on the device (its offline buffer was full), summed over its
    /// drop reports (`ccu/<id>/status` with `dropped`).
    pub readings_dropped: i64,
    /// Automatic cut-off: at this percentage of `breaker_threshold_ma` the server switches
    /// off the socket drawing the most among the outlets not protected (null: off).
    #[oai(nullable)]
    pub auto_cutoff_pct: Option<i32>,
    /// Old HTTP firmware: the binding that decides which requests speak for this CCU.
    pub legacy: LegacyBinding,
}

/// Where a CCU on the old HTTP firmware calls from. The old firmware names its CCU only in
/// `POST /api/breaker-data/`; every other legacy request is served only for the CCUs bound
/// to the caller's address.
#[derive(Debug, Object)]
pub struct LegacyBinding {
    /// `bound`, `learning` (waiting for the first breaker reading until `learn_until`) or
    /// `unbound` (not served until its owner binds it or resets the binding).
    pub state: LegacyBindingState,
    /// The bound client address.
    #[oai(nullable)]
    pub addr: Option<String>,
    /// End of the learning window (unix ms), while it is open and the CCU unbound.
    #[oai(nullable)]
    pub learn_until: Option<i64>,
    /// The last address a legacy request for this CCU was refused from (offer "rebind").
    #[oai(nullable)]
    pub refused_addr: Option<String>,
}

/// State of a [`LegacyBinding`].
#[derive(Debug, Clone, Copy, Enum, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum LegacyBindingState {
    /// Bound to `addr`.
    Bound,
    /// Learns its address from its next breaker reading until `learn_until`.
    Learning,
    /// Neither: legacy requests for it are refused.
    Unbound,
}

impl LegacyBinding {
    fn of(c: &d::CcuRecord, now: i64) -> LegacyBinding {
        let learn_until = c
            .legacy_bind_until
            .filter(|u| *u > now && c.legacy_addr.is_none());
        let state = match (&c.legacy_addr, learn_until) {
            (Some(_), _) => LegacyBindingState::Bound,
            (None, Some(_)) => LegacyBindingState::Learning,
            (None, None) => LegacyBindingState::Unbound,
        };
        LegacyBinding {
            state,
            addr: c.legacy_addr.clone(),
            learn_until,
            refused_addr: c.legacy_refused_addr.clone(),
        }
    }
}

/// Bind a CCU on the old firmware to the address it calls from, or reset its binding.
#[derive(Debug, Object)]
pub struct LegacyBindingChange {
    /// Bind to this address (IPv4 or IPv6, as the server sees the caller: behind a trusted
    /// proxy, the client address it names). Absent or null: unbind, and let the CCU learn
    /// its address from its next breaker reading within `legacy.learn_window`.
    #[oai(nullable)]
    pub addr: Option<String>,
}

impl From<d::CcuRecord> for Ccu {
    fn from(c: d::CcuRecord) -> Ccu {
        let legacy = LegacyBinding::of(&c, backend::clock::now_ms());
        Ccu {
            legacy,
            id: c.id,
            name: c.name,
            location: c.location,
            transport: c.transport.into(),
            online: c.online,
            last_seen: c.last_seen,
            firmware: c.firmware,
            breaker_threshold_ma: c.breaker_threshold_ma,
            breaker_ma: c.breaker_ma,
            breaker_at: c.breaker_at,
            created_at: c.created_at,
            readings_dropped: c.readings_dropped,
            auto_cutoff_pct: c.auto_cutoff_pct,
        }
    }
}

/// A CCU to register.
#[derive(Debug, Object)]
pub struct NewCcu {
    /// Id: 1 to 32 of `A-Z 0-9 _ -` (stored upper-case), e.g. `02`.
    pub id: String,
    /// Display name: 1 to 100 characters, no control characters (default "My CCU").
    #[oai(nullable)]
    pub name: Option<String>,
    /// Where it is: at most 100 characters, no control characters.
    #[oai(nullable)]
    pub location: Option<String>,
    /// Default `auto`.
    #[oai(nullable)]
    pub transport: Option<Transport>,
}

/// MQTT login of a CCU, shown once.
#[derive(Debug, Object)]
pub struct MqttCredentials {
    /// Username (= CCU id).
    pub username: String,
    /// Client id (= CCU id).
    pub client_id: String,
    /// Secret; store it on the CCU, it cannot be shown again.
    pub password: String,
    /// Broker port.
    pub port: u16,
}

/// A CCU just registered, with its credentials.
#[derive(Debug, Object)]
pub struct CcuCreated {
    /// The CCU.
    pub ccu: Ccu,
    /// Its MQTT login.
    pub mqtt: MqttCredentials,
}

/// Changes to a CCU.
#[derive(Debug, Object)]
pub struct CcuPatch {
    /// New name: 1 to 100 characters, no control characters.
    #[oai(nullable)]
    pub name: Option<String>,
    /// New location: at most 100 characters, no control characters.
    #[oai(nullable)]
    pub location: Option<String>,
}

/// A CCU's automatic cut-off.
#[derive(Debug, Object)]
pub struct AutoCutoff {
    /// 1 to 100: percentage of the breaker threshold at which to cut; null: off.
    #[oai(nullable)]
    pub at_pct: Option<i32>,
}

/// A threshold in mA.
#[derive(Debug, Object)]
pub struct Threshold {
    /// mA.
    pub threshold_ma: i64,
}
