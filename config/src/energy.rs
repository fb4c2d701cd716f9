//! `[energy]`: how readings become energy and cost, and how long the readings themselves are
//! kept (older ones are rolled up into hourly energy, then deleted).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[energy]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergySettings {
    /// Mains voltage (V): the outlets measure current only, energy is current × this.
    pub voltage: f64,
    /// Price of one kWh, in `currency`; 0 shows no cost.
    pub price_per_kwh: f64,
    /// Currency of `price_per_kwh` (shown as written, at most 8 characters).
    pub currency: String,
    /// Readings older than this are rolled up into hourly energy and deleted ("0s": kept
    /// forever). At least `ingest.max_reading_age` + 1 hour, so that no late reading can
    /// arrive for an hour already rolled up.
    #[serde(with = "humantime_serde")]
    pub keep_readings: Duration,
    /// How often the instance holding the `timers` lease rolls up and deletes.
    #[serde(with = "humantime_serde")]
    pub rollup_every: Duration,
}

impl EnergySettings {
    /// Whether readings are ever deleted.
    pub fn retention(&self) -> Option<Duration> {
        (!self.keep_readings.is_zero()).then_some(self.keep_readings)
    }

    pub(crate) fn validate(&self, max_reading_age: Duration) -> Result<()> {
        if !(self.voltage.is_finite() && (1.0..=1000.0).contains(&self.voltage)) {
            return Err(Error::invalid(
                "energy.voltage",
                "must be between 1 and 1000",
            ));
        }
        if !(self.price_per_kwh.is_finite() && (0.0..=1000.0).contains(&self.price_per_kwh)) {
            return Err(Error::invalid(
                "energy.price_per_kwh",
                "must be between 0 and 1000",
            ));
        }
        if self.currency.chars().count() > 8 || self.currency.chars().any(char::is_control) {
            return Err(Error::invalid(
                "energy.currency",
                "must be at most 8 printable characters",
            ));
        }
        if let Some(keep) = self.retention()
            && keep < max_reading_age + Duration::from_secs(3600)
        {
            return Err(Error::invalid(
                "energy.keep_readings",
                "must be 0s or at least ingest.max_reading_age + 1h",
            ));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(&self.rollup_every) {
            return Err(Error::invalid(
                "energy.rollup_every",
                "must be between 1s and 1 day",
            ));
        }
        Ok(())
    }
}
