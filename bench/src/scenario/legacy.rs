//! Scenario 6: concurrent old-firmware CCUs running their loop through the legacy shim as
//! fast as it answers: 8 outlets each, cycles back to back with a background serve in every
//! one, a person viewing one outlet in every second household; each CCU calls from its own
//! loopback address (its household), a new connection per request.

use super::{Outcome, rate};
use crate::legacy_ccu::{LegacyCcu, Timing};
use crate::profile::Sizes;
use crate::seed::{SeedCcu, Seeder, fresh_database};
use crate::server::{Server, ServerOpts};
use crate::stats::Percentiles;
use backend::domain::Transport;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

/// Outlets per CCU: the firmware's table is full.
const OUTLETS: usize = 8;

/// The loopback address of worker `i`'s household.
fn household(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8))
}

/// Runs it.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, _) = fresh_database(dir.path(), None).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("legacy").await?;
    let mut ccus = Vec::new();
    for i in 0..sizes.legacy_workers {
        let ccu = seeder
            .ccus(user, &format!("W{i}_"), 1, OUTLETS, Transport::Http, 0xFE)
            .await?
            .remove(0);
        seeder.bind(&ccu.id, household(i)).await?;
        ccus.push(ccu);
    }
    seeder.close().await;
    let server = Server::start(dir.path(), &ServerOpts::embedded(url)).await?;
    let result = measure(sizes, &server, &ccus).await;
    server.stop().await;
    result
}

#[derive(Default)]
struct Tally {
    times: Vec<std::time::Duration>,
    requests: u64,
    failed: u64,
    error: Option<String>,
}

async fn measure(sizes: &Sizes, server: &Server, ccus: &[SeedCcu]) -> anyhow::Result<Outcome> {
    let base = format!("http://{}", server.http);
    let mut workers = Vec::new();
    for (i, c) in ccus.iter().enumerate() {
        let ccu = LegacyCcu::new(&base, &c.id, Some(household(i)), Timing::FLAT_OUT)?;
        if i % 2 == 0 {
            ccu.view(&c.outlets[0].1).await?;
        }
        workers.push(ccu);
    }
    let cpu0 = server.cpu_seconds();
    let start = Instant::now();
    let deadline = start + sizes.legacy_duration;
    let mut tasks = Vec::new();
    for mut ccu in workers {
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            while Instant::now() < deadline {
                let begun = Instant::now();
                let c = ccu.cycle().await;
                t.times.push(begun.elapsed());
                t.requests += u64::from(c.requests);
                t.failed += u64::from(c.failed);
                if t.error.is_none() {
                    t.error = c.error;
                }
            }
            t
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await?;
        all.times.extend(t.times);
        all.requests += t.requests;
        all.failed += t.failed;
        all.error = all.error.or(t.error);
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu0;
    let cycles = all.times.len() as u64;
    let p = Percentiles::of(&all.times);
    anyhow::ensure!(cycles > 0, "no legacy cycle completed");
    let per_cycle = (all.requests as f64 / cycles as f64 * 100.0).round() / 100.0;
    let mut rows = vec![
        (
            "setup".into(),
            format!(
                "{} old-firmware CCUs x {OUTLETS} outlets, back to back, one background serve per cycle, every second one with a viewed outlet; new connection per request",
                ccus.len()
            ),
        ),
        (
            "cycles/s (requests/s)".into(),
            format!("{} ({})", rate(cycles, secs), rate(all.requests, secs)),
        ),
        ("requests per cycle".into(), per_cycle.to_string()),
        ("cycle time".into(), p.show()),
        (
            "failed requests".into(),
            format!("{} of {}", all.failed, all.requests),
        ),
        ("server CPU".into(), format!("{:.2} cores", cpu / secs)),
    ];
    if let Some(e) = &all.error {
        rows.push(("first failure".into(), e.clone()));
    }
    Ok(Outcome {
        rows,
        numbers: json!({
            "workers": ccus.len(), "outlets_per_ccu": OUTLETS, "cycles": cycles,
            "cycles_per_s": rate(cycles, secs), "requests": all.requests,
            "requests_per_s": rate(all.requests, secs), "requests_per_cycle": per_cycle,
            "cycle_ms": p, "failed_requests": all.failed, "server_cpu_cores": cpu / secs,
        }),
    })
}
