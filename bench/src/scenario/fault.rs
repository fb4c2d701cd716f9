//! Scenario 7: a database outage under a steady device load. CCUs publish paced readings at
//! QoS 1; the database goes away for a while, then comes back. Every reading the broker
//! acknowledged must end up stored (`docs/durability.md`): while the database is away the
//! readings wait in the spool, and are replayed in order when it returns.
//!
//! "Away" on PostgreSQL, when the server is `./test with-postgres`'s throw-away one (it exports
//! `TEST_POSTGRES_CTL`, a script that stops and starts that server): the server is stopped
//! (`pg_ctl stop -m fast`) and started again. Otherwise, and on SQLite (no server to stop), it
//! is the fault `tests/src/db_faults.rs` causes: `sensor_readings` is renamed, so every
//! history write fails until it is renamed back.

use super::load::Load;
use super::readiness::{Readiness, probe_readiness};
use super::{Outcome, mib, progress, rate};
use crate::profile::Sizes;
use crate::seed::{SeedCcu, Seeder, drop_database, fresh_database};
use crate::server::{Counters, Server, ServerOpts};
use anyhow::Context;
use backend::domain::Transport;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};

/// Outlets per publishing CCU.
const OUTLETS: usize = 8;
/// How often the spool and `/readyz` are sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// How long `/readyz` may take to answer (a readiness probe's usual time-out).
const READYZ_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the last acknowledgements and the last writes may take once the load stops.
const SETTLE: Duration = Duration::from_secs(30);
/// The table taken away, and its name while away.
const TABLE: &str = "sensor_readings";
const AWAY: &str = "sensor_readings_away";

/// What one outage run measured.
#[derive(Debug, Clone, Serialize)]
pub struct FaultNumbers {
    /// `sqlite` or `postgres`.
    pub database: String,
    /// How the database was taken away.
    pub fault: String,
    /// Publishing CCUs (8 outlets each).
    pub ccus: usize,
    /// Paced readings per second asked for.
    pub target_per_s: u64,
    /// Readings published.
    pub published: u64,
    /// Readings per second published, over the whole load.
    pub published_per_s: f64,
    /// PUBACKs the CCUs received: readings the server said were safe.
    pub acknowledged: u64,
    /// Rows in `sensor_readings` at the end (counted in the database).
    pub stored: u64,
    /// Distinct readings among them (each reading carries unique currents).
    pub distinct_stored: u64,
    /// Acknowledged readings not stored.
    pub lost: u64,
    /// Rows stored more than once.
    pub duplicates: u64,
    /// How long the database was away (s).
    pub outage_s: f64,
    /// `/readyz` while the database was away: answers `degraded` (200) ...
    pub readyz_degraded: u64,
    /// ... `ready` ...
    pub readyz_ready: u64,
    /// ... `not ready` (503) or anything else ...
    pub readyz_not_ready: u64,
    /// ... and no answer within [`READYZ_TIMEOUT`].
    pub readyz_no_answer: u64,
    /// Whether the outage took: the spool grew past the steady state. (Failed writes alone do
    /// not tell: with PostgreSQL stopped the writer waits for a connection, up to the pool's
    /// 30 s, before a write counts as failed.)
    pub outage_seen: bool,
    /// Failed history writes the server counted.
    pub history_errors: u64,
    /// Largest spool backlog seen (records not yet stored).
    pub peak_backlog: u64,
    /// Largest spool size seen (MiB).
    pub peak_spool_mib: f64,
    /// Largest backlog seen before the outage (the steady state).
    pub steady_backlog: u64,
    /// The backlog that counts as drained: the steady state, at least 100 ms of load.
    pub drain_threshold: u64,
    /// Whether the backlog drained within the profile's limit.
    pub drained: bool,
    /// From the database back to the backlog drained (s), the load still running.
    pub replay_s: f64,
    /// Readings stored per second during the replay.
    pub replay_stored_per_s: f64,
    /// From the database back to `/readyz` first saying `ready` (s).
    pub ready_again_s: Option<f64>,
}

impl FaultNumbers {
    /// Table rows.
    pub fn rows(&self) -> Vec<(String, String)> {
        let ready = self
            .ready_again_s
            .map_or_else(|| "never".to_string(), |s| format!("after {s:.1} s"));
        let replay = if self.drained {
            format!(
                "{:.1} s, {} readings/s stored meanwhile; /readyz ready {ready}",
                self.replay_s, self.replay_stored_per_s
            )
        } else {
            format!("NOT drained within {:.0} s", self.replay_s)
        };
        vec![
            (
                "setup".into(),
                format!(
                    "{} CCUs x {OUTLETS} outlets, {} readings/s paced, QoS 1, {}; database away {:.1} s ({})",
                    self.ccus, self.target_per_s, self.database, self.outage_s, self.fault
                ),
            ),
            (
                "load achieved".into(),
                format!(
                    "{} readings/s (target {})",
                    self.published_per_s, self.target_per_s
                ),
            ),
            (
                "published / acknowledged / stored".into(),
                format!(
                    "{} / {} / {}",
                    self.published, self.acknowledged, self.stored
                ),
            ),
            (
                "lost / stored twice".into(),
                format!("{} / {}", self.lost, self.duplicates),
            ),
            (
                "during the outage".into(),
                format!(
                    "{} failed history writes; peak spool backlog {} readings ({} MiB)",
                    self.history_errors, self.peak_backlog, self.peak_spool_mib
                ),
            ),
            (
                "/readyz while away".into(),
                format!(
                    "degraded {} / ready {} / not ready {} / no answer within {} s {}",
                    self.readyz_degraded,
                    self.readyz_ready,
                    self.readyz_not_ready,
                    READYZ_TIMEOUT.as_secs(),
                    self.readyz_no_answer
                ),
            ),
            ("replay (database back -> backlog drained)".into(), replay),
        ]
    }
}

/// The scenario on SQLite (`pg` = None) or on a throw-away PostgreSQL database.
pub async fn run(sizes: &Sizes, pg: Option<&str>) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (url, pg_name) = fresh_database(dir.path(), pg).await?;
    let seeder = Seeder::open(&url).await?;
    let user = seeder.user("fault").await?;
    let ccus = seeder
        .ccus(user, "F", sizes.fault_ccus, OUTLETS, Transport::Mqtt, 0xFE)
        .await?;
    seeder.close().await;
    let opts = ServerOpts {
        database_url: url.clone(),
        external_broker: None,
        history_interval_s: 0,
        instance_id: String::new(),
    };
    let server = Server::start(dir.path(), &opts).await?;
    let fault = match pg.and_then(server_control) {
        Some(ctl) => Fault::Stop(ctl),
        None => Fault::Rename(sea_orm::Database::connect(&url).await?),
    };
    let result = drive(sizes, &server, &ccus, &fault).await;
    if result.is_err() {
        // The database comes back whatever happened (an error when it already has).
        let _ = fault.bring_back().await;
    }
    server.stop().await;
    if let Fault::Rename(db) = fault {
        let _ = db.close().await;
    }
    let counted = count_rows(&url).await;
    if let (Some(admin), Some(name)) = (pg, pg_name) {
        drop_database(admin, &name).await;
    }
    let mut n = result?;
    let (stored, distinct) = counted?;
    n.database = if pg.is_some() { "postgres" } else { "sqlite" }.into();
    n.stored = stored;
    n.distinct_stored = distinct;
    n.lost = n.acknowledged.saturating_sub(distinct);
    n.duplicates = stored - distinct;
    Ok(Outcome {
        rows: n.rows(),
        numbers: serde_json::to_value(&n)?,
    })
}

/// How the database is taken away and brought back.
enum Fault {
    /// `sensor_readings` renamed, and back.
    Rename(DatabaseConnection),
    /// The PostgreSQL server stopped and started by this control script.
    Stop(PathBuf),
}

impl Fault {
    fn describe(&self) -> String {
        match self {
            Fault::Rename(_) => format!("{TABLE} renamed"),
            Fault::Stop(_) => "server stopped (pg_ctl stop -m fast), then started".into(),
        }
    }

    async fn take_away(&self) -> anyhow::Result<()> {
        match self {
            Fault::Rename(db) => rename(db, TABLE, AWAY).await,
            Fault::Stop(ctl) => control(ctl, "stop").await,
        }
    }

    async fn bring_back(&self) -> anyhow::Result<()> {
        match self {
            Fault::Rename(db) => rename(db, AWAY, TABLE).await,
            Fault::Stop(ctl) => control(ctl, "start").await,
        }
    }
}

/// `TEST_POSTGRES_CTL` when `url` is the server it controls (`TEST_DATABASE_URL`).
fn server_control(url: &str) -> Option<PathBuf> {
    let ctl = std::env::var_os("TEST_POSTGRES_CTL").filter(|c| !c.is_empty())?;
    (std::env::var("TEST_DATABASE_URL").ok()? == url).then(|| PathBuf::from(ctl))
}

/// Runs `ctl stop` or `ctl start`.
async fn control(ctl: &Path, what: &str) -> anyhow::Result<()> {
    let status = tokio::process::Command::new(ctl)
        .arg(what)
        .status()
        .await
        .with_context(|| format!("running {}", ctl.display()))?;
    anyhow::ensure!(status.success(), "{} {what}: {status}", ctl.display());
    Ok(())
}

/// The spool and readiness at one moment.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Instant,
    backlog: u64,
    bytes: u64,
    counters: Counters,
    history_errors: u64,
}

async fn sample(server: &Server) -> anyhow::Result<Sample> {
    let status: Value = server
        .client
        .get(server.url("/status"))
        .send()
        .await?
        .json()
        .await?;
    let spool = &status["spool"];
    anyhow::ensure!(
        spool.is_object(),
        "/status shows no spool: this scenario needs the embedded broker's spool"
    );
    Ok(Sample {
        at: Instant::now(),
        backlog: spool["backlog"].as_u64().unwrap_or(0),
        bytes: spool["bytes"].as_u64().unwrap_or(0),
        counters: Counters::from_metrics(&status["metrics"]),
        history_errors: status["metrics"]["history_errors"].as_u64().unwrap_or(0),
    })
}

/// Samples every [`SAMPLE_EVERY`] into `samples` until `done` holds for a sample (returned)
/// or `deadline` passes (`None`).
async fn watch(
    server: &Server,
    samples: &mut Vec<Sample>,
    deadline: Instant,
    mut done: impl FnMut(&Sample) -> bool,
) -> anyhow::Result<Option<Sample>> {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s = sample(server).await?;
        samples.push(s);
        if done(&s) {
            return Ok(Some(s));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
    }
}

async fn drive(
    sizes: &Sizes,
    server: &Server,
    ccus: &[SeedCcu],
    fault: &Fault,
) -> anyhow::Result<FaultNumbers> {
    let load = Load::start(server, ccus, sizes.fault_rate).await?;
    let (prober, answers) = probe_readiness(server, SAMPLE_EVERY, READYZ_TIMEOUT);
    let (published, acked) = (load.published.clone(), load.acked.clone());
    let report = |what: &str, s: &Sample| {
        progress(&format!(
            "  {what}: published {} acknowledged {} stored {} spool backlog {}",
            published.load(Relaxed),
            acked.load(Relaxed),
            s.counters.stored,
            s.backlog
        ))
    };

    // The steady state.
    let mut steady = Vec::new();
    watch(
        server,
        &mut steady,
        Instant::now() + sizes.fault_warmup,
        |_| false,
    )
    .await?;
    let steady_backlog = steady.iter().map(|s| s.backlog).max().unwrap_or(0);
    let drain_threshold = steady_backlog.max(sizes.fault_rate / 10);
    if let Some(s) = steady.last() {
        report("steady", s);
    }

    // The outage.
    let away = Instant::now();
    fault.take_away().await?;
    let mut outage = Vec::new();
    watch(server, &mut outage, away + sizes.fault_outage, |_| false).await?;
    fault.bring_back().await?;
    let back = Instant::now();
    let outage_s = (back - away).as_secs_f64();
    if let Some(s) = outage.last() {
        report("database away", s);
    }

    // The replay, the load still running: until the backlog is back to the steady state.
    let mut replay = Vec::new();
    let drained = watch(server, &mut replay, back + sizes.fault_drain_limit, |s| {
        s.backlog <= drain_threshold
    })
    .await?;
    let first = replay.first().copied();
    if let Some(s) = replay.last() {
        report("replayed", s);
    }
    let (clients, load_s) = load.stop().await;
    let published = published.load(Relaxed);

    // Every PUBACK in, the spool empty, every acknowledged reading written.
    let mut end = Vec::new();
    let settled = watch(server, &mut end, Instant::now() + SETTLE, |s| {
        acked.load(Relaxed) >= published && s.backlog == 0 && s.counters.stored >= published
    })
    .await?;
    if settled.is_none() {
        progress("  not settled: acknowledgements or writes still missing");
    }
    drop(clients);
    drop(prober);
    let acknowledged = acked.load(Relaxed);
    let answers = answers.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let while_away = |r: Readiness| {
        answers
            .iter()
            .filter(|(at, a)| *at >= away && *at < back && *a == r)
            .count() as u64
    };
    let ready_at = answers
        .iter()
        .find(|(at, a)| *at >= back && *a == Readiness::Ready)
        .map(|(at, _)| *at);

    let during: Vec<&Sample> = outage.iter().chain(&replay).collect();
    let peak_backlog = during.iter().map(|s| s.backlog).max().unwrap_or(0);
    let peak_bytes = during.iter().map(|s| s.bytes).max().unwrap_or(0);
    let last = end.last().or(replay.last()).copied();
    let (replay_s, replay_stored_per_s) = match (drained, first) {
        (Some(d), Some(f)) => {
            let secs = (d.at - back).as_secs_f64();
            let stored = d.counters.stored.saturating_sub(f.counters.stored);
            (secs, rate(stored, (d.at - f.at).as_secs_f64()))
        }
        _ => (sizes.fault_drain_limit.as_secs_f64(), 0.0),
    };
    Ok(FaultNumbers {
        database: String::new(),
        fault: fault.describe(),
        ccus: ccus.len(),
        target_per_s: sizes.fault_rate,
        published,
        published_per_s: rate(published, load_s),
        acknowledged,
        stored: 0,
        distinct_stored: 0,
        lost: 0,
        duplicates: 0,
        outage_s: (outage_s * 10.0).round() / 10.0,
        readyz_degraded: while_away(Readiness::Degraded),
        readyz_ready: while_away(Readiness::Ready),
        readyz_not_ready: while_away(Readiness::NotReady),
        readyz_no_answer: while_away(Readiness::NoAnswer),
        outage_seen: peak_backlog > drain_threshold,
        history_errors: last.map_or(0, |s| s.history_errors),
        peak_backlog,
        peak_spool_mib: mib(peak_bytes),
        steady_backlog,
        drain_threshold,
        drained: drained.is_some(),
        replay_s: (replay_s * 100.0).round() / 100.0,
        replay_stored_per_s,
        ready_again_s: ready_at.map(|t| ((t - back).as_secs_f64() * 100.0).round() / 100.0),
    })
}

/// `ALTER TABLE from RENAME TO to` (the same on SQLite and PostgreSQL).
async fn rename(db: &DatabaseConnection, from: &str, to: &str) -> anyhow::Result<()> {
    db.execute_unprepared(&format!("ALTER TABLE {from} RENAME TO {to}"))
        .await?;
    Ok(())
}

/// Rows in `sensor_readings`, and distinct readings among them.
async fn count_rows(url: &str) -> anyhow::Result<(u64, u64)> {
    let db = sea_orm::Database::connect(url).await?;
    let db = &db;
    let count = |sql: &str| {
        let statement = Statement::from_string(db.get_database_backend(), sql.to_string());
        async move {
            let row = db.query_one_raw(statement).await?;
            let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
            anyhow::Ok(n as u64)
        }
    };
    let rows = count(&format!("SELECT COUNT(*) AS n FROM {TABLE}")).await?;
    let distinct = count(&format!(
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT outlet_id, current_a, current_b FROM {TABLE}) AS d"
    ))
    .await?;
    let _ = db.clone().close().await;
    Ok((rows, distinct))
}
