//! Scenario "energy": what the retention's roll-up and the energy query cost. Hours of
//! readings (every outlet every 2 s, as with `history.interval = 0`) are written straight
//! into a fresh database; then one outlet's energy over all of them is read from the
//! readings, every hour is rolled up into `energy_hourly` and deleted (the work the lease
//! holder does every `energy.rollup_every` with `energy.keep_readings` set), and the same
//! energy is read again from the roll-up. Invariant: the two reads agree exactly and no
//! reading is left.

use super::{Outcome, progress, rate};
use crate::profile::Sizes;
use crate::seed::{self, Seeder};
use backend::domain::Transport;
use backend::store::energy::{HOUR_MS, HourCharge};
use backend::store::{Batch, SensorRow};
use serde_json::json;
use std::time::Instant;

/// A reading every 2 s per outlet, the CCU's reporting period.
const PERIOD_MS: i64 = 2_000;
/// How long one reading stands for at most (three intervals of 2 s, at least 10 s).
const GAP_MS: i64 = 10_000;

/// Runs the scenario on SQLite, or on PostgreSQL at `postgres`.
pub async fn run(sizes: &Sizes, postgres: Option<&str>) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, pg_name) = seed::fresh_database(dir.path(), postgres).await?;
    let result = measure(sizes, &url).await;
    if let (Some(admin), Some(name)) = (postgres, pg_name) {
        seed::drop_database(admin, &name).await;
    }
    result
}

async fn measure(sizes: &Sizes, url: &str) -> anyhow::Result<Outcome> {
    let seeder = Seeder::open(url).await?;
    let owner = seeder.user("energy").await?;
    let ccus = seeder
        .ccus(owner, "E", 1, sizes.energy_outlets, Transport::Mqtt, 0xFE)
        .await?;
    let outlets: Vec<i32> = ccus[0].outlets.iter().map(|o| o.0).collect();
    let store = seeder.store().clone();
    let hours = sizes.energy_hours as i64;
    let start = (backend::clock::now_ms() - 30 * 86_400_000) / HOUR_MS * HOUR_MS;
    let end = start + hours * HOUR_MS;

    let t = Instant::now();
    let mut written = 0u64;
    let mut batch = Batch::default();
    for ts in (start..end).step_by(PERIOD_MS as usize) {
        for (k, &outlet_id) in outlets.iter().enumerate() {
            batch.sensor.push(SensorRow {
                outlet_id,
                ts: ts + k as i64,
                current_a: 500 + (ts / PERIOD_MS % 1000),
                current_b: 100 + k as i64,
                relay_a: Some(true),
                relay_b: Some(true),
                is_overload: false,
                slot: None,
            });
        }
        if batch.sensor.len() >= 2_000 {
            written += batch.sensor.len() as u64;
            store.write_batch(&std::mem::take(&mut batch)).await?;
        }
    }
    written += batch.sensor.len() as u64;
    store.write_batch(&batch).await?;
    let seed_s = t.elapsed().as_secs_f64();
    progress(&format!(
        "energy: {written} readings written in {seed_s:.1} s"
    ));

    let probe = outlets[0];
    let read = |label: &'static str| {
        let store = store.clone();
        async move {
            let t = Instant::now();
            let hours = store
                .outlet_charge(probe, start, end, GAP_MS, end + GAP_MS)
                .await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            progress(&format!("energy: {label} in {ms:.1} ms"));
            anyhow::Ok((hours, ms))
        }
    };
    let (raw, raw_ms) = read("energy from readings").await?;

    let t = Instant::now();
    let rolled = store.roll_up(end, GAP_MS, u32::MAX).await?;
    let roll_s = t.elapsed().as_secs_f64();
    let left = store.count_readings(probe).await?;
    let (after, rolled_ms) = read("energy from the roll-up").await?;
    seeder.close().await;

    let total = |h: &[HourCharge]| h.iter().map(|x| x.charge_a + x.charge_b).sum::<i64>();
    let same = raw == after;
    let rows = vec![
        (
            "setup".into(),
            format!(
                "1 CCU × {} outlets, a reading every 2 s each for {hours} h",
                outlets.len()
            ),
        ),
        (
            "readings written".into(),
            format!(
                "{written} in {seed_s:.1} s ({:.0}/s)",
                rate(written, seed_s)
            ),
        ),
        (
            format!("energy of one outlet over {hours} h, from readings"),
            format!(
                "{raw_ms:.1} ms ({} readings)",
                raw.iter().map(|h| h.readings).sum::<i64>()
            ),
        ),
        (
            "roll-up and delete".into(),
            format!(
                "{} readings in {} hours in {roll_s:.2} s ({:.0} readings/s)",
                rolled.readings,
                rolled.hours,
                rate(rolled.readings, roll_s)
            ),
        ),
        (
            "the same energy from the roll-up".into(),
            format!("{rolled_ms:.1} ms; identical: {same}"),
        ),
    ];
    let numbers = json!({
        "outlets": outlets.len(),
        "hours": hours,
        "written": written,
        "seed_per_s": rate(written, seed_s),
        "query_raw_ms": raw_ms,
        "rolled_readings": rolled.readings,
        "rolled_hours": rolled.hours,
        "rollup_per_s": rate(rolled.readings, roll_s),
        "query_rolled_ms": rolled_ms,
        "readings_left": left,
        "charge_before": total(&raw),
        "charge_after": total(&after),
        "identical": same,
    });
    Ok(Outcome { rows, numbers })
}
