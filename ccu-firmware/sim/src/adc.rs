//! The breaker clamp's ADC: a 60 Hz sine around mid-scale whose RMS is the PICs' total current.
//!
//! Inverse of the core's SCT013-100 arithmetic (2000 turns, 23 Ω, 3.3 V over 4096 counts):
//! `I_rms` A → `I_rms / (2000/23)` V RMS → × 4096 / 3.3 counts RMS → × √2 peak. A window is
//! exactly [`LINE_PERIODS`] line periods, so `BreakerMeter` reads back ≈ the total.

use crate::clock::SimClock;
use crate::rf::medium::{SharedMedium, lock};
use ccu_core::breaker::{ADC_COUNTS, CALIBRATION_A_PER_V, OFFSET_START, VREF_V};
use ccu_core::hal::BreakerAdc;
use std::convert::Infallible;
use std::f64::consts::{PI, SQRT_2};

/// Line periods per measurement window (the original sampled 10 periods).
pub const LINE_PERIODS: u32 = 10;
/// Largest sample.
pub const ADC_MAX: u16 = 4095;

/// The sine's peak (ADC counts) for an RMS current of `ma`.
pub fn peak_counts(ma: u32) -> f64 {
    let amps = f64::from(ma) / 1000.0;
    amps / CALIBRATION_A_PER_V / VREF_V * ADC_COUNTS * SQRT_2
}

/// Fills `buf` with `periods` whole periods of the sine for `ma`, clipped to 0..=4095.
pub fn synthesize(ma: u32, periods: u32, buf: &mut [u16]) {
    let peak = peak_counts(ma);
    let n = buf.len().max(1) as f64;
    for (k, slot) in buf.iter_mut().enumerate() {
        let phase = 2.0 * PI * f64::from(periods) * k as f64 / n;
        let v = OFFSET_START + peak * phase.sin();
        *slot = v.round().clamp(0.0, f64::from(ADC_MAX)) as u16;
    }
}

/// The ADC on GPIO34, measuring the sum of every PIC's flowing current.
#[derive(Debug, Clone)]
pub struct SimAdc {
    medium: SharedMedium,
    clock: SimClock,
}

impl SimAdc {
    /// An ADC whose clamp is around the feed of every PIC on `medium`.
    pub fn new(medium: SharedMedium, clock: SimClock) -> SimAdc {
        SimAdc { medium, clock }
    }
}

impl BreakerAdc for SimAdc {
    type Error = Infallible;

    fn read_samples(&mut self, buf: &mut [u16]) -> Result<usize, Infallible> {
        let total = lock(&self.medium).total_current_ma(self.clock.now_us());
        synthesize(total, LINE_PERIODS, buf);
        Ok(buf.len())
    }
}
