//! `[automation]`: what the server does on its own. For now the automatic cut-off near the
//! breaker limit (switched on per CCU, see `PUT /ccus/{id}/auto-cutoff`).

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
}

impl AutomationSettings {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.cutoff_cooldown) {
            return Err(Error::invalid(
                "automation.cutoff_cooldown",
                "must be between 1s and 1 hour",
            ));
        }
        Ok(())
    }
}
