//! Building and running the whole server: store, embedded broker, backend, ingest, HTTP.

use anyhow::Context;
use backend::bus::{Bus, BusSettings};
use backend::{Backend, Store};
use settings::{MqttMode, Settings};
use std::net::SocketAddr;
use std::sync::Arc;

/// Username of the backend's own MQTT client.
pub const BACKEND_USER: &str = "smart-outlet-backend";

/// A built, running server.
pub struct Application {
    backend: Backend,
    broker: Option<broker::Broker>,
    http: web::HttpServer,
    mqtt_addr: SocketAddr,
}

impl Application {
    /// Opens the store (migrating it), starts the broker (embedded mode), the backend with
    /// its MQTT client and the HTTP server. Returns once everything listens.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let url = settings.database_url();
        let store = Store::open(&url, settings.database.max_connections)
            .await
            .with_context(|| format!("opening the database (database.url = {})", mask_url(&url)))?;

        let embedded = settings.mqtt.mode == MqttMode::Embedded;
        let bus_settings = bus_settings(&settings);
        if embedded {
            // Nobody is connected to a broker that is about to start.
            store.set_all_ccus_offline().await?;
        }
        let (bus, eventloop) = Bus::new(&bus_settings);
        let backend = Backend::start(
            settings.clone(),
            store,
            bus.clone(),
            (bus_settings.username.clone(), bus_settings.password.clone()),
        )
        .await
        .context("starting the backend")?;

        let broker = if embedded {
            if settings.mqtt.allow_anonymous {
                tracing::warn!(
                    "mqtt.allow_anonymous = true: clients without credentials may connect with the [mqtt.anonymous] rules (development only)"
                );
            }
            let auth: Arc<dyn broker::Authenticator> =
                Arc::new(backend::auth::MqttAuth::new(backend.clone()));
            let stats = backend.metrics().broker.clone();
            Some(
                broker::start_with_intake(&settings.mqtt, Some(auth), stats, backend.intake())
                    .await?,
            )
        } else {
            None
        };
        let mqtt_addr = match &broker {
            Some(b) => b.addr(),
            None => tokio::net::lookup_host((bus_settings.host.as_str(), bus_settings.port))
                .await?
                .next()
                .context("resolving mqtt.external.host")?,
        };

        backend.start_intake(eventloop, &bus_settings);

        let http = web::HttpServer::bind(settings.http.addr, backend.clone())
            .await
            .with_context(|| {
                format!(
                    "cannot listen for HTTP on {}; choose another port with the `http.addr` setting (env SMART_OUTLET_HTTP__ADDR) or --http-addr",
                    settings.http.addr
                )
            })?;
        tracing::info!(http = %http.local_addr(), mqtt = %mqtt_addr, "smart-outlet is running");
        Ok(Application {
            backend,
            broker,
            http,
            mqtt_addr,
        })
    }

    /// The HTTP address actually bound.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr()
    }

    /// The MQTT address devices connect to.
    pub fn mqtt_addr(&self) -> SocketAddr {
        self.mqtt_addr
    }

    /// The embedded broker's counters (refusals by every limit), if the broker is embedded.
    pub fn broker_stats(&self) -> Option<Arc<broker::stats::Stats>> {
        self.broker.as_ref().map(|b| b.stats().clone())
    }

    /// The backend services.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Serves until Ctrl-C / SIGTERM, or until the embedded broker fails: then the error
    /// ends the process non-zero so that systemd or an orchestrator restarts it.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            backend,
            broker,
            http,
            ..
        } = self;
        let health = backend.metrics().broker.clone();
        let failed = async {
            match &broker {
                Some(_) => health.health.wait_failed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown_signal() => {}
            part = failed => {
                http.shutdown().await;
                backend.shutdown(None).await;
                anyhow::bail!("the embedded MQTT broker failed ({part} stopped); exiting so that the service manager restarts smart-outlet");
            }
        }
        tracing::info!("shutting down");
        stop(&backend, broker, http).await;
        Ok(())
    }

    /// Stops as on a signal (tests): see [`stop`].
    pub async fn stop(self) {
        stop(&self.backend, self.broker, self.http).await;
    }
}

/// Stops in an order that loses nothing accepted: HTTP first (open requests finish), then
/// the embedded broker's listeners and every device session (no new publishes), then the
/// backend, which waits until its MQTT client fell quiet, handles what it received, stops
/// its timers and commits its history.
async fn stop(backend: &Backend, broker: Option<broker::Broker>, http: web::HttpServer) {
    http.shutdown().await;
    let quiet = match broker {
        Some(b) => {
            b.shutdown();
            let n = backend.close_device_sessions();
            tracing::info!(sessions = n, "MQTT listeners and device sessions closed");
            Some(SHUTDOWN_QUIET)
        }
        // The external broker keeps what our client has not received (its session).
        None => None,
    };
    backend.shutdown(quiet).await;
}

/// At shutdown, how long the backend's MQTT client must have received nothing before it
/// stops (the embedded broker delivers what it accepted within milliseconds).
const SHUTDOWN_QUIET: std::time::Duration = std::time::Duration::from_millis(200);

fn bus_settings(s: &Settings) -> BusSettings {
    let max_packet_size = s.mqtt.max_payload_size + 4096;
    match s.mqtt.mode {
        MqttMode::Embedded => {
            let host = if s.mqtt.addr.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                s.mqtt.addr.ip().to_string()
            };
            BusSettings {
                host,
                port: s.mqtt.addr.port(),
                username: BACKEND_USER.to_string(),
                password: backend::credentials::generate_secret(),
                client_id: format!("{BACKEND_USER}-{}", std::process::id()),
                shared_group: None,
                subscribe_devices: !s.spool.enabled,
                keep_alive: s.mqtt.keep_alive,
                max_packet_size,
                persistent: false,
            }
        }
        MqttMode::External => {
            let e = &s.mqtt.external;
            BusSettings {
                host: e.host.clone(),
                port: e.port,
                username: e.username.clone(),
                password: e.password.expose().to_string(),
                // a stable id keeps the broker session (and what it has not acknowledged)
                // across restarts; without one, a random suffix and a clean session
                client_id: if e.instance_id.is_empty() {
                    format!(
                        "{}-{}",
                        e.client_id,
                        &backend::credentials::generate_secret()[..8]
                    )
                } else {
                    format!("{}-{}", e.client_id, e.instance_id)
                },
                shared_group: (!e.shared_group.is_empty()).then(|| e.shared_group.clone()),
                subscribe_devices: true,
                keep_alive: s.mqtt.keep_alive,
                max_packet_size,
                persistent: !e.instance_id.is_empty(),
            }
        }
    }
}

/// A database URL with its password hidden.
pub fn mask_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:********{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
