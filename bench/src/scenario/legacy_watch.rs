//! Reads a looping legacy CCU's cycle reports: when its cycles start, how many requests they
//! make, and when it executed a command for a given device.

use super::progress;
use crate::legacy_ccu::{Cycle, Executed};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The reports of one CCU's [`crate::legacy_ccu::LegacyCcu::run`].
pub struct Watch {
    reports: mpsc::UnboundedReceiver<Cycle>,
    executed: VecDeque<Executed>,
    /// When the latest reported cycle started.
    pub last_start: Option<Instant>,
    /// Cycles reported.
    pub cycles: u64,
    /// Their requests.
    pub requests: u64,
    /// Their failed requests.
    pub failed: u64,
}

impl Watch {
    /// Watches `reports`.
    pub fn new(reports: mpsc::UnboundedReceiver<Cycle>) -> Watch {
        Watch {
            reports,
            executed: VecDeque::new(),
            last_start: None,
            cycles: 0,
            requests: 0,
            failed: 0,
        }
    }

    fn take(&mut self, c: Cycle) {
        if let Some(e) = &c.error {
            progress(&format!("  legacy cycle: {} failed: {e}", c.failed));
        }
        self.last_start = Some(c.started);
        self.cycles += 1;
        self.requests += u64::from(c.requests);
        self.failed += u64::from(c.failed);
        self.executed.extend(c.executed);
    }

    /// Takes the reports that arrived so far.
    pub fn drain(&mut self) {
        while let Ok(c) = self.reports.try_recv() {
            self.take(c);
        }
    }

    /// Waits for the first cycle's report.
    pub async fn first_cycle(&mut self, within: Duration) -> anyhow::Result<()> {
        let c = tokio::time::timeout(within, self.reports.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("legacy CCU stopped"))?;
        self.take(c);
        Ok(())
    }

    /// The first moment after now that is `phase` into a cycle (cycles start every
    /// `period` from the latest reported start).
    pub fn next_phase(&mut self, period: Duration, phase: Duration) -> Instant {
        self.drain();
        let now = Instant::now();
        let mut at = self.last_start.unwrap_or(now) + phase;
        while at <= now {
            at += period;
        }
        at
    }

    /// When the CCU executed `command` on socket `a` of `device` after `after`; `None` if it
    /// has not by `deadline`. Other executions are dropped.
    pub async fn executed(
        &mut self,
        device: &str,
        command: &str,
        after: Instant,
        deadline: Instant,
    ) -> anyhow::Result<Option<Instant>> {
        loop {
            while let Some(e) = self.executed.pop_front() {
                let c = &e.command;
                if e.device == device && c.command == command && c.socket == "a" && e.at >= after {
                    return Ok(Some(e.at));
                }
            }
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Err(_) => return Ok(None),
                Ok(None) => anyhow::bail!("legacy CCU stopped"),
                Ok(Some(c)) => self.take(c),
            }
        }
    }
}
