//! The server under test as a child process (this binary with `--serve`), so that its CPU
//! time and memory are measured apart from the load generators.

use anyhow::{Context, bail};
use serde_json::Value;
use smart_outlet::startup::Application;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What the child server is started with.
#[derive(Debug, Clone)]
pub struct ServerOpts {
    /// `database.url`.
    pub database_url: String,
    /// `Some((host, port))`: `mqtt.mode = "external"` on that broker.
    pub external_broker: Option<(String, u16)>,
    /// `history.interval`, seconds (0 = keep every reading).
    pub history_interval_s: u64,
    /// `mqtt.external.instance_id` ("" = none: a clean session, publishes acknowledged on
    /// receipt; set: a persistent session, each acknowledged once stored).
    pub instance_id: String,
}

/// A running child server.
pub struct Server {
    child: Child,
    /// Its HTTP address.
    pub http: SocketAddr,
    /// Where devices connect (the embedded broker, or the external one).
    pub mqtt: SocketAddr,
    /// A plain HTTP client for it.
    pub client: reqwest::Client,
    pid: u32,
    /// `perf record` attached to it (`--perf`).
    perf: Option<Child>,
}

/// Where `--perf` puts its profiles.
static PERF_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Profiles every server started from now on into `dir`.
pub fn profile_into(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let _ = PERF_DIR.set(dir.canonicalize()?);
    Ok(())
}

/// Attaches `perf record` to `pid` when `--perf` is set (software clock: works in VMs
/// without hardware counters).
fn attach_perf(pid: u32) -> anyhow::Result<Option<Child>> {
    let Some(dir) = PERF_DIR.get() else {
        return Ok(None);
    };
    let out = dir.join(format!("server-{pid}.perf.data"));
    let child = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", "499", "-p"])
        .arg(pid.to_string())
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting perf (apt-get install linux-perf)")?;
    eprintln!("[bench]   profiling server {pid} into {}", out.display());
    Ok(Some(child))
}

impl ServerOpts {
    /// The embedded broker on `database_url`, history every 60 s (the default).
    pub fn embedded(database_url: String) -> ServerOpts {
        ServerOpts {
            database_url,
            external_broker: None,
            history_interval_s: 60,
            instance_id: String::new(),
        }
    }
}

impl Server {
    /// Writes the settings into `dir`, starts the child and waits until it listens.
    pub async fn start(dir: &Path, opts: &ServerOpts) -> anyhow::Result<Server> {
        let http = broker::free_local_addr()?;
        let mqtt = broker::free_local_addr()?;
        let (mode, ext_host, ext_port) = match &opts.external_broker {
            Some((h, p)) => ("external", h.clone(), *p),
            None => ("embedded", "127.0.0.1".to_string(), 1883),
        };
        let toml = format!(
            r#"data_dir = "{data}"
[http]
addr = "{http}"
[mqtt]
mode = "{mode}"
addr = "{mqtt}"
max_connections = 30000
[mqtt.external]
host = "{ext_host}"
port = {ext_port}
password = "bench"
instance_id = "{instance}"
[database]
url = "{db}"
[history]
interval = "{hist}s"
[presence]
stale_after = "600s"
[commands]
ack_timeout = "30s"
[log]
filter = "warn,rumqttd=off,sea_orm_migration=warn,sqlx=warn"
"#,
            data = dir.display(),
            db = opts.database_url,
            hist = opts.history_interval_s,
            instance = opts.instance_id,
        );
        let path = dir.join("bench-server.toml");
        std::fs::write(&path, toml)?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the server process")?;
        let pid = child.id().context("server pid")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("READY ") {
                    return Ok::<String, anyhow::Error>(rest.to_string());
                }
            }
            bail!("the server exited before it was ready")
        })
        .await
        .context("the server did not start within 120 s")??;
        let mut parts = ready.split_whitespace();
        let http: SocketAddr = parts.next().context("http addr")?.parse()?;
        let mqtt: SocketAddr = parts.next().context("mqtt addr")?.parse()?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let perf = attach_perf(pid)?;
        Ok(Server {
            child,
            http,
            mqtt,
            client,
            pid,
            perf,
        })
    }

    /// `http://addr`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// CPU seconds (user + system) the server has used.
    pub fn cpu_seconds(&self) -> f64 {
        crate::cpu::process_seconds(self.pid)
    }

    /// Resident memory now and at its peak (bytes).
    pub fn memory(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        (kb("VmRSS:"), kb("VmHWM:"))
    }

    /// The server's counters (`/status`).
    pub async fn metrics(&self) -> anyhow::Result<Value> {
        let v: Value = self
            .client
            .get(self.url("/status"))
            .send()
            .await?
            .json()
            .await?;
        Ok(v["metrics"].clone())
    }

    /// Accepted readings (MQTT + HTTP), history rows written, and rejects so far.
    pub async fn counters(&self) -> anyhow::Result<Counters> {
        Ok(Counters::from_metrics(&self.metrics().await?))
    }

    /// Stops the server (SIGTERM, then kill after 10 s).
    pub async fn stop(mut self) {
        if let Some(mut perf) = self.perf.take() {
            // SIGINT makes perf write its file and exit
            let _ = std::process::Command::new("kill")
                .arg("-INT")
                .arg(perf.id().map(|p| p.to_string()).unwrap_or_default())
                .status();
            let _ = tokio::time::timeout(Duration::from_secs(30), perf.wait()).await;
        }
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Counters read from the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    /// Readings accepted by ingest.
    pub accepted: u64,
    /// History rows written.
    pub stored: u64,
    /// Messages rejected.
    pub rejects: u64,
    /// Successful MQTT logins.
    pub auth_ok: u64,
}

impl Counters {
    /// From the `metrics` object of `/status`.
    pub fn from_metrics(m: &Value) -> Counters {
        let n = |k: &str| m[k].as_u64().unwrap_or(0);
        let rejects = m["rejects"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r[1].as_u64()).sum())
            .unwrap_or(0);
        Counters {
            accepted: n("ingested_mqtt") + n("ingested_http"),
            stored: n("history_rows"),
            rejects,
            auth_ok: n("auth_successes"),
        }
    }
}

/// The child: runs the server from `config` and prints `READY <http> <mqtt>` once listening.
pub async fn serve_child(config: &Path) -> anyhow::Result<()> {
    let settings = settings::Settings::load(Some(config))?;
    settings.validate()?;
    smart_outlet::telemetry::init(&settings.log.filter);
    let app = Application::build(settings).await?;
    println!("READY {} {}", app.http_addr(), app.mqtt_addr());
    app.run_until_stopped().await
}
