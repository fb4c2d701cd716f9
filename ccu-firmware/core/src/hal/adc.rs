//! The main-breaker clamp's ADC (12-bit, GPIO34 on the original ESP32).

/// A source of raw ADC samples.
pub trait BreakerAdc {
    /// The ADC's error.
    type Error;

    /// Fills `buf` with consecutive raw samples (0..=4095) of one measurement window (ideally a
    /// whole number of line periods, the original used 10 × 16 ms); returns how many were written.
    fn read_samples(&mut self, buf: &mut [u16]) -> Result<usize, Self::Error>;
}
