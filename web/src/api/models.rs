//! Request and response bodies of the REST API.

use backend::domain as d;
use poem_openapi::{Enum, Object};

/// A user.
#[derive(Debug, Object)]
pub struct User {
    /// Id.
    pub id: i32,
    /// Login name.
    pub username: String,
    /// Created (unix ms).
    pub created_at: i64,
    /// May manage other users (the first user is; `smart-outlet user add --admin`).
    pub is_admin: bool,
}

impl From<d::UserRecord> for User {
    fn from(u: d::UserRecord) -> User {
        User {
            id: u.id,
            username: u.username,
            created_at: u.created_at,
            is_admin: u.is_admin,
        }
    }
}

/// A password change.
#[derive(Debug, Object)]
pub struct PasswordChange {
    /// The password now.
    pub current_password: String,
    /// The new one: at least 8 characters.
    pub new_password: String,
}

/// The account's password, to confirm a destructive action.
#[derive(Debug, Object)]
pub struct PasswordConfirm {
    /// The password now.
    pub password: String,
}

/// Username and password.
#[derive(Debug, Object)]
pub struct Credentials {
    /// 3 to 64 of letters, digits and `_ . @ -`.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
}

/// A logged-in session. The session itself travels in the `so_session` cookie.
#[derive(Debug, Object)]
pub struct Session {
    /// The user.
    pub user: User,
    /// Send it as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the cookie.
    pub csrf_token: String,
    /// Expiry (unix ms).
    pub expires_at: i64,
}

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
    /// Display name.
    pub name: String,
    /// Where it is.
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
        }
    }
}

/// A CCU to register.
#[derive(Debug, Object)]
pub struct NewCcu {
    /// Id: 1 to 32 of `A-Z 0-9 _ -` (stored upper-case), e.g. `02`.
    pub id: String,
    /// Display name (default "My CCU").
    #[oai(nullable)]
    pub name: Option<String>,
    /// Where it is.
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
    /// New name.
    #[oai(nullable)]
    pub name: Option<String>,
    /// New location.
    #[oai(nullable)]
    pub location: Option<String>,
}

/// A threshold in mA.
#[derive(Debug, Object)]
pub struct Threshold {
    /// mA.
    pub threshold_ma: i64,
}

/// An outlet with its live state.
#[derive(Debug, Object)]
pub struct Outlet {
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
    /// Display name.
    pub name: String,
    /// Where it is.
    #[oai(nullable)]
    pub location: Option<String>,
}

/// Changes to an outlet.
#[derive(Debug, Object)]
pub struct OutletPatch {
    /// New name.
    #[oai(nullable)]
    pub name: Option<String>,
    /// New location.
    #[oai(nullable)]
    pub location: Option<String>,
    /// Move to another of your CCUs.
    #[oai(nullable)]
    pub ccu_id: Option<String>,
}

/// A command name.
#[derive(Debug, Clone, Copy, Enum, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum CommandName {
    /// Switch a socket on.
    RelayOn,
    /// Switch a socket off.
    RelayOff,
    /// Program the PIC's overload threshold (`value` mA).
    SetThreshold,
    /// Read both sockets now.
    ReadSensors,
    /// Check the PIC answers.
    Ping,
}

impl From<CommandName> for d::CommandKind {
    fn from(c: CommandName) -> d::CommandKind {
        match c {
            CommandName::RelayOn => d::CommandKind::RelayOn,
            CommandName::RelayOff => d::CommandKind::RelayOff,
            CommandName::SetThreshold => d::CommandKind::SetThreshold,
            CommandName::ReadSensors => d::CommandKind::ReadSensors,
            CommandName::Ping => d::CommandKind::Ping,
        }
    }
}

impl From<d::CommandKind> for CommandName {
    fn from(c: d::CommandKind) -> CommandName {
        match c {
            d::CommandKind::RelayOn => CommandName::RelayOn,
            d::CommandKind::RelayOff => CommandName::RelayOff,
            d::CommandKind::SetThreshold => CommandName::SetThreshold,
            d::CommandKind::ReadSensors => CommandName::ReadSensors,
            d::CommandKind::Ping => CommandName::Ping,
        }
    }
}

/// A socket.
#[derive(Debug, Clone, Copy, Enum, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum SocketName {
    /// Socket A.
    A,
    /// Socket B.
    B,
}

impl From<SocketName> for d::Socket {
    fn from(s: SocketName) -> d::Socket {
        match s {
            SocketName::A => d::Socket::A,
            SocketName::B => d::Socket::B,
        }
    }
}

/// A command to send.
#[derive(Debug, Object)]
pub struct NewCommand {
    /// Target outlet.
    pub outlet_id: i32,
    /// What to do.
    pub command: CommandName,
    /// `a` or `b`, for relay commands.
    #[oai(nullable)]
    pub socket: Option<SocketName>,
    /// mA, for `set_threshold`.
    #[oai(nullable)]
    pub value: Option<i64>,
}

/// A command and where it is in its lifecycle.
#[derive(Debug, Object)]
pub struct Command {
    /// Id (UUID), echoed by the CCU's ack.
    pub id: String,
    /// CCU.
    pub ccu_id: String,
    /// Outlet.
    pub outlet_id: i32,
    /// Outlet device id.
    pub device_id: String,
    /// What.
    pub command: CommandName,
    /// `a` or `b`.
    #[oai(nullable)]
    pub socket: Option<String>,
    /// mA.
    #[oai(nullable)]
    pub value: Option<i64>,
    /// `queued`, `sent`, `ok`, `failed`, `timed_out` or `expired`.
    pub status: String,
    /// Why it failed.
    #[oai(nullable)]
    pub detail: Option<String>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Published or handed to a poll (unix ms).
    #[oai(nullable)]
    pub sent_at: Option<i64>,
    /// Final (unix ms).
    #[oai(nullable)]
    pub completed_at: Option<i64>,
    /// Expires if still queued (unix ms).
    pub expires_at: i64,
}

impl From<d::CommandRecord> for Command {
    fn from(c: d::CommandRecord) -> Command {
        Command {
            id: c.id,
            ccu_id: c.ccu_id,
            outlet_id: c.outlet_id,
            device_id: c.device_id,
            command: c.command.into(),
            socket: c.socket.map(|s| s.as_str().to_string()),
            value: c.value,
            status: c.status.as_str().to_string(),
            detail: c.detail,
            created_at: c.created_at,
            sent_at: c.sent_at,
            completed_at: c.completed_at,
            expires_at: c.expires_at,
        }
    }
}

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

/// An event of the log.
#[derive(Debug, Object)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// Kind: `alert_raised`, `alert_cleared`, `alert_acknowledged`, `command`, `relay_changed`, `ccu_online`, `ccu_offline`, `config`.
    pub kind: String,
    /// `device`, `server`, `web` or `cli`.
    pub source: String,
    /// CCU.
    #[oai(nullable)]
    pub ccu_id: Option<String>,
    /// Outlet device id.
    #[oai(nullable)]
    pub device_id: Option<String>,
    /// Text.
    pub message: String,
    /// Structured detail.
    #[oai(nullable)]
    pub data: Option<serde_json::Value>,
    /// When (unix ms).
    pub created_at: i64,
}

impl From<d::EventRecord> for Event {
    fn from(e: d::EventRecord) -> Event {
        Event {
            id: e.id,
            kind: e.kind,
            source: e.source,
            ccu_id: e.ccu_id,
            device_id: e.device_id,
            message: e.message,
            data: e.data,
            created_at: e.created_at,
        }
    }
}

/// One page of events.
#[derive(Debug, Object)]
pub struct EventPage {
    /// Events, newest first.
    pub items: Vec<Event>,
    /// Matching events in all.
    pub total: u64,
    /// Page number (from 1).
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Count of one kind of event on one day.
#[derive(Debug, Object)]
pub struct EventCount {
    /// Day (unix ms of 00:00 UTC).
    pub day: i64,
    /// Kind.
    pub kind: String,
    /// Count.
    pub count: i64,
}

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

/// A name for a new API token.
#[derive(Debug, Object)]
pub struct NewToken {
    /// Label.
    pub name: String,
}

/// An API token (never its secret).
#[derive(Debug, Object)]
pub struct Token {
    /// Id.
    pub id: i32,
    /// Label.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Created (unix ms).
    pub created_at: i64,
    /// Last used (unix ms).
    #[oai(nullable)]
    pub last_used_at: Option<i64>,
    /// Revoked (unix ms).
    #[oai(nullable)]
    pub revoked_at: Option<i64>,
}

impl From<backend::store::TokenRecord> for Token {
    fn from(t: backend::store::TokenRecord) -> Token {
        Token {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just created: send `secret` as `Authorization: Bearer <secret>`. Shown once.
#[derive(Debug, Object)]
pub struct TokenCreated {
    /// The token.
    pub token: Token,
    /// The secret.
    pub secret: String,
}

/// This server, as a client sees it.
#[derive(Debug, Object)]
pub struct ServerInfo {
    /// Server version.
    pub version: String,
    /// MQTT host CCUs connect to; null: the host this API is served from (embedded broker).
    #[oai(nullable)]
    pub mqtt_host: Option<String>,
    /// MQTT 3.1.1 port.
    pub mqtt_port: u16,
    /// MQTT 5 port, when enabled.
    #[oai(nullable)]
    pub mqtt_v5_port: Option<u16>,
    /// The legacy HTTP shim for old CCU firmware is on.
    pub legacy_http: bool,
}
