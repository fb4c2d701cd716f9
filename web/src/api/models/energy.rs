//! Energy bodies: an outlet's energy per hour and its cost.

use super::*;

/// One hour of an outlet's energy.
#[derive(Debug, Object)]
pub struct EnergyHour {
    /// Start of the hour (unix ms).
    pub hour: i64,
    /// Socket A (Wh).
    pub wh_a: f64,
    /// Socket B (Wh).
    pub wh_b: f64,
    /// Time the hour's readings stand for (s): less than 3600 where readings are missing.
    pub covered_s: f64,
    /// Readings counted.
    pub readings: i64,
}

/// An outlet's energy in `[from, to)`: hours with readings (rolled-up hours included, after
/// their readings were deleted by the retention), their total and its cost.
#[derive(Debug, Object)]
pub struct OutletEnergy {
    /// Start (unix ms).
    pub from: i64,
    /// End (unix ms, exclusive).
    pub to: i64,
    /// Voltage energy is computed with (V; the outlets measure current only).
    pub voltage: f64,
    /// Price of one kWh (0: no price configured).
    pub price_per_kwh: f64,
    /// Currency of the price.
    pub currency: String,
    /// Hours with readings, oldest first.
    pub hours: Vec<EnergyHour>,
    /// Both sockets, every hour (Wh).
    pub total_wh: f64,
    /// The total's cost, when a price is configured.
    #[oai(nullable)]
    pub total_cost: Option<f64>,
}

impl OutletEnergy {
    /// The body of `r` over `[from, to)`.
    pub fn new(from: i64, to: i64, r: backend::energy::EnergyReport) -> OutletEnergy {
        OutletEnergy {
            from,
            to,
            voltage: r.voltage,
            price_per_kwh: r.price_per_kwh,
            currency: r.currency,
            hours: r
                .hours
                .into_iter()
                .map(|h| EnergyHour {
                    hour: h.hour,
                    wh_a: h.wh_a,
                    wh_b: h.wh_b,
                    covered_s: h.covered_s,
                    readings: h.readings,
                })
                .collect(),
            total_wh: r.total_wh,
            total_cost: r.total_cost,
        }
    }
}
