//! What one cycle of the old firmware did: its requests, its failures and the commands it
//! executed (when, for which device).

use super::Parsed;
use tokio::time::Instant;

/// A command the CCU executed.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The device it was for.
    pub device: String,
    /// The command.
    pub command: Parsed,
    /// When the CCU executed it (right after parsing its `/api/commands/` answer).
    pub at: Instant,
}

/// One cycle.
#[derive(Debug)]
pub struct Cycle {
    /// When it started (for a looping CCU: when it was scheduled to).
    pub started: Instant,
    /// Requests made, failed ones included.
    pub requests: u32,
    /// Requests that failed (error, unexpected status, unsuccessful answer).
    pub failed: u32,
    /// The first failure's cause.
    pub error: Option<String>,
    /// The commands executed, in order.
    pub executed: Vec<Executed>,
}

impl Cycle {
    /// An empty cycle started at `started`.
    pub fn new(started: Instant) -> Cycle {
        Cycle {
            started,
            requests: 0,
            failed: 0,
            error: None,
            executed: Vec::new(),
        }
    }

    /// Counts a request; its value, or `None` after recording the failure.
    pub fn note<T>(&mut self, result: anyhow::Result<T>) -> Option<T> {
        self.requests += 1;
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(format!("{e:#}"));
                None
            }
        }
    }

    /// Records a failed request (already counted).
    pub fn fail(&mut self, cause: String) {
        self.failed += 1;
        self.error.get_or_insert(cause);
    }
}
