//! Scenario 2, the old firmware's path: one legacy CCU with 8 outlets on the firmware's loop
//! (2 s cycle, 30 s background round robin), a person viewing one outlet in the old
//! dashboard; relay commands through the REST API alternately to the viewed outlet and to
//! one of the other seven, each from another phase of the cycle, one at a time.

use super::legacy_watch::Watch;
use super::progress;
use crate::api::Api;
use crate::legacy_ccu::{LegacyCcu, Timing};
use crate::profile::Sizes;
use crate::seed::SeedCcu;
use crate::server::Server;
use crate::stats::Percentiles;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The outcome for one kind of outlet.
#[derive(Debug, Default, Serialize)]
pub struct Class {
    /// API → executed at the CCU.
    pub delivery_ms: Percentiles,
    /// API → `ok` on the WebSocket.
    pub acked_ms: Percentiles,
    /// Commands sent.
    pub sent: usize,
    /// Not executed within the timeout.
    pub undelivered: usize,
    /// Executed, but not confirmed within the timeout after that.
    pub unconfirmed: usize,
}

/// The legacy path's outcome.
#[derive(Debug, Serialize)]
pub struct LegacyLatency {
    /// Commands to the outlet a person views.
    pub viewed: Class,
    /// Commands to the other outlets.
    pub other: Class,
    /// Requests per cycle, on average.
    pub requests_per_cycle: f64,
    /// Cycles the CCU ran.
    pub cycles: u64,
    /// Requests that failed.
    pub failed_requests: u64,
    /// The per-command timeout, seconds.
    pub timeout_s: u64,
}

#[derive(Default)]
struct Samples {
    deliver: Vec<Duration>,
    acked: Vec<Duration>,
    sent: usize,
    undelivered: usize,
    unconfirmed: usize,
}

impl Samples {
    fn class(&self) -> Class {
        Class {
            delivery_ms: Percentiles::of(&self.deliver),
            acked_ms: Percentiles::of(&self.acked),
            sent: self.sent,
            undelivered: self.undelivered,
            unconfirmed: self.unconfirmed,
        }
    }
}

/// Runs the legacy path against `legacy` (a CCU with 8 outlets bound to loopback).
pub async fn measure(
    sizes: &Sizes,
    server: &Server,
    api: &Api,
    ws: &mut mpsc::UnboundedReceiver<(Value, Instant)>,
    legacy: &SeedCcu,
) -> anyhow::Result<LegacyLatency> {
    let timing = Timing::FIRMWARE;
    let ccu = LegacyCcu::new(&format!("http://{}", server.http), &legacy.id, None, timing)?;
    let (viewed, others) = legacy
        .outlets
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("the legacy CCU has no outlets"))?;
    anyhow::ensure!(!others.is_empty(), "the legacy CCU needs a second outlet");
    ccu.view(&viewed.1).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let cycling = tokio::spawn(ccu.run(tx));
    let mut watch = Watch::new(rx);
    watch.first_cycle(Duration::from_secs(10)).await?;
    let mut relays = vec![false; legacy.outlets.len()];
    let (mut on_viewed, mut on_other) = (Samples::default(), Samples::default());
    for i in 0..sizes.legacy_commands {
        // Even: the viewed outlet; odd: the others, in strides of 3 so that consecutive ones
        // sit at different places of the round robin.
        let (index, samples, label) = if i % 2 == 0 {
            (0, &mut on_viewed, "viewed")
        } else {
            (1 + (3 * (i / 2)) % others.len(), &mut on_other, "other")
        };
        let (outlet, device) = &legacy.outlets[index];
        // Phases 750, 1450, 150, 850, … ms into the cycle: 20 different ones (the first
        // late enough to catch the cycle after the first report).
        let phase = Duration::from_millis((i as u64 + 1) * 700 % 2_000 + 50);
        tokio::time::sleep_until(watch.next_phase(timing.period, phase)).await;
        let on = !relays[index];
        let command = if on { "relay_on" } else { "relay_off" };
        let t0 = Instant::now();
        let id = api.relay(*outlet, on, "a").await?;
        samples.sent += 1;
        let Some(at) = watch
            .executed(device, command, t0, t0 + sizes.legacy_timeout)
            .await?
        else {
            samples.undelivered += 1;
            progress(&format!(
                "  legacy command {}/{} ({label} {device}): not executed within {:.0} s",
                i + 1,
                sizes.legacy_commands,
                sizes.legacy_timeout.as_secs_f64()
            ));
            continue;
        };
        relays[index] = on;
        samples.deliver.push(at - t0);
        let acked = wait_confirmed(ws, &id, at + sizes.legacy_timeout).await?;
        match acked {
            Some(ok) => samples.acked.push(ok - t0),
            None => samples.unconfirmed += 1,
        }
        progress(&format!(
            "  legacy command {}/{} ({label} {device}, {} ms into the cycle): executed after {:.2} s, {}",
            i + 1,
            sizes.legacy_commands,
            phase.as_millis(),
            (at - t0).as_secs_f64(),
            match acked {
                Some(ok) => format!("confirmed after {:.2} s", (ok - t0).as_secs_f64()),
                None => "not confirmed in time".into(),
            }
        ));
    }
    cycling.abort();
    watch.drain();
    Ok(LegacyLatency {
        viewed: on_viewed.class(),
        other: on_other.class(),
        requests_per_cycle: if watch.cycles == 0 {
            0.0
        } else {
            (watch.requests as f64 / watch.cycles as f64 * 100.0).round() / 100.0
        },
        cycles: watch.cycles,
        failed_requests: watch.failed,
        timeout_s: sizes.legacy_timeout.as_secs(),
    })
}

/// When the command's `ok` arrived on the WebSocket; `None` if not by `deadline`. A
/// `timed_out` is not final here: a later reading still confirms a legacy command.
async fn wait_confirmed(
    ws: &mut mpsc::UnboundedReceiver<(Value, Instant)>,
    id: &str,
    deadline: Instant,
) -> anyhow::Result<Option<Instant>> {
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, ws.recv()).await else {
            return Ok(None);
        };
        let (v, at) = next.ok_or_else(|| anyhow::anyhow!("WebSocket closed"))?;
        if v["type"] == "command" && v["command"]["id"] == id {
            match v["command"]["status"].as_str() {
                Some("ok") => return Ok(Some(at)),
                Some("failed" | "expired") => {
                    anyhow::bail!("command {id}: {}", v["command"]["status"])
                }
                _ => {}
            }
        }
    }
}
