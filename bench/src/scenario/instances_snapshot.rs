//! The `instances` scenario's measurements at one moment of the load (rows in the database,
//! readings published and accepted, CPU time of every process involved) and what two of them
//! say about the span between: a phase's rates and where the cores went.

use super::instances_numbers::{CpuNumbers, Phase};
use super::rate;
use super::stamped::StampedLoad;
use crate::cluster::{Cluster, total};
use crate::cpu;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use tokio::time::Instant;

/// The counts in the database, the probe's outlet left out.
pub(super) struct Counts<'a> {
    pub db: &'a DatabaseConnection,
    pub probe_outlet: i32,
    /// The PostgreSQL server's postmaster, when it runs here and is visible.
    pub postmaster: Option<u32>,
}

impl Counts<'_> {
    async fn query(&self, what: &str) -> anyhow::Result<u64> {
        let sql = format!(
            "SELECT {what} AS n FROM sensor_readings WHERE outlet_id <> {}",
            self.probe_outlet
        );
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        Ok(n as u64)
    }

    /// Rows in `sensor_readings`.
    pub async fn rows(&self) -> anyhow::Result<u64> {
        self.query("COUNT(*)").await
    }

    /// Rows, and distinct readings among them (outlet and device time).
    pub async fn rows_and_distinct(&self) -> anyhow::Result<(u64, u64)> {
        Ok((
            self.rows().await?,
            self.query("COUNT(DISTINCT (outlet_id, ts))").await?,
        ))
    }
}

/// The port of a PostgreSQL URL (`postgres://user:pw@host:port/db`), 5432 when it names none.
pub(super) fn postgres_port(url: &str) -> u16 {
    let host = url.rsplit('@').next().unwrap_or(url);
    let host = host
        .trim_start_matches("postgres://")
        .trim_start_matches("postgresql://");
    let host = host.split('/').next().unwrap_or(host);
    host.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(5432)
}

/// Counts and CPU times at one moment of the load.
pub(super) struct Snapshot {
    pub at: Instant,
    rows: u64,
    published: u64,
    accepted: u64,
    /// CPU seconds of each instance.
    pub servers: Vec<f64>,
    mosquitto: f64,
    bench: f64,
    postgres: Option<HashMap<u32, f64>>,
    machine: f64,
}

impl Snapshot {
    /// Now.
    pub async fn take(
        cluster: &Cluster,
        counts: &Counts<'_>,
        load: &StampedLoad,
    ) -> anyhow::Result<Snapshot> {
        let at = Instant::now();
        Ok(Snapshot {
            published: load.published.load(Relaxed),
            servers: cluster.cpu_seconds(),
            mosquitto: cpu::process_seconds(cluster.mosquitto.pid),
            bench: cpu::process_seconds(std::process::id()),
            postgres: counts.postmaster.map(cpu::tree_seconds),
            machine: cpu::machine_busy_seconds(),
            accepted: total(&cluster.counters().await?).accepted,
            rows: counts.rows().await?,
            at,
        })
    }

    /// Seconds from `self` to `later`.
    pub fn secs_to(&self, later: &Snapshot) -> f64 {
        (later.at - self.at).as_secs_f64()
    }

    /// The phase from `self` to `end`; `published` = readings published in it (`None`: the
    /// difference of the snapshots).
    pub fn phase(&self, end: &Snapshot, target_per_s: u64, published: Option<u64>) -> Phase {
        let secs = self.secs_to(end);
        let published = published.unwrap_or(end.published - self.published);
        Phase {
            seconds: (secs * 10.0).round() / 10.0,
            target_per_s,
            published_per_s: rate(published, secs),
            accepted_per_s: rate(end.accepted - self.accepted, secs),
            stored_per_s: rate(end.rows - self.rows, secs),
        }
    }

    /// Where the CPU went from `self` to `end`.
    pub fn cpu_to(&self, end: &Snapshot) -> CpuNumbers {
        let servers: f64 = end
            .servers
            .iter()
            .zip(&self.servers)
            .map(|(b, a)| b - a)
            .sum();
        let (mosquitto, bench) = (end.mosquitto - self.mosquitto, end.bench - self.bench);
        let postgres = match (&self.postgres, &end.postgres) {
            (Some(a), Some(b)) => Some(cpu::tree_delta(a, b)),
            _ => None,
        };
        let machine = end.machine - self.machine;
        let rest = machine - servers - mosquitto - bench - postgres.unwrap_or(0.0);
        CpuNumbers {
            machine_busy: self.cores(machine, end),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            servers: self.cores(servers, end),
            mosquitto: self.cores(mosquitto, end),
            load_generator: self.cores(bench, end),
            postgres: postgres.map(|p| self.cores(p, end)),
            rest: self.cores(rest.max(0.0), end),
        }
    }

    /// `cpu_s` CPU seconds over the span from `self` to `end`, in cores.
    pub fn cores(&self, cpu_s: f64, end: &Snapshot) -> f64 {
        let secs = self.secs_to(end);
        if secs <= 0.0 {
            return 0.0;
        }
        (cpu_s / secs * 100.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_port_of_a_postgres_url() {
        use super::postgres_port;
        assert_eq!(
            postgres_port("postgres://postgres:p@127.0.0.1:51845/postgres"),
            51845
        );
        assert_eq!(postgres_port("postgres://u:p@db/x"), 5432);
        assert_eq!(postgres_port("postgresql://127.0.0.1:6000/x"), 6000);
    }
}
