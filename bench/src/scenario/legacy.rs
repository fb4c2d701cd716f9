//! Scenario 6: concurrent old-firmware CCUs cycling through the legacy shim as fast as it
//! answers (the five requests of one cycle, a new connection each).

use super::{Outcome, rate};
use crate::legacy_ccu::LegacyCcu;
use crate::profile::Sizes;
use crate::seed::{Seeder, fresh_database};
use crate::server::{Server, ServerOpts};
use crate::stats::Percentiles;
use backend::domain::Transport;
use serde_json::json;
use std::time::Instant;

/// Runs it.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, _) = fresh_database(dir.path(), None).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("legacy").await?;
    let mut ccus = Vec::new();
    for i in 0..sizes.legacy_workers {
        let first = 0xFEu8.wrapping_sub(i as u8);
        ccus.extend(
            seeder
                .ccus(user, &format!("W{i}_"), 1, 1, Transport::Http, first)
                .await?,
        );
    }
    seeder.close().await;
    let server = Server::start(dir.path(), &ServerOpts::embedded(url)).await?;
    let result = measure(sizes, &server, &ccus).await;
    server.stop().await;
    result
}

async fn measure(
    sizes: &Sizes,
    server: &Server,
    ccus: &[crate::seed::SeedCcu],
) -> anyhow::Result<Outcome> {
    let base = format!("http://{}", server.http);
    let cpu0 = server.cpu_seconds();
    let start = Instant::now();
    let deadline = start + sizes.legacy_duration;
    let mut tasks = Vec::new();
    for c in ccus {
        let mut ccu = LegacyCcu::new(&base, &c.id, &c.outlets[0].1)?;
        tasks.push(tokio::spawn(async move {
            let (mut times, mut failures) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                let t = Instant::now();
                match ccu.cycle().await {
                    Ok(_) => times.push(t.elapsed()),
                    Err(_) => failures += 1,
                }
            }
            (times, failures)
        }));
    }
    let (mut times, mut failures) = (Vec::new(), 0);
    for t in tasks {
        let (t, f) = t.await?;
        times.extend(t);
        failures += f;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu0;
    let cycles = times.len() as u64;
    let p = Percentiles::of(&times);
    anyhow::ensure!(cycles > 0, "no legacy cycle completed ({failures} failed)");
    let rows = vec![
        (
            "setup".into(),
            format!(
                "{} old-firmware CCUs, 5 requests per cycle, new connection each",
                ccus.len()
            ),
        ),
        (
            "cycles/s (requests/s)".into(),
            format!("{} ({})", rate(cycles, secs), rate(cycles * 5, secs)),
        ),
        ("cycle time".into(), p.show()),
        ("failed cycles".into(), failures.to_string()),
        ("server CPU".into(), format!("{:.2} cores", cpu / secs)),
    ];
    Ok(Outcome {
        rows,
        numbers: json!({
            "workers": ccus.len(), "cycles": cycles, "cycles_per_s": rate(cycles, secs),
            "requests_per_s": rate(cycles * 5, secs), "cycle_ms": p, "failed": failures,
            "server_cpu_cores": cpu / secs,
        }),
    })
}
