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
