//! `[notifications]`: how alerts and automatic cut-offs are pushed to the targets people set
//! (webhooks, ntfy, Gotify, Slack, Discord).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[notifications]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Allow targets on loopback, private, link-local and other non-public addresses. Off:
    /// a user cannot make the server call into its own network (SSRF).
    pub allow_private_targets: bool,
    /// One delivery attempt at most this long.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Attempts per notification and target (1 to 10), 1 s, 2 s, 4 s … apart.
    pub attempts: u32,
    /// Notifications waiting to be sent, at most; more are dropped and counted.
    pub queue: usize,
    /// Most targets one account may set.
    pub max_targets_per_user: u64,
}

impl NotificationSettings {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(Duration::from_millis(100)..=Duration::from_secs(60)).contains(&self.timeout) {
            return Err(Error::invalid(
                "notifications.timeout",
                "must be between 100ms and 60s",
            ));
        }
        if !(1..=10).contains(&self.attempts) {
            return Err(Error::invalid("notifications.attempts", "must be 1 to 10"));
        }
        if !(1..=1_000_000).contains(&self.queue) {
            return Err(Error::invalid(
                "notifications.queue",
                "must be 1 to 1000000",
            ));
        }
        if !(1..=1000).contains(&self.max_targets_per_user) {
            return Err(Error::invalid(
                "notifications.max_targets_per_user",
                "must be 1 to 1000",
            ));
        }
        Ok(())
    }
}
