//! Scenario 4: many CCUs connected and authenticated at once (argon2 verification of each
//! secret included): time to connect all, server memory per connection, one reading each.

use super::{Outcome, mib, progress, rate};
use crate::mqtt_ccu::{MqttCcu, reading};
use crate::profile::Sizes;
use crate::seed::{Seeder, fresh_database};
use crate::server::{Server, ServerOpts};
use backend::domain::Transport;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Handshakes in flight at once.
const CONCURRENT_HANDSHAKES: usize = 256;
/// A CCU stops retrying after this long.
const GIVE_UP: Duration = Duration::from_secs(600);

/// Runs it.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, _) = fresh_database(dir.path(), None).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("fleet").await?;
    let t = Instant::now();
    let ccus = seeder
        .ccus(user, "K", sizes.connections, 1, Transport::Mqtt, 0xFE)
        .await?;
    seeder.close().await;
    progress(&format!(
        "  seeded {} CCUs in {:.1} s",
        ccus.len(),
        t.elapsed().as_secs_f64()
    ));
    let server = Server::start(dir.path(), &ServerOpts::embedded(url)).await?;
    let result = measure(&server, ccus).await;
    server.stop().await;
    result
}

async fn measure(server: &Server, ccus: Vec<crate::seed::SeedCcu>) -> anyhow::Result<Outcome> {
    let n = ccus.len();
    let (rss0, _) = server.memory();
    let before = server.counters().await?;
    let cpu0 = server.cpu_seconds();
    let gate = Arc::new(Semaphore::new(CONCURRENT_HANDSHAKES));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for c in ccus {
        let gate = gate.clone();
        let addr = server.mqtt;
        tasks.push(tokio::spawn(async move {
            // Like a real CCU: retry after a refused or timed-out attempt.
            let give_up = Instant::now() + GIVE_UP;
            let mut attempts = 0u32;
            loop {
                attempts += 1;
                let tried = {
                    let _permit = gate.acquire().await.ok()?;
                    MqttCcu::connect(addr, &c.id, &c.secret, false).await
                };
                match tried {
                    Ok(ccu) => return Some((ccu, c.outlets[0].1.clone(), attempts)),
                    Err(_) if Instant::now() < give_up => {
                        tokio::time::sleep(Duration::from_millis(500 + u64::from(attempts) * 250))
                            .await;
                    }
                    Err(_) => return None,
                }
            }
        }));
    }
    let mut connected = Vec::with_capacity(n);
    let mut retries = 0u64;
    for (i, t) in tasks.into_iter().enumerate() {
        if let Some((ccu, device, attempts)) = t.await? {
            retries += u64::from(attempts - 1);
            connected.push((ccu, device));
        }
        if (i + 1) % 1000 == 0 {
            progress(&format!("  {} connected", i + 1));
        }
    }
    let connect_s = start.elapsed().as_secs_f64();
    let connect_cpu = server.cpu_seconds() - cpu0;
    let logins = server.counters().await?.auth_ok - before.auth_ok;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss1, _) = server.memory();
    let failed = n - connected.len();

    let t = Instant::now();
    for (ccu, device) in &connected {
        ccu.publish("sensor", reading(device, 300, 0)).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = 0;
    while Instant::now() < deadline {
        got = server.counters().await?.accepted - before.accepted;
        if got >= connected.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let readings_s = t.elapsed().as_secs_f64();
    let per_conn = rss1.saturating_sub(rss0) / connected.len().max(1) as u64;
    drop(connected);
    let rows = vec![
        (
            "connected".into(),
            format!(
                "{} of {n} in {connect_s:.1} s ({}/s), {failed} failed, {retries} retries, {logins} logins",
                n - failed,
                rate((n - failed) as u64, connect_s)
            ),
        ),
        (
            "server CPU while connecting".into(),
            format!("{connect_cpu:.1} s (argon2 verification of every secret)"),
        ),
        (
            "server memory".into(),
            format!(
                "{} MiB before, {} MiB connected: {:.1} KiB per connection",
                mib(rss0),
                mib(rss1),
                per_conn as f64 / 1024.0
            ),
        ),
        (
            "one reading each".into(),
            format!("{got} of {} accepted in {readings_s:.2} s", n - failed),
        ),
    ];
    Ok(Outcome {
        rows,
        numbers: json!({
            "ccus": n, "failed": failed, "retries": retries, "logins": logins, "connect_s": connect_s,
            "connect_per_s": rate((n - failed) as u64, connect_s),
            "connect_cpu_s": connect_cpu, "rss_before_bytes": rss0, "rss_connected_bytes": rss1,
            "bytes_per_connection": per_conn, "readings_accepted": got, "readings_s": readings_s,
        }),
    })
}
