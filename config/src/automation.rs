//! `[automation]`: what the server does on its own: the automatic cut-off near the breaker
//! limit (armed per CCU, `PUT /ccus/{id}/auto-cutoff`) and schedules (per outlet).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[automation]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationSettings {
    /// After an automatic cut-off, no other on the same CCU for this long: the breaker
    /// reading must first show what the cut changed.
    #[serde(with = "humantime_serde")]
    pub cutoff_cooldown: Duration,
    /// How often the due schedules are run (on the holder of the `timers` lease).
    #[serde(with = "humantime_serde")]
    pub schedule_check: Duration,
}

impl AutomationSettings {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.cutoff_cooldown) {
            return Err(Error::invalid(
                "automation.cutoff_cooldown",
                "must be between 1s and 1 hour",
            ));
        }
        if !(Duration::from_millis(100)..=Duration::from_secs(60)).contains(&self.schedule_check) {
            return Err(Error::invalid(
                "automation.schedule_check",
                "must be between 100ms and 60s",
            ));
        }
        Ok(())
    }
}
