//! The alert and the command carried by `/ws`'s `alert` and `command` messages, with their
//! enumerations (the same fields and values as the REST API's `Alert` and `Command`, whose
//! `CommandName` and `SocketName` they share).

use crate::api::models::{CommandName, SocketName};
use backend::domain as d;
use schemars::JsonSchema;
use serde::Serialize;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A socket reported an overload trip.
    Overload,
    /// An outlet socket above its threshold.
    OutletThreshold,
    /// A CCU's main breaker above its threshold.
    BreakerThreshold,
    /// A CCU went offline.
    CcuOffline,
    /// An outlet went silent.
    OutletOffline,
}

impl From<d::AlertKind> for AlertKind {
    fn from(k: d::AlertKind) -> Self {
        match k {
            d::AlertKind::Overload => AlertKind::Overload,
            d::AlertKind::OutletThreshold => AlertKind::OutletThreshold,
            d::AlertKind::BreakerThreshold => AlertKind::BreakerThreshold,
            d::AlertKind::CcuOffline => AlertKind::CcuOffline,
            d::AlertKind::OutletOffline => AlertKind::OutletOffline,
        }
    }
}

/// An alert after a change.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AlertMessage<'a> {
    /// Id.
    pub id: i32,
    /// Owner of the device.
    pub user_id: i32,
    /// Kind.
    pub kind: AlertKind,
    /// The CCU concerned.
    pub ccu_id: Option<&'a str>,
    /// The outlet concerned.
    pub outlet_id: Option<i32>,
    /// The outlet's device id.
    pub device_id: Option<&'a str>,
    /// Human-readable text.
    pub message: &'a str,
    /// The value that raised it (mA).
    pub value: Option<i64>,
    /// The threshold crossed (mA).
    pub threshold: Option<i64>,
    /// Raised (unix ms).
    pub raised_at: i64,
    /// Cleared (unix ms); null while active.
    pub cleared_at: Option<i64>,
    /// Acknowledged (unix ms).
    pub acknowledged_at: Option<i64>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<i32>,
}

impl<'a> From<&'a d::AlertRecord> for AlertMessage<'a> {
    fn from(a: &'a d::AlertRecord) -> Self {
        AlertMessage {
            id: a.id,
            user_id: a.user_id,
            kind: a.kind.into(),
            ccu_id: a.ccu_id.as_deref(),
            outlet_id: a.outlet_id,
            device_id: a.device_id.as_deref(),
            message: &a.message,
            value: a.value,
            threshold: a.threshold,
            raised_at: a.raised_at,
            cleared_at: a.cleared_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
        }
    }
}

/// Where a command is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Stored; the CCU is offline or polls over HTTP.
    Queued,
    /// Handed to the CCU; waiting for its ack.
    Sent,
    /// The outlet acknowledged it.
    Ok,
    /// The CCU reported failure.
    Failed,
    /// No ack in time.
    TimedOut,
    /// Still queued when it expired.
    Expired,
}

impl From<d::CommandStatus> for CommandStatus {
    fn from(s: d::CommandStatus) -> Self {
        match s {
            d::CommandStatus::Queued => CommandStatus::Queued,
            d::CommandStatus::Sent => CommandStatus::Sent,
            d::CommandStatus::Ok => CommandStatus::Ok,
            d::CommandStatus::Failed => CommandStatus::Failed,
            d::CommandStatus::TimedOut => CommandStatus::TimedOut,
            d::CommandStatus::Expired => CommandStatus::Expired,
        }
    }
}

/// A command after a change of state.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CommandMessage<'a> {
    /// Unique id (UUID).
    pub id: &'a str,
    /// The CCU that executes it.
    pub ccu_id: &'a str,
    /// The outlet.
    pub outlet_id: i32,
    /// The outlet's device id.
    pub device_id: &'a str,
    /// Who asked (null: the system).
    pub user_id: Option<i32>,
    /// What.
    pub command: CommandName,
    /// Which socket (relay commands).
    pub socket: Option<SocketName>,
    /// Threshold value (mA).
    pub value: Option<i64>,
    /// Lifecycle state.
    pub status: CommandStatus,
    /// Why it failed.
    pub detail: Option<&'a str>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Handed to the CCU (unix ms).
    pub sent_at: Option<i64>,
    /// Reached a final state (unix ms).
    pub completed_at: Option<i64>,
    /// Expires if still queued (unix ms).
    pub expires_at: i64,
}

impl<'a> From<&'a d::CommandRecord> for CommandMessage<'a> {
    fn from(c: &'a d::CommandRecord) -> Self {
        CommandMessage {
            id: &c.id,
            ccu_id: &c.ccu_id,
            outlet_id: c.outlet_id,
            device_id: &c.device_id,
            user_id: c.user_id,
            command: c.command.into(),
            socket: c.socket.map(Into::into),
            value: c.value,
            status: c.status.into(),
            detail: c.detail.as_deref(),
            created_at: c.created_at,
            sent_at: c.sent_at,
            completed_at: c.completed_at,
            expires_at: c.expires_at,
        }
    }
}
