//! Several server instances behind one Mosquitto, on one database: each a child process
//! (`--serve`) in external mode with its own `mqtt.external.instance_id`, all in the default
//! shared group (`$share/smart-outlet/…`, `mqtt.external.shared_group`), so that the broker
//! hands each device publish to one of them.

use crate::mosquitto::Mosquitto;
use crate::server::{Counters, Server, ServerOpts};
use std::net::SocketAddr;

/// The broker and the instances.
pub struct Cluster {
    /// The broker.
    pub mosquitto: Mosquitto,
    /// The instances, `bench-1`, `bench-2`, …
    pub servers: Vec<Server>,
    /// Where devices connect: the broker.
    pub mqtt: SocketAddr,
    database_url: String,
    dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    /// Starts Mosquitto (`binary`, its config in `dir`, `inflight` QoS 1 messages in flight to
    /// each client) and `n` instances on `database_url`, every reading kept
    /// (`history.interval = "0s"`).
    pub async fn start(
        binary: &str,
        dir: &std::path::Path,
        database_url: &str,
        n: usize,
        inflight: u32,
    ) -> anyhow::Result<Cluster> {
        let mosquitto = Mosquitto::start_with(binary, dir, inflight, true).await?;
        let mut cluster = Cluster {
            mqtt: SocketAddr::from(([127, 0, 0, 1], mosquitto.port)),
            mosquitto,
            servers: Vec::with_capacity(n),
            database_url: database_url.to_string(),
            dirs: Vec::with_capacity(n),
        };
        for _ in 0..n {
            cluster.dirs.push(tempfile::tempdir()?);
        }
        if let Err(e) = cluster.start_servers().await {
            cluster.stop().await;
            return Err(e);
        }
        Ok(cluster)
    }

    /// Starts instance `bench-<i>` for each folder, `i` from 1.
    async fn start_servers(&mut self) -> anyhow::Result<()> {
        for (i, dir) in self.dirs.iter().enumerate() {
            let opts = ServerOpts {
                database_url: self.database_url.clone(),
                external_broker: Some(("127.0.0.1".to_string(), self.mosquitto.port)),
                history_interval_s: 0,
                instance_id: format!("bench-{}", i + 1),
            };
            self.servers.push(Server::start(dir.path(), &opts).await?);
        }
        Ok(())
    }

    /// Stops every instance (SIGTERM: what is in a writer's batch is committed first) and
    /// starts them again with the same `instance_id`: each resumes its broker session, and
    /// the broker sends what that session still holds (unacknowledged or queued publishes).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        for s in std::mem::take(&mut self.servers) {
            s.stop().await;
        }
        self.start_servers().await
    }

    /// Every instance's counters, in instance order.
    pub async fn counters(&self) -> anyhow::Result<Vec<Counters>> {
        let mut all = Vec::with_capacity(self.servers.len());
        for s in &self.servers {
            all.push(s.counters().await?);
        }
        Ok(all)
    }

    /// The `smart_outlet_*` samples of every instance's `/metrics` whose name contains one of
    /// `names` and whose value is not 0 (`name{labels} value` lines), in instance order.
    pub async fn metrics(&self, names: &[&str]) -> anyhow::Result<Vec<Vec<String>>> {
        let mut all = Vec::with_capacity(self.servers.len());
        for s in &self.servers {
            let text = s.client.get(s.url("/metrics")).send().await?.text().await?;
            all.push(
                text.lines()
                    .filter(|l| l.starts_with("smart_outlet_"))
                    .filter(|l| names.iter().any(|n| l.contains(n)))
                    .filter(|l| !l.ends_with(" 0"))
                    .map(str::to_string)
                    .collect(),
            );
        }
        Ok(all)
    }

    /// CPU seconds each instance has used, in instance order.
    pub fn cpu_seconds(&self) -> Vec<f64> {
        self.servers.iter().map(Server::cpu_seconds).collect()
    }

    /// Stops the instances, then the broker.
    pub async fn stop(self) {
        for s in self.servers {
            s.stop().await;
        }
        self.mosquitto.stop().await;
    }
}

/// The sum of every instance's counters.
pub fn total(all: &[Counters]) -> Counters {
    all.iter().fold(Counters::default(), |t, c| Counters {
        accepted: t.accepted + c.accepted,
        stored: t.stored + c.stored,
        rejects: t.rejects + c.rejects,
        auth_ok: t.auth_ok + c.auth_ok,
    })
}
