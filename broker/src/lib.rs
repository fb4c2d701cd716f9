//! The embedded MQTT broker: rumqttd built from our settings, on our tokio runtime.
//!
//! # Layout
//! - [`start`] builds the router (its own OS thread) and the listeners (tokio tasks), after
//!   checking that each port is free so a taken port fails start-up with a clear message.
//! - [`Authenticator`]: the hook every CONNECT goes through; the backend implements it
//!   against the CCU table. Without it (`mqtt.allow_anonymous`) anyone may connect.
//! - [`config`]: settings → `rumqttd` structs.
//!
//! rumqttd has no topic ACL: what a client may publish or subscribe to is not checked here.
//! See `ARCHITECTURE.md` ("Who may do what on the broker") for what is enforced where.

pub mod acl;
mod config;
mod error;
pub mod stats;

pub use error::Error;

use settings::MqttSettings;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Decides whether a CONNECT (client id, username, password) is admitted.
pub trait Authenticator: Send + Sync + 'static {
    /// True admits the client; false drops the socket (rumqttd sends no CONNACK).
    fn authenticate(
        &self,
        client_id: String,
        username: String,
        password: String,
    ) -> BoxFuture<bool>;
}

/// An in-process client of the router: no TCP, QoS 0 only, no retained messages; the
/// receiver must answer `Notification::Unschedule` with `wake()`.
pub type LocalLink = (
    rumqttd::local::LinkTx,
    rumqttd::local::LinkRx,
    rumqttd::Notification,
);

type LinkFactory = Box<dyn Fn(&str) -> Result<LocalLink> + Send + Sync>;

/// A running embedded broker. Dropping it does not stop it; call [`Broker::shutdown`].
pub struct Broker {
    addr: SocketAddr,
    v5_addr: Option<SocketAddr>,
    listeners: Vec<JoinHandle<()>>,
    link: LinkFactory,
}

impl Broker {
    /// The MQTT 3.1.1 listen address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The MQTT 5 listen address, if configured.
    pub fn v5_addr(&self) -> Option<SocketAddr> {
        self.v5_addr
    }

    /// Opens an in-process link to the router (blocks until the router answers; call it
    /// from a blocking context). Used by the link benchmark; the backend uses MQTT over
    /// loopback instead (see ARCHITECTURE.md).
    pub fn local_link(&self, client_id: &str) -> Result<LocalLink> {
        (self.link)(client_id)
    }

    /// Stops accepting connections (open connections end with the runtime).
    pub fn shutdown(&self) {
        for l in &self.listeners {
            l.abort();
        }
    }
}

/// Starts rumqttd: the router on its own thread, one tokio task per listener. Returns once
/// every listener accepts connections.
///
/// `auth` is `None` only with `mqtt.allow_anonymous = true`.
pub async fn start(
    settings: &MqttSettings,
    auth: Option<Arc<dyn Authenticator>>,
) -> Result<Broker> {
    check_free(settings.addr, "mqtt.addr")?;
    if let Some(v5) = settings.v5_addr {
        check_free(v5, "mqtt.v5_addr")?;
    }
    let router_tx = rumqttd::Router::new(0, config::router(settings)).spawn();

    let link_tx = router_tx.clone();
    let link: LinkFactory = Box::new(move |id: &str| {
        rumqttd::local::LinkBuilder::new(id, link_tx.clone())
            .clean_session(true)
            .build()
            .map_err(|e| Error::Link(e.to_string()))
    });
    let mut listeners = Vec::new();
    let v4 = config::server("v4", settings.addr, settings, auth.clone());
    let mut server = rumqttd::Server::new(v4, router_tx.clone(), rumqttd::protocol::v4::V4);
    listeners.push(tokio::spawn(async move {
        if let Err(e) = server.start(rumqttd::LinkType::Remote).await {
            tracing::error!(cause = %e, "MQTT 3.1.1 listener stopped");
        }
    }));
    if let Some(v5_addr) = settings.v5_addr {
        let v5 = config::server("v5", v5_addr, settings, auth);
        let mut server = rumqttd::Server::new(v5, router_tx, rumqttd::protocol::v5::V5);
        listeners.push(tokio::spawn(async move {
            if let Err(e) = server.start(rumqttd::LinkType::Remote).await {
                tracing::error!(cause = %e, "MQTT 5 listener stopped");
            }
        }));
    }
    wait_listening(settings.addr, "mqtt.addr").await?;
    if let Some(v5) = settings.v5_addr {
        wait_listening(v5, "mqtt.v5_addr").await?;
    }
    tracing::info!(addr = %settings.addr, v5 = ?settings.v5_addr, "embedded MQTT broker started");
    Ok(Broker {
        addr: settings.addr,
        v5_addr: settings.v5_addr,
        listeners,
        link,
    })
}

/// rumqttd binds inside its accept loop and cannot report a failure to us in time, so the
/// port is tried first.
fn check_free(addr: SocketAddr, key: &'static str) -> Result<()> {
    std::net::TcpListener::bind(addr)
        .map(drop)
        .map_err(|source| Error::PortTaken { addr, key, source })
}

/// rumqttd binds inside its spawned accept loop: wait until a TCP connect succeeds (the
/// probe connection never sends CONNECT; rumqttd drops it after `connection_timeout`).
async fn wait_listening(addr: SocketAddr, key: &'static str) -> Result<()> {
    let probe = if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let mut last = None;
    for _ in 0..500 {
        match tokio::net::TcpStream::connect(probe).await {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err(Error::PortTaken {
        addr,
        key,
        source: last.unwrap_or_else(|| std::io::Error::other("listener did not start")),
    })
}

/// Reserves a free loopback port (for tests and benchmarks: rumqttd cannot bind port 0 and
/// report it back).
pub fn free_local_addr() -> std::io::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    l.local_addr()
}
