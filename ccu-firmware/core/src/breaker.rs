//! Main-breaker RMS current from raw 12-bit ADC samples of the SCT013-100 clamp.
//!
//! Same arithmetic as the original `readFresh()` (EmonLib style): a running DC offset starting at
//! mid-scale, `offset += (sample - offset) / 1024` per sample, RMS of `sample - offset`, scaled by
//! Vref/4096 and the CT calibration 2000/23 A per V, and truncated to whole mA.

/// ADC reference voltage (V).
pub const VREF_V: f64 = 3.3;
/// ADC full scale (12 bits).
pub const ADC_COUNTS: f64 = 4096.0;
/// CT secondary turns (SCT013-100).
pub const CT_TURNS: f64 = 2000.0;
/// Burden resistor (Ω).
pub const BURDEN_OHMS: f64 = 23.0;
/// Calibration: amps (RMS) per volt (RMS) across the burden.
pub const CALIBRATION_A_PER_V: f64 = CT_TURNS / BURDEN_OHMS;
/// Where the running offset starts (mid-scale).
pub const OFFSET_START: f64 = 2048.0;
/// The offset follows the signal by 1/1024 of the difference per sample.
pub const OFFSET_DIVISOR: f64 = 1024.0;
/// The local overload threshold of the original (mA, strictly greater = overload).
pub const DEFAULT_THRESHOLD_MA: u32 = 15_000;

/// Turns sample windows into mA; keeps the running DC offset from one window to the next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerMeter {
    offset: f64,
}

impl Default for BreakerMeter {
    fn default() -> Self {
        BreakerMeter::new()
    }
}

impl BreakerMeter {
    /// A meter whose offset starts at [`OFFSET_START`].
    pub const fn new() -> BreakerMeter {
        BreakerMeter {
            offset: OFFSET_START,
        }
    }

    /// The current DC offset estimate (ADC counts).
    pub const fn offset(&self) -> f64 {
        self.offset
    }

    /// RMS current of one window in mA (truncated); `None` for an empty window.
    pub fn measure(&mut self, samples: &[u16]) -> Option<u32> {
        if samples.is_empty() {
            return None;
        }
        let mut sum_sq = 0.0;
        for &sample in samples {
            let sample = f64::from(sample);
            self.offset += (sample - self.offset) / OFFSET_DIVISOR;
            let filtered = sample - self.offset;
            sum_sq += filtered * filtered;
        }
        Some(counts_to_ma(sqrt(sum_sq / samples.len() as f64)))
    }
}

/// Converts an RMS value in ADC counts to mA, truncated like the original `(int)(amps * 1000)`.
pub fn counts_to_ma(rms_counts: f64) -> u32 {
    let amps = rms_counts / ADC_COUNTS * VREF_V * CALIBRATION_A_PER_V;
    // `as` truncates toward zero and saturates (NaN → 0), like the C cast for sane values.
    (amps * 1000.0) as u32
}

/// Square root without libm: Newton's method from an exponent-halving first guess.
pub fn sqrt(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 0.0;
    }
    if x.is_infinite() {
        return x;
    }
    let mut y = f64::from_bits((x.to_bits() >> 1) + (1023 << 51));
    for _ in 0..8 {
        y = 0.5 * (y + x / y);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::sqrt;

    #[test]
    fn sqrt_matches_std() {
        for x in [1e-9_f64, 0.25, 1.0, 2.0, 10.0, 12345.678, 4.0e6, 1.0e300] {
            let want = x.sqrt();
            assert!((sqrt(x) - want).abs() <= want * 1e-15, "{x}");
        }
        assert_eq!(sqrt(0.0), 0.0);
        assert_eq!(sqrt(-4.0), 0.0);
        assert_eq!(sqrt(f64::NAN), 0.0);
    }
}
