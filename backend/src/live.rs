//! The live event stream inside the process: readings, state changes, alerts, commands.
//!
//! A `tokio::sync::broadcast` channel: a slow subscriber lags and skips, it never slows
//! ingest. Every event names the owning user so a subscriber can filter.

use crate::domain::{AlertRecord, CommandRecord};
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a subscriber may fall behind before it skips.
pub const CAPACITY: usize = 8192;

/// Something a live view should show.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// An outlet reading (after noise floor).
    Reading {
        /// Owner.
        user_id: i32,
        /// CCU.
        ccu_id: String,
        /// Outlet id.
        outlet_id: i32,
        /// Device id.
        device_id: String,
        /// Socket A (mA).
        current_a: i64,
        /// Socket B (mA).
        current_b: i64,
        /// Relay A.
        relay_a: Option<bool>,
        /// Relay B.
        relay_b: Option<bool>,
        /// Overload trip.
        is_overload: bool,
        /// When (unix ms).
        ts: i64,
    },
    /// A breaker reading.
    Breaker {
        /// Owner.
        user_id: i32,
        /// CCU.
        ccu_id: String,
        /// Load (mA).
        current_ma: i64,
        /// Threshold (mA).
        threshold_ma: i64,
        /// When (unix ms).
        ts: i64,
    },
    /// A relay's confirmed state changed.
    Relay {
        /// Owner.
        user_id: i32,
        /// Outlet id.
        outlet_id: i32,
        /// Device id.
        device_id: String,
        /// `a` or `b`.
        socket: String,
        /// New state.
        on: bool,
    },
    /// A CCU or outlet came or went.
    Presence {
        /// Owner.
        user_id: i32,
        /// CCU.
        ccu_id: String,
        /// Outlet id, for outlet presence.
        outlet_id: Option<i32>,
        /// Online now.
        online: bool,
        /// When (unix ms).
        ts: i64,
    },
    /// An alert was raised, cleared or acknowledged.
    Alert {
        /// Owner.
        user_id: i32,
        /// The alert after the change.
        alert: AlertRecord,
    },
    /// A command changed state.
    Command {
        /// Owner of the outlet.
        user_id: i32,
        /// The command after the change.
        command: CommandRecord,
    },
}

impl LiveEvent {
    /// The owner the event concerns.
    pub fn user_id(&self) -> i32 {
        match self {
            LiveEvent::Reading { user_id, .. }
            | LiveEvent::Breaker { user_id, .. }
            | LiveEvent::Relay { user_id, .. }
            | LiveEvent::Presence { user_id, .. }
            | LiveEvent::Alert { user_id, .. }
            | LiveEvent::Command { user_id, .. } => *user_id,
        }
    }
}

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveHub {
    tx: broadcast::Sender<LiveEvent>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl LiveHub {
    /// Sends to every subscriber (no subscriber is fine).
    pub fn send(&self, event: LiveEvent) {
        let _ = self.tx.send(event);
    }

    /// A new subscriber, starting now.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }
}
