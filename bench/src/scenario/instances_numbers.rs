//! What one run of the `instances` scenario measured (1 or 2 instances), and its table rows.

use serde::Serialize;

/// One run: `instances` servers behind one Mosquitto on one PostgreSQL database.
#[derive(Debug, Clone, Serialize)]
pub struct RunNumbers {
    /// Server instances.
    pub instances: usize,
    /// Publishing CCUs.
    pub ccus: usize,
    /// Outlets per CCU.
    pub outlets_per_ccu: usize,
    /// Paced phase: readings per second asked for, published, and stored (rows written
    /// during the phase, counted in the database, over its length).
    pub paced: Phase,
    /// As-fast-as-taken phase: the same.
    pub max: Phase,
    /// From the end of the load to the last reading stored (s).
    pub drain_s: f64,
    /// Readings published (the load and the warm-up that found every instance subscribed).
    pub published: u64,
    /// PUBACKs the CCUs received from the broker.
    pub acked: u64,
    /// Published but never acknowledged.
    pub unacknowledged: u64,
    /// Readings the instances accepted (sum of their counters).
    pub accepted: u64,
    /// Rejected by the instances.
    pub rejected: u64,
    /// Deliveries beyond one per published reading (the instances took more than was
    /// published: a publish the broker handed out twice).
    pub redelivered: u64,
    /// Acknowledged by the broker but not stored once the load had settled: held by the
    /// broker for an instance (the instances were then restarted to get them).
    pub stuck: u64,
    /// Whether the instances were restarted for `stuck` readings.
    pub restarted: bool,
    /// Rows in `sensor_readings` at the end.
    pub stored: u64,
    /// Distinct readings among them: `COUNT(DISTINCT (outlet_id, ts))`.
    pub distinct_stored: u64,
    /// Rows minus distinct readings.
    pub duplicates: u64,
    /// Acknowledged by the broker but not stored at the end, after any restart
    /// (acked − distinct).
    pub lost: u64,
    /// Each instance's part.
    pub per_instance: Vec<InstanceNumbers>,
    /// Where the machine's CPU went during the fast phase.
    pub cpu_max_phase: CpuNumbers,
    /// The machine's 1-minute load average before the run (other work on it shows here).
    pub load_average_before: f64,
    /// Each instance's ingest counters from `/metrics` at the end.
    pub metrics: Vec<Vec<String>>,
}

/// One phase of the load.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phase {
    /// Its length (s).
    pub seconds: f64,
    /// Paced target (0 = as fast as taken).
    pub target_per_s: u64,
    /// Readings published per second.
    pub published_per_s: f64,
    /// Readings accepted per second (sum of the instances' counters).
    pub accepted_per_s: f64,
    /// Rows written per second (database count at its start and end).
    pub stored_per_s: f64,
}

/// One instance's part of a run.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceNumbers {
    /// `mqtt.external.instance_id`.
    pub id: String,
    /// Readings it accepted.
    pub accepted: u64,
    /// Rows it wrote.
    pub stored: u64,
    /// Its share of the accepted readings (%).
    pub share_pct: f64,
    /// Its CPU during the fast phase (cores).
    pub cpu_cores: f64,
    /// Its peak resident memory (MiB).
    pub peak_rss_mib: f64,
}

/// CPU in cores over a phase.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuNumbers {
    /// The whole machine, busy (of `cores`).
    pub machine_busy: f64,
    /// Cores of the machine.
    pub cores: usize,
    /// The server instances together.
    pub servers: f64,
    /// Mosquitto.
    pub mosquitto: f64,
    /// The bench process: the load generator and its probes.
    pub load_generator: f64,
    /// The PostgreSQL server (postmaster and backends), when it runs on this machine.
    pub postgres: Option<f64>,
    /// The rest: whatever else ran on the machine (PostgreSQL too when not measured).
    pub rest: f64,
}

impl RunNumbers {
    /// Table rows, each label prefixed with `1 instance` / `2 instances`.
    pub fn rows(&self) -> Vec<(String, String)> {
        let who = match self.instances {
            1 => "1 instance".to_string(),
            n => format!("{n} instances"),
        };
        let c = &self.cpu_max_phase;
        let mut rows = vec![
            (
                format!("{who}: paced, stored/s"),
                format!(
                    "{} (target {}/s, published {}/s)",
                    self.paced.stored_per_s, self.paced.target_per_s, self.paced.published_per_s
                ),
            ),
            (
                format!("{who}: max rate, stored/s"),
                format!(
                    "{} (published {}/s, accepted {}/s over {:.0} s; drained {:.1} s after)",
                    self.max.stored_per_s,
                    self.max.published_per_s,
                    self.max.accepted_per_s,
                    self.max.seconds,
                    self.drain_s
                ),
            ),
            (
                format!("{who}: published / acked / stored / distinct"),
                format!(
                    "{} / {} / {} / {}",
                    self.published, self.acked, self.stored, self.distinct_stored
                ),
            ),
            (
                format!("{who}: duplicates / lost / redelivered"),
                format!("{} / {} / {}", self.duplicates, self.lost, self.redelivered),
            ),
            (
                format!("{who}: stuck in the broker until a restart"),
                if self.restarted {
                    format!(
                        "{} (instances restarted: {} of them stored after)",
                        self.stuck,
                        self.stuck.saturating_sub(self.lost)
                    )
                } else {
                    "0".to_string()
                },
            ),
            (
                format!("{who}: CPU at max rate (cores)"),
                format!(
                    "machine {:.2} of {} (load average {:.1} before): servers {:.2}, mosquitto {:.2}, load generator {:.2}, PostgreSQL {}, other {:.2}",
                    c.machine_busy,
                    c.cores,
                    self.load_average_before,
                    c.servers,
                    c.mosquitto,
                    c.load_generator,
                    c.postgres
                        .map_or("not measured".to_string(), |p| format!("{p:.2}")),
                    c.rest
                ),
            ),
        ];
        if self.per_instance.len() > 1 {
            let parts: Vec<String> = self
                .per_instance
                .iter()
                .map(|i| {
                    format!(
                        "{} {}% ({} accepted, {:.2} cores)",
                        i.id, i.share_pct, i.accepted, i.cpu_cores
                    )
                })
                .collect();
            rows.push((format!("{who}: per instance"), parts.join(", ")));
        }
        rows
    }
}
