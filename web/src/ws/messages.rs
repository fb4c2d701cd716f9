//! The messages of the multiplexed `/ws` stream: this crate's contract, apart from the
//! backend's [`LiveEvent`], documented in `docs/websocket.md` and `docs/ws-messages.json`.
//!
//! Every message is a JSON object with a `type`. The field order and names are the ones the
//! stream has always sent (a test compares them with the backend event's own serialisation).

use super::records::{AlertMessage, CommandMessage};
use backend::live::LiveEvent;
use schemars::JsonSchema;
use serde::Serialize;

/// One message of `/ws`, as sent (a text frame holding one JSON object).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum WsMessage<'a> {
    /// First message of every connection.
    Hello(Hello),
    /// The client fell behind and messages were skipped.
    Lagged(Lagged),
    /// Something happened to one of the user's devices.
    Live(LiveMessage<'a>),
}

impl WsMessage<'_> {
    /// The text frame.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The `type` of a hello message.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HelloType {
    /// `hello`
    Hello,
}

/// Sent once, first, on every `/ws` connection: who the socket is authenticated as.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Hello {
    /// Always `hello`.
    #[serde(rename = "type")]
    pub kind: HelloType,
    /// The user whose events the socket carries.
    pub user_id: i32,
}

impl Hello {
    /// The greeting for `user_id`.
    pub fn new(user_id: i32) -> Hello {
        Hello {
            kind: HelloType::Hello,
            user_id,
        }
    }
}

/// The `type` of a lagged message.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LaggedType {
    /// `lagged`
    Lagged,
}

/// The client read too slowly and `skipped` messages were dropped for it (on every stream,
/// the old app's included). A client should reload its state. `skipped` comes first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Lagged {
    /// How many messages were dropped.
    pub skipped: u64,
    /// Always `lagged`.
    #[serde(rename = "type")]
    pub kind: LaggedType,
}

impl Lagged {
    /// The notice for `skipped` dropped messages.
    pub fn new(skipped: u64) -> Lagged {
        Lagged {
            skipped,
            kind: LaggedType::Lagged,
        }
    }
}

/// A live event of one of the user's devices, tagged by `type`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage<'a> {
    /// An outlet reported its sockets (after the noise floor).
    Reading {
        /// Owner of the outlet.
        user_id: i32,
        /// The CCU the reading came through.
        ccu_id: &'a str,
        /// Outlet id.
        outlet_id: i32,
        /// The outlet's device id.
        device_id: &'a str,
        /// Socket A (mA).
        current_a: i64,
        /// Socket B (mA).
        current_b: i64,
        /// Relay A, when the reading tells it.
        relay_a: Option<bool>,
        /// Relay B, when the reading tells it.
        relay_b: Option<bool>,
        /// The outlet reported an overload trip.
        is_overload: bool,
        /// When it was measured (unix ms).
        ts: i64,
    },
    /// A CCU reported its main breaker's load.
    Breaker {
        /// Owner of the CCU.
        user_id: i32,
        /// The CCU.
        ccu_id: &'a str,
        /// Load (mA).
        current_ma: i64,
        /// The CCU's breaker threshold (mA).
        threshold_ma: i64,
        /// When it was measured (unix ms).
        ts: i64,
    },
    /// A relay's confirmed state changed (the device acknowledged it or reported it).
    Relay {
        /// Owner of the outlet.
        user_id: i32,
        /// Outlet id.
        outlet_id: i32,
        /// The outlet's device id.
        device_id: &'a str,
        /// `a` or `b`.
        socket: &'a str,
        /// The new state.
        on: bool,
    },
    /// A CCU (`outlet_id` null) or an outlet came online or went offline.
    Presence {
        /// Owner of the device.
        user_id: i32,
        /// The CCU, or the outlet's CCU.
        ccu_id: &'a str,
        /// The outlet, for outlet presence; null for the CCU's own.
        outlet_id: Option<i32>,
        /// Online now.
        online: bool,
        /// When (unix ms).
        ts: i64,
    },
    /// An alert was raised, cleared or acknowledged.
    Alert {
        /// Owner of the device.
        user_id: i32,
        /// The alert after the change.
        alert: AlertMessage<'a>,
    },
    /// A command changed state (queued, sent, ok, failed, timed out, expired).
    Command {
        /// Owner of the outlet.
        user_id: i32,
        /// The command after the change.
        command: CommandMessage<'a>,
    },
}

impl<'a> From<&'a LiveEvent> for LiveMessage<'a> {
    fn from(ev: &'a LiveEvent) -> Self {
        match ev {
            LiveEvent::Reading {
                user_id,
                ccu_id,
                outlet_id,
                device_id,
                current_a,
                current_b,
                relay_a,
                relay_b,
                is_overload,
                ts,
            } => LiveMessage::Reading {
                user_id: *user_id,
                ccu_id,
                outlet_id: *outlet_id,
                device_id,
                current_a: *current_a,
                current_b: *current_b,
                relay_a: *relay_a,
                relay_b: *relay_b,
                is_overload: *is_overload,
                ts: *ts,
            },
            LiveEvent::Breaker {
                user_id,
                ccu_id,
                current_ma,
                threshold_ma,
                ts,
            } => LiveMessage::Breaker {
                user_id: *user_id,
                ccu_id,
                current_ma: *current_ma,
                threshold_ma: *threshold_ma,
                ts: *ts,
            },
            LiveEvent::Relay {
                user_id,
                outlet_id,
                device_id,
                socket,
                on,
            } => LiveMessage::Relay {
                user_id: *user_id,
                outlet_id: *outlet_id,
                device_id,
                socket,
                on: *on,
            },
            LiveEvent::Presence {
                user_id,
                ccu_id,
                outlet_id,
                online,
                ts,
            } => LiveMessage::Presence {
                user_id: *user_id,
                ccu_id,
                outlet_id: *outlet_id,
                online: *online,
                ts: *ts,
            },
            LiveEvent::Alert { user_id, alert } => LiveMessage::Alert {
                user_id: *user_id,
                alert: alert.into(),
            },
            LiveEvent::Command { user_id, command } => LiveMessage::Command {
                user_id: *user_id,
                command: command.into(),
            },
        }
    }
}

impl<'a> From<&'a LiveEvent> for WsMessage<'a> {
    fn from(ev: &'a LiveEvent) -> Self {
        WsMessage::Live(ev.into())
    }
}
