//! A TCP proxy in front of the server that can drop every connection and refuse new ones for
//! a while: a network outage as the browser sees it.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// A connection refused while cut: when it was accepted and its request line.
#[derive(Clone, Debug)]
pub struct Refused {
    /// When the proxy accepted it.
    pub at: Instant,
    /// The first line the client sent (`GET /ws HTTP/1.1`), empty if none within 2 s.
    pub request: String,
}

/// A running proxy; dropping it stops it.
pub struct Proxy {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    requests: Arc<Mutex<Vec<Refused>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Forwards a new local port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the proxy")?;
        let addr = listener.local_addr()?;
        let (up, up_rx) = watch::channel(true);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*up_rx.borrow() {
                    let at = Instant::now();
                    let log = log.clone();
                    // Read what the client asks for, then drop it unanswered.
                    tokio::spawn(async move {
                        let mut buf = [0u8; 512];
                        let n = tokio::time::timeout(Duration::from_secs(2), client.read(&mut buf))
                            .await
                            .map_or(0, |r| r.unwrap_or(0));
                        let text = String::from_utf8_lossy(&buf[..n]);
                        let request = text.lines().next().unwrap_or("").to_string();
                        log.lock().unwrap().push(Refused { at, request });
                    });
                    continue;
                }
                let mut rx = up_rx.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = rx.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Ok(Proxy {
            addr,
            up,
            requests,
            task,
        })
    }

    /// The address browsers use.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }

    /// The connections refused while cut (once their request was read), in accept order.
    pub fn refused_requests(&self) -> Vec<Refused> {
        let mut all = self.requests.lock().unwrap().clone();
        all.sort_by_key(|r| r.at);
        all
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
