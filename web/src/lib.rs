//! The HTTP layer (poem). Only this crate knows poem.
//!
//! # Layout
//! - [`api`]: the REST API (poem-openapi) at `/api/v1`, Swagger UI at `/docs`.
//! - [`auth`]: session cookie + CSRF, API tokens, login rate limiting.
//! - [`body_limit`]: request body limits on every route (`http.body_limit`, `auth_body_limit`).
//! - [`client_ip`]: the client's address (`X-Forwarded-For` from trusted proxies only).
//! - [`error`]: the one JSON error shape.
//! - [`legacy`]: the old firmware's `/api/` routes, byte-compatible.
//! - [`acceptor`]: the TCP listener (Nagle off).
//! - `emqx`: EMQX's HTTP authn/authz hooks at `/internal/emqx/` (external broker).
//! - `request_span`: a tracing span per request (method, path).
//! - `metrics`: Prometheus metrics at `/metrics` (prometheus-client's text encoder).
//! - `ops`: health, readiness, `/status`, and the `http.metrics_token` guard.
//! - [`ws`]: WebSocket streams (`/ws`, `/ws/sensor/<id>/`, `/ws/breaker/<id>/`).
//! - this file: route assembly, [`HttpServer`].

mod acceptor;
pub mod api;
pub mod auth;
pub mod body_limit;
pub mod client_ip;
mod dashboard;
mod emqx;
pub mod error;
pub mod legacy;
pub mod login_limiter;
mod metrics;
mod ops;
mod request_span;
pub mod ws;

use acceptor::NoDelayAcceptor;
use backend::Backend;
use poem::listener::Acceptor;
use poem::{EndpointExt, Route, Server, get};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A running HTTP server.
pub struct HttpServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpServer {
    /// Binds `addr` (port 0 picks a free port) and serves in a background task.
    pub async fn bind(addr: SocketAddr, backend: Backend) -> std::io::Result<HttpServer> {
        let acceptor = NoDelayAcceptor::bind(addr).await?;
        let local = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .unwrap_or(addr);
        let app = app(backend);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let result = Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async {
                        let _ = rx.await;
                    },
                    Some(std::time::Duration::from_secs(5)),
                )
                .await;
            if let Err(e) = result {
                tracing::error!(cause = %e, "HTTP server stopped");
            }
        });
        Ok(HttpServer {
            addr: local,
            stop: Some(tx),
            task,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits for open requests (at most 5 s).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Every route, with the backend attached and errors rendered as JSON.
pub fn app(backend: Backend) -> impl poem::Endpoint {
    let api = api::service_for(&backend.settings().accounts);
    let docs = api.swagger_ui();
    let spec = api.spec_endpoint();
    let http = &backend.settings().http;
    let mut proxies = http.proxies();
    proxies.extend(
        backend
            .settings()
            .legacy
            .trusted_proxies
            .iter()
            .filter_map(|n| n.parse::<ipnet::IpNet>().ok()),
    );
    let mut route = Route::new();
    if backend.settings().legacy.enabled {
        route = route.nest("/api", legacy::routes(&backend));
    }
    route
        .nest("/api/v1/openapi.json", spec)
        .nest("/api/v1", api)
        .nest("/docs", docs)
        .at("/ws", get(ws::live))
        .at("/ws/sensor/:device_id/", get(ws::sensor))
        .at("/ws/breaker/:ccu_id/", get(ws::breaker))
        .at("/healthz", get(ops::healthz))
        .at("/readyz", get(ops::readyz))
        .at("/metrics", get(metrics::metrics))
        .nest("/internal/emqx", emqx::routes())
        .at("/status", get(ops::status))
        .at("/", get(dashboard::index))
        .at("/assets/:file", get(dashboard::asset))
        .with(body_limit::BodyLimit::new(backend.clone()))
        .with(client_ip::ClientIpLayer::new(proxies))
        .with(poem::middleware::CookieJarManager::new())
        .with(poem::middleware::CatchPanic::new())
        .with(request_span::RequestSpan)
        .catch_all_error(error::to_json)
        .data(backend)
}
