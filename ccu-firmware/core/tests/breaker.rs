//! Main-breaker RMS against known sample sets (SCT013-100, 23 Ω burden, 3.3 V / 4096 counts).

use ccu_core::breaker::{BreakerMeter, CALIBRATION_A_PER_V, counts_to_ma};
use std::f64::consts::PI;

/// mA for an RMS of `counts`, computed independently of the crate.
fn expected_ma(rms_counts: f64) -> f64 {
    rms_counts / 4096.0 * 3.3 * (2000.0 / 23.0) * 1000.0
}

/// `periods` line periods of a sine of `amplitude` counts around `center`.
fn sine(amplitude: f64, center: f64, per_period: usize, periods: usize) -> Vec<u16> {
    (0..per_period * periods)
        .map(|k| {
            let v = center + amplitude * (2.0 * PI * k as f64 / per_period as f64).sin();
            v.round().clamp(0.0, 4095.0) as u16
        })
        .collect()
}

/// Measures `samples` with a fresh meter and checks the mA against `want` within `tolerance`
/// (about 0.2 %: the running offset wobbles a little with the signal, as in the original).
fn check(name: &str, samples: &[u16], want: f64, tolerance: f64) {
    let got = BreakerMeter::new()
        .measure(samples)
        .expect("non-empty window");
    let err = (f64::from(got) - want).abs();
    assert!(
        err <= tolerance,
        "{name}: got {got} mA, want {want:.0} ± {tolerance}"
    );
}

#[test]
fn known_sample_sets() {
    let square: Vec<u16> = (0..320)
        .map(|k| if (k / 16) % 2 == 0 { 2148 } else { 1948 })
        .collect();
    let cases: Vec<(&str, Vec<u16>, f64, f64)> = vec![
        ("flat at mid-scale", vec![2048; 320], 0.0, 0.0),
        (
            "tiny noise ±1 count",
            (0..320).map(|k| 2047 + (k % 3) as u16).collect(),
            57.0,
            1.0,
        ),
        ("square ±100 counts", square, expected_ma(100.0), 10.0),
    ];
    for (name, samples, want, tolerance) in &cases {
        check(name, samples, *want, *tolerance);
    }
    // Sines around mid-scale: (amplitude in counts, samples per period, tolerance in mA).
    let sines = [
        (10.0, 32, 2.0),
        (100.0, 32, 10.0),
        (1000.0, 32, 100.0),
        (2000.0, 27, 200.0),
    ];
    for (amplitude, per_period, tolerance) in sines {
        let samples = sine(amplitude, 2048.0, per_period, 10);
        let want = expected_ma(amplitude / 2f64.sqrt());
        check(
            &format!("sine {amplitude} counts"),
            &samples,
            want,
            tolerance,
        );
    }
}

#[test]
fn a_50_amp_load_reads_about_50_amps() {
    // 50 A RMS through the CT: 50 / 86.957 V RMS over the burden → counts.
    let rms_counts = 50.0 / CALIBRATION_A_PER_V / 3.3 * 4096.0;
    let samples = sine(rms_counts * 2f64.sqrt(), 2048.0, 32, 10);
    let ma = BreakerMeter::new().measure(&samples).unwrap();
    assert!((49_700..=50_300).contains(&ma), "{ma}");
}

#[test]
fn conversion_truncates_like_the_original() {
    let cases = [(0.0, 0), (1.0, 70), (4.0, 280), (-1.0, 0), (f64::NAN, 0)];
    for (rms, want) in cases {
        assert_eq!(counts_to_ma(rms), want, "{rms}");
    }
}

#[test]
fn offset_runs_across_windows() {
    // A flat signal off mid-scale reads high until the offset has caught up.
    let mut meter = BreakerMeter::new();
    let window = vec![2100u16; 512];
    let first = meter.measure(&window).unwrap();
    assert!(first > 1000, "{first}");
    for _ in 0..30 {
        meter.measure(&window);
    }
    assert!((meter.offset() - 2100.0).abs() < 0.01, "{}", meter.offset());
    assert_eq!(meter.measure(&window), Some(0));
    assert_eq!(meter.measure(&[]), None);
}
