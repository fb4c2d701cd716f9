//! Energy and cost of an outlet for people (ownership checked here), and the roll-up that
//! keeps the readings table bounded: readings older than `energy.keep_readings` become
//! hourly energy (`energy_hourly`) and are deleted, on the instance holding the `timers`
//! lease.
//!
//! The outlets measure current only: energy is charge × `energy.voltage`. A reading stands
//! for the time until its outlet's next stored reading, at most [`Backend::reading_span`].

use crate::actor::Actor;
use crate::app::Backend;
use crate::store::energy::{HOUR_MS, HourCharge};
use crate::{Result, clock};
use serde::Serialize;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// Hours one roll-up round moves at most (one transaction each); the rest waits for the
/// next round, so that a first run over years of readings does not hold the lease's timer.
const MAX_HOURS_PER_ROUND: u32 = 24;

/// One hour of an outlet's energy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnergyHour {
    /// Start of the hour (unix ms).
    pub hour: i64,
    /// Socket A, Wh.
    pub wh_a: f64,
    /// Socket B, Wh.
    pub wh_b: f64,
    /// Time the readings stand for, seconds.
    pub covered_s: f64,
    /// Readings.
    pub readings: i64,
}

/// An outlet's energy in a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnergyReport {
    /// The voltage energy was computed with (V).
    pub voltage: f64,
    /// Price of one kWh (0: none configured).
    pub price_per_kwh: f64,
    /// Currency of the price.
    pub currency: String,
    /// Hours with readings, oldest first.
    pub hours: Vec<EnergyHour>,
    /// Both sockets, every hour, Wh.
    pub total_wh: f64,
    /// `total_wh` at `price_per_kwh`, when a price is configured.
    pub total_cost: Option<f64>,
}

/// Wh of `charge` mA·ms at `voltage`.
pub fn watt_hours(charge: i64, voltage: f64) -> f64 {
    charge as f64 / 1000.0 / HOUR_MS as f64 * voltage
}

impl Backend {
    /// The longest time one stored reading stands for: three history intervals, at least
    /// 10 s (a CCU reports every 2 s).
    pub fn reading_span(&self) -> Duration {
        (self.inner.settings.history.interval * 3).max(Duration::from_secs(10))
    }

    /// An outlet's energy per hour for readings in `[from, to)`.
    pub async fn outlet_energy(
        &self,
        actor: Actor,
        outlet: i32,
        from: i64,
        to: i64,
    ) -> Result<EnergyReport> {
        self.owned_outlet(actor, outlet)?;
        let gap = i64::try_from(self.reading_span().as_millis()).unwrap_or(i64::MAX);
        let now = clock::now_ms();
        let charges = self
            .inner
            .store
            .outlet_charge(outlet, from, to, gap, now.min(to.saturating_add(gap)))
            .await?;
        let s = &self.inner.settings.energy;
        Ok(report(&charges, s.voltage, s.price_per_kwh, &s.currency))
    }

    /// One roll-up round, when this instance holds the `timers` lease and a retention is
    /// configured.
    pub(crate) async fn roll_up_old_readings(&self) -> Result<()> {
        let Some(keep) = self.inner.settings.energy.retention() else {
            return Ok(());
        };
        if !self.runs_timers() {
            return Ok(());
        }
        let keep = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
        let cutoff = clock::now_ms().saturating_sub(keep);
        let gap = i64::try_from(self.reading_span().as_millis()).unwrap_or(i64::MAX);
        let done = self
            .inner
            .store
            .roll_up(cutoff, gap, MAX_HOURS_PER_ROUND)
            .await?;
        let m = &self.inner.metrics;
        m.readings_rolled_up.fetch_add(done.readings, Relaxed);
        m.breaker_readings_expired.fetch_add(done.breaker, Relaxed);
        if done.hours > 0 {
            tracing::info!(
                hours = done.hours,
                readings = done.readings,
                breaker_readings = done.breaker,
                "old readings rolled up into hourly energy and deleted"
            );
        }
        Ok(())
    }
}

/// Wh and cost of `charges`.
fn report(charges: &[HourCharge], voltage: f64, price: f64, currency: &str) -> EnergyReport {
    let hours: Vec<EnergyHour> = charges
        .iter()
        .map(|c| EnergyHour {
            hour: c.hour,
            wh_a: watt_hours(c.charge_a, voltage),
            wh_b: watt_hours(c.charge_b, voltage),
            covered_s: c.covered_ms as f64 / 1000.0,
            readings: c.readings,
        })
        .collect();
    let total_wh = hours.iter().map(|h| h.wh_a + h.wh_b).sum::<f64>();
    EnergyReport {
        voltage,
        price_per_kwh: price,
        currency: currency.to_string(),
        total_cost: (price > 0.0).then(|| total_wh / 1000.0 * price),
        hours,
        total_wh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_amp_for_an_hour_at_230_volts_is_230_watt_hours() {
        assert_eq!(watt_hours(1000 * HOUR_MS, 230.0), 230.0);
        let charges = [HourCharge {
            hour: 0,
            charge_a: 1000 * HOUR_MS,
            charge_b: 500 * HOUR_MS,
            covered_ms: HOUR_MS,
            readings: 1800,
        }];
        let r = report(&charges, 230.0, 0.30, "EUR");
        assert_eq!(r.total_wh, 345.0);
        assert!((r.total_cost.unwrap() - 0.1035).abs() < 1e-12);
        assert_eq!(r.hours[0].covered_s, 3600.0);
        assert_eq!(report(&charges, 230.0, 0.0, "EUR").total_cost, None);
    }
}
