//! Events: the audit log of everything that happened to a user's devices.

use serde::Serialize;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An alert started.
    AlertRaised,
    /// An alert's condition ended.
    AlertCleared,
    /// A person acknowledged an alert.
    AlertAcknowledged,
    /// A command changed state (the data carries the status).
    Command,
    /// A relay changed state as reported or acknowledged by the device.
    RelayChanged,
    /// A CCU came online.
    CcuOnline,
    /// A CCU went offline.
    CcuOffline,
    /// A CCU, outlet or user was created, changed or removed.
    Config,
    /// A CCU reported readings it dropped because its offline buffer was full.
    ReadingsDropped,
    /// The server switched a socket off on its own: the breaker load reached the CCU's
    /// automatic cut-off.
    AutoCutoff,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 10] = [
        EventKind::AlertRaised,
        EventKind::AlertCleared,
        EventKind::AlertAcknowledged,
        EventKind::Command,
        EventKind::RelayChanged,
        EventKind::CcuOnline,
        EventKind::CcuOffline,
        EventKind::Config,
        EventKind::ReadingsDropped,
        EventKind::AutoCutoff,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AlertRaised => "alert_raised",
            EventKind::AlertCleared => "alert_cleared",
            EventKind::AlertAcknowledged => "alert_acknowledged",
            EventKind::Command => "command",
            EventKind::RelayChanged => "relay_changed",
            EventKind::CcuOnline => "ccu_online",
            EventKind::CcuOffline => "ccu_offline",
            EventKind::Config => "config",
            EventKind::ReadingsDropped => "readings_dropped",
            EventKind::AutoCutoff => "auto_cutoff",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who or what caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A CCU or PIC reported it.
    Device,
    /// The server decided it (rules, time-outs).
    Server,
    /// A person in the dashboard or an integrator over the API.
    Web,
    /// The command line.
    Cli,
}

impl Source {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Device => "device",
            Source::Server => "server",
            Source::Web => "web",
            Source::Cli => "cli",
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    /// Id.
    pub id: i64,
    /// The owner it concerns.
    pub user_id: Option<i32>,
    /// What happened (stored name).
    pub kind: String,
    /// Who caused it (stored name).
    pub source: String,
    /// The CCU.
    pub ccu_id: Option<String>,
    /// The outlet's device id.
    pub device_id: Option<String>,
    /// Human-readable text.
    pub message: String,
    /// Structured detail (JSON).
    pub data: Option<serde_json::Value>,
    /// When (unix ms).
    pub created_at: i64,
}
