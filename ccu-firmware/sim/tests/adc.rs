//! The breaker ADC's synthetic samples read back through the core's meter as the total load.

use ccu_core::breaker::BreakerMeter;
use ccu_core::ccu::BREAKER_WINDOW;
use ccu_sim::adc::{LINE_PERIODS, synthesize};

#[test]
fn the_core_meter_reads_back_the_total_current() {
    for want in [0u32, 300, 1_500, 4_000, 12_345, 60_000] {
        let mut meter = BreakerMeter::new();
        let mut buf = [0u16; BREAKER_WINDOW];
        synthesize(want, LINE_PERIODS, &mut buf);
        let got = meter.measure(&buf).unwrap();
        // Rounding to whole counts (±0.5 count ≈ ±35 mA of RMS noise) and the running offset.
        let tolerance = 40 + want / 200;
        assert!(
            got.abs_diff(want) <= tolerance,
            "{want} mA read as {got} mA"
        );
    }
}

#[test]
fn samples_stay_in_range() {
    let mut buf = [0u16; 512];
    synthesize(500_000, LINE_PERIODS, &mut buf);
    assert!(buf.iter().all(|&s| s <= 4095));
    assert_eq!(
        buf.iter().max(),
        Some(&4095),
        "clipped, like a saturated clamp"
    );
}
