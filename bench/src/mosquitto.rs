//! A standalone Mosquitto broker on a free port, for the external-broker scenarios.

use anyhow::Context;
use std::path::Path;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running Mosquitto.
pub struct Mosquitto {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its process id (for its CPU time).
    pub pid: u32,
}

impl Mosquitto {
    /// Starts `binary` with a config in `dir` (anonymous clients, no persistence, unbounded
    /// queues, 100 QoS 1 messages in flight to each client).
    pub async fn start(binary: &str, dir: &Path) -> anyhow::Result<Mosquitto> {
        Mosquitto::start_with(binary, dir, 100, false).await
    }

    /// [`Mosquitto::start`] with `inflight` QoS 1 messages in flight to each client (0 = no
    /// limit) and, when `nodelay`, `set_tcp_nodelay true` (`deploy/mosquitto/mosquitto.conf`
    /// has 10 000 and nodelay: a server with a persistent session acknowledges a publish only
    /// once it is stored).
    pub async fn start_with(
        binary: &str,
        dir: &Path,
        inflight: u32,
        nodelay: bool,
    ) -> anyhow::Result<Mosquitto> {
        let port = broker::free_local_addr()?.port();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages {inflight}\n\
                 set_tcp_nodelay {nodelay}\nlog_dest none\n"
            ),
        )?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {binary} (apt-get install mosquitto)"))?;
        let pid = child.id().context("mosquitto pid")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "mosquitto did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Mosquitto { child, port, pid })
    }

    /// Stops it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
