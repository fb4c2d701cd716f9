//! Command-line arguments of `bench`.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// Benchmarks of the smart-outlet server: ingest, a database outage, command latency (idle and
/// under load), live view, connections, embedded vs external broker, one vs two instances,
/// legacy HTTP shim.
#[derive(Debug, Parser)]
#[command(name = "bench")]
pub struct Args {
    /// `quick` (small counts, under two minutes; what CI runs) or `full` (the published numbers).
    #[arg(long, value_enum, default_value = "quick")]
    pub profile: Profile,
    /// Run only these scenarios (comma-separated): ingest, fault, commands, commands-load,
    /// live, connections, broker, instances, energy, legacy.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench/results.json")]
    pub out: PathBuf,
    /// A PostgreSQL server URL whose user may create databases (for the PostgreSQL ingest
    /// run); a throw-away database is created and dropped.
    #[arg(long, env = "BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// The mosquitto binary for the external-broker scenarios (broker, instances).
    #[arg(long, default_value = "mosquitto")]
    pub mosquitto: String,
    /// Fail when a scenario is skipped (no PostgreSQL, no mosquitto), produced no numbers or
    /// broke an invariant (`src/invariants.rs`: readings lost, accepted but not stored, a CCU
    /// not connected, a live delivery missing): what CI runs.
    #[arg(long)]
    pub strict: bool,
    /// Mosquitto's `max_inflight_messages` to each server instance in the instances scenario
    /// (`deploy/mosquitto/mosquitto.conf` has 10 000).
    #[arg(long, default_value_t = 10_000)]
    pub instances_inflight: u32,
    /// Override the profile's number of CCUs in the connections scenario.
    #[arg(long)]
    pub connections: Option<usize>,
    /// Override the profile's number of legacy commands in the command-latency scenario
    /// (alternately to the viewed outlet and to another one).
    #[arg(long)]
    pub legacy_commands: Option<usize>,
    /// Profile each server with `perf record -e cpu-clock` (Debian's linux-perf) into this
    /// folder, one `server-<pid>.perf.data` per server; read with
    /// `perf report -i FILE --stdio --sort dso,symbol`.
    #[arg(long)]
    pub perf: Option<PathBuf>,
    /// Internal: run the server from this settings file (the harness's child process).
    #[arg(long, hide = true)]
    pub serve: Option<PathBuf>,
}

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Small counts, bounded to about two minutes.
    Quick,
    /// The counts of the published numbers.
    Full,
}

impl Args {
    /// Whether a scenario was selected.
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    /// The PostgreSQL URL: `--postgres-url`, else `TEST_DATABASE_URL` (set by `.ci/run`).
    pub fn postgres(&self) -> Option<String> {
        self.postgres_url
            .clone()
            .or_else(|| std::env::var("TEST_DATABASE_URL").ok())
            .filter(|u| !u.is_empty())
    }
}
