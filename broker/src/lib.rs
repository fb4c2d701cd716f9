//! The embedded MQTT broker: rumqttd built from our settings, on our tokio runtime.
//!
//! # Layout
//! - [`start`] builds the router (its own OS thread) and the listeners (tokio tasks), after
//!   checking that each port is free so a taken port fails start-up with a clear message,
//!   and a supervisor that records in [`stats::Health`] if any of them stops.
//! - [`Authenticator`]: the hook every CONNECT with credentials goes through; the backend
//!   implements it against the CCU table and answers with a [`acl::Principal`].
//! - [`acl`]: the topic rules as data; [`rights`](crate::rights) applies them to one
//!   connection (the vendored rumqttd asks for every PUBLISH, SUBSCRIBE and will).
//! - [`sessions`]: live sessions per login, so that revoking a login closes them.
//! - [`stats`]: refusals and health, read by `/metrics`, `/healthz` and `/readyz`.
//! - [`config`]: settings → `rumqttd` structs.
//! - [`limits`](crate::limits): admission of every accepted socket (per-IP count, connection
//!   rates, the CONNECT deadline) and the TLS listener's handshake ([`tls`]); the router's
//!   retained and QoS 2 limits are rumqttd patches configured in `config`. Every refusal is
//!   counted in [`stats::Stats`].
//!
//! See `docs/mqtt.md` ("Who may do what") for the table and what is enforced where.

pub mod acl;
mod config;
mod error;
mod limits;
mod rights;
pub mod sessions;
pub mod stats;
mod supervise;
pub mod tls;

pub use config::BACKEND_CLIENT_PREFIX;

pub use error::Error;
pub use rumqttd::intake::Intake;

use settings::MqttSettings;
use stats::Stats;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use tokio::task::{AbortHandle, JoinHandle};

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A client admitted by the [`Authenticator`].
pub struct Admitted {
    /// Who it is: decides its topic rights.
    pub principal: acl::Principal,
    /// Completes when its credentials are revoked; the broker then closes the connection.
    pub revoked: Option<BoxFuture<()>>,
}

/// Decides whether a CONNECT with credentials (client id, username, password) is admitted,
/// and as whom.
pub trait Authenticator: Send + Sync + 'static {
    /// `Some` admits the client; `None` drops the socket (rumqttd sends no CONNACK).
    fn authenticate(
        &self,
        client_id: String,
        username: String,
        password: String,
    ) -> BoxFuture<Option<Admitted>>;
}

/// An in-process client of the router: no TCP, QoS 0 only, no retained messages; the
/// receiver must answer `Notification::Unschedule` with `wake()`.
pub type LocalLink = (
    rumqttd::local::LinkTx,
    rumqttd::local::LinkRx,
    rumqttd::Notification,
);

type LinkFactory = Arc<dyn Fn(&str) -> Result<LocalLink> + Send + Sync>;

/// A running embedded broker. Dropping it does not stop it; call [`Broker::shutdown`].
pub struct Broker {
    addr: SocketAddr,
    v5_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    listeners: Vec<AbortHandle>,
    link: LinkFactory,
    stats: Arc<Stats>,
    stopping: Arc<AtomicBool>,
    _supervisor: JoinHandle<()>,
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

    /// The MQTT-over-TLS listen address, if a certificate is configured.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// Its counters and health.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Opens an in-process link to the router (blocks until the router answers; call it
    /// from a blocking context). Used by the link benchmark; the backend uses MQTT over
    /// loopback instead (see ARCHITECTURE.md).
    pub fn local_link(&self, client_id: &str) -> Result<LocalLink> {
        (self.link)(client_id)
    }

    /// Stops accepting connections (open connections end with the runtime).
    pub fn shutdown(&self) {
        self.stopping.store(true, Relaxed);
        for l in &self.listeners {
            l.abort();
        }
    }
}

/// Starts rumqttd: the router on its own thread, one tokio task per listener, and their
/// supervisor. Returns once every listener accepts connections.
///
/// Clients with credentials go to `auth`; clients without are admitted only with
/// `mqtt.allow_anonymous` (as [`acl::Role::Anonymous`], with the `[mqtt.anonymous]` rules).
/// Refusals and the broker's health are recorded in `stats`.
pub async fn start(
    settings: &MqttSettings,
    auth: Option<Arc<dyn Authenticator>>,
    stats: Arc<Stats>,
) -> Result<Broker> {
    start_with_intake(settings, auth, stats, None).await
}

/// [`start`], with an [`Intake`] that takes every authorized publish (and will) before the
/// router acknowledges or routes it, and commits before acknowledgements are sent.
pub async fn start_with_intake(
    settings: &MqttSettings,
    auth: Option<Arc<dyn Authenticator>>,
    stats: Arc<Stats>,
    intake: Option<Arc<dyn Intake>>,
) -> Result<Broker> {
    check_free(settings.addr, "mqtt.addr")?;
    if let Some(v5) = settings.v5_addr {
        check_free(v5, "mqtt.v5_addr")?;
    }
    let tls_addr = settings.tls.enabled().then_some(settings.tls_addr);
    let tls = match tls_addr {
        Some(a) => {
            check_free(a, "mqtt.tls_addr")?;
            Some(tls::acceptor(
                &settings.tls.cert_file,
                &settings.tls.key_file,
            )?)
        }
        None => None,
    };
    let gate = limits::Shared::new(settings, stats.clone());
    let mut router_config = config::router(settings);
    router_config.intake = intake.map(rumqttd::intake::IntakeRef);
    let router_tx = rumqttd::Router::new(0, router_config)
        .with_limits(config::router_limits(settings, stats.clone()))
        .spawn();

    let link_tx = router_tx.clone();
    let link: LinkFactory = Arc::new(move |id: &str| {
        rumqttd::local::LinkBuilder::new(id, link_tx.clone())
            .clean_session(true)
            .build()
            .map_err(|e| Error::Link(e.to_string()))
    });
    let acl = config::acl(settings);
    let mut listeners: Vec<(&'static str, JoinHandle<()>)> = Vec::new();
    let mut listen = |name: &'static str, mut server: rumqttd::Server<_>| {
        listeners.push((
            name,
            tokio::spawn(async move {
                if let Err(e) = server.start(rumqttd::LinkType::Remote).await {
                    tracing::error!(cause = %e, name, "MQTT listener stopped");
                }
            }),
        ));
    };
    let v4 = config::server("v4", settings.addr, settings, &acl, auth.clone(), &stats);
    let mut server = rumqttd::Server::new(v4, router_tx.clone(), rumqttd::protocol::v4::V4);
    server.set_admission(limits::Gate::plain(&gate));
    listen("mqtt listener", server);
    if let (Some(tls_addr), Some(tls)) = (tls_addr, tls) {
        let v4s = config::server("v4-tls", tls_addr, settings, &acl, auth.clone(), &stats);
        let mut server = rumqttd::Server::new(v4s, router_tx.clone(), rumqttd::protocol::v4::V4);
        server.set_admission(limits::Gate::tls(&gate, tls));
        listen("mqtt tls listener", server);
    }
    let mut v5_listeners: Vec<(&'static str, JoinHandle<()>)> = Vec::new();
    if let Some(v5_addr) = settings.v5_addr {
        let v5 = config::server("v5", v5_addr, settings, &acl, auth, &stats);
        let mut server = rumqttd::Server::new(v5, router_tx.clone(), rumqttd::protocol::v5::V5);
        server.set_admission(limits::Gate::plain(&gate));
        v5_listeners.push((
            "mqtt v5 listener",
            tokio::spawn(async move {
                if let Err(e) = server.start(rumqttd::LinkType::Remote).await {
                    tracing::error!(cause = %e, "MQTT 5 listener stopped");
                }
            }),
        ));
    }
    listeners.extend(v5_listeners);
    wait_listening(settings.addr, "mqtt.addr").await?;
    if let Some(v5) = settings.v5_addr {
        wait_listening(v5, "mqtt.v5_addr").await?;
    }
    if let Some(a) = tls_addr {
        wait_listening(a, "mqtt.tls_addr").await?;
    }
    let stopping = Arc::new(AtomicBool::new(false));
    let aborts = listeners.iter().map(|(_, l)| l.abort_handle()).collect();
    let probe_link = link.clone();
    let supervisor = supervise::spawn(
        Box::new(move || router_tx.is_disconnected()),
        listeners,
        Arc::new(move || probe_link("smart-outlet-probe").is_ok()),
        supervise::PROBE_EVERY,
        stats.clone(),
        stopping.clone(),
    );
    tracing::info!(addr = %settings.addr, v5 = ?settings.v5_addr, tls = ?tls_addr, "embedded MQTT broker started");
    Ok(Broker {
        addr: settings.addr,
        v5_addr: settings.v5_addr,
        tls_addr,
        listeners: aborts,
        link,
        stats,
        stopping,
        _supervisor: supervisor,
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
