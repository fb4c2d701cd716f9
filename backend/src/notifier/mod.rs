//! The notifier: alerts (raised, cleared) and automatic cut-offs pushed to the targets a
//! user set (a JSON webhook, ntfy, Gotify, Slack, Discord); the services people call are in
//! `notifications.rs`.
//!
//! The instance that decides an event (the one that raised the alert, the one that claimed
//! the cut-off) queues one [`Notification`]; with several instances it is sent once. The
//! queue is bounded (`notifications.queue`; full: dropped and counted) and in memory: a
//! crash loses what was queued, never an alert (the alert and its event are in the
//! database first). Each delivery is retried (`notifications.attempts`) and counted. Targets
//! must resolve to public addresses unless `notifications.allow_private_targets`
//! ([`guard`]); redirects are not followed; a target's URL (it may hold a token) is never
//! logged.

mod deliver;
pub mod format;
pub mod guard;

use serde::Serialize;
use tokio::sync::mpsc;

pub use deliver::{Delivery, Notifier};

/// One message for a user's targets.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Whose targets.
    pub user_id: i32,
    /// `alert_raised`, `alert_cleared`, `auto_cutoff` or `test`.
    pub kind: &'static str,
    /// Short title.
    pub title: String,
    /// The text.
    pub message: String,
    /// The CCU it is about.
    pub ccu_id: Option<String>,
    /// The outlet it is about.
    pub device_id: Option<String>,
    /// Details (the event's data).
    pub data: serde_json::Value,
    /// Something needs attention (raised, cut) rather than resolved.
    pub urgent: bool,
}

/// A notifier whose queue `rx` the worker ([`Notifier::run`]) drains.
pub(crate) fn channel(
    capacity: usize,
) -> (mpsc::Sender<Notification>, mpsc::Receiver<Notification>) {
    mpsc::channel(capacity.max(1))
}
