//! Counters the broker keeps about what it refused, read by `/metrics`.

use crate::acl::Denial;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Process-wide broker counters. Shared (`Arc`) between the broker and the metrics page.
#[derive(Debug, Default)]
pub struct Stats {
    acl_denied: [AtomicU64; Denial::ALL.len()],
    /// Clients disconnected for repeated refused publishes.
    pub acl_disconnects: AtomicU64,
    /// Live sessions closed because their credentials were rotated or removed.
    pub sessions_revoked: AtomicU64,
    /// The broker's liveness (router thread, listeners), set by its supervisor.
    pub health: Health,
}

impl Stats {
    /// Counts one refusal and returns the new count for that reason.
    pub fn denied(&self, why: Denial) -> u64 {
        self.acl_denied[why as usize].fetch_add(1, Relaxed) + 1
    }

    /// Refusals for one reason so far.
    pub fn denials(&self, why: Denial) -> u64 {
        self.acl_denied[why as usize].load(Relaxed)
    }
}

/// Whether the embedded broker still runs, as its supervisor saw it last.
#[derive(Debug, Default)]
pub struct Health {
    failed: std::sync::Mutex<Option<&'static str>>,
    changed: tokio::sync::Notify,
}

impl Health {
    /// Marks the broker as failed (the first reason sticks).
    pub fn fail(&self, part: &'static str) {
        let mut f = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            *f = Some(part);
            tracing::error!(part, "embedded MQTT broker failed");
        }
        drop(f);
        self.changed.notify_waiters();
    }

    /// The part that failed, if any.
    pub fn failed(&self) -> Option<&'static str> {
        *self.failed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Completes when the broker has failed; returns the part.
    pub async fn wait_failed(&self) -> &'static str {
        loop {
            let notified = self.changed.notified();
            if let Some(part) = self.failed() {
                return part;
            }
            notified.await;
        }
    }
}
