//! A standalone Mosquitto broker on a free port, for the external-broker scenario.

use anyhow::Context;
use std::path::Path;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running Mosquitto.
pub struct Mosquitto {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Mosquitto {
    /// Starts `binary` with a config in `dir` (anonymous clients, no persistence).
    pub async fn start(binary: &str, dir: &Path) -> anyhow::Result<Mosquitto> {
        let port = broker::free_local_addr()?.port();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 100\nlog_dest none\n"
            ),
        )?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {binary} (apt-get install mosquitto)"))?;
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
        Ok(Mosquitto { child, port })
    }

    /// Stops it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
