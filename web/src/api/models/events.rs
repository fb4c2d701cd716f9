//! Event log bodies: events, pages, daily counts.

use super::*;

/// An event of the log.
#[derive(Debug, Object)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// Kind: `alert_raised`, `alert_cleared`, `alert_acknowledged`, `command`, `relay_changed`, `ccu_online`, `ccu_offline`, `config`, `readings_dropped`, `auto_cutoff`.
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
