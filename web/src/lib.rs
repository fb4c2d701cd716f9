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
//! - [`ws`]: WebSocket streams (`/ws`, `/ws/sensor/<id>/`, `/ws/breaker/<id>/`).
//! - this file: health, readiness, Prometheus metrics, route assembly, [`HttpServer`].

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
mod request_span;
pub mod ws;

use acceptor::NoDelayAcceptor;
use backend::Backend;
use poem::listener::Acceptor;
use poem::web::{Data, Json};
use poem::{EndpointExt, IntoResponse, Route, Server, get, handler};
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
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
        .nest("/internal/emqx", emqx::routes())
        .at("/status", get(index))
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

/// Liveness: fails once the embedded broker's router or a listener has stopped.
#[handler]
fn healthz(backend: Data<&Backend>) -> poem::Response {
    match backend.metrics().broker.health.failed() {
        None => "ok".into_response(),
        Some(part) => unavailable(format!("failed: embedded MQTT broker ({part} stopped)")),
    }
}

/// Readiness: the broker runs and the database answers. Names the failing part only.
#[handler]
async fn readyz(backend: Data<&Backend>) -> poem::Response {
    if let Some(part) = backend.metrics().broker.health.failed() {
        return unavailable(format!("not ready: embedded MQTT broker ({part} stopped)"));
    }
    if let Err(e) = backend.database_ready().await {
        tracing::warn!(cause = %e, "readiness check: database unavailable");
        return unavailable("not ready: database".to_string());
    }
    "ready".into_response()
}

fn unavailable(body: String) -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// `None` when the request may read operations data (`http.metrics_token` unset or sent as
/// a bearer token), else the 401 to answer.
fn ops_refusal(backend: &Backend, req: &poem::Request) -> Option<poem::Response> {
    let token = backend.settings().http.metrics_token.expose();
    if token.is_empty() {
        return None;
    }
    let sent = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if auth::constant_time_eq(sent.as_bytes(), token.as_bytes()) {
        return None;
    }
    backend
        .metrics()
        .ops_refused
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::warn!(client = %client_ip::ClientIp::of(req).label(), path = %req.uri().path(), "operations endpoint refused: missing or wrong metrics token");
    Some(
        poem::Response::builder()
            .status(poem::http::StatusCode::UNAUTHORIZED)
            .header(poem::http::header::WWW_AUTHENTICATE, "Bearer")
            .content_type("application/json")
            .body(r#"{"code":"unauthorized","message":"this endpoint needs Authorization: Bearer <http.metrics_token>"}"#),
    )
}

#[handler]
fn index(backend: Data<&Backend>, req: &poem::Request) -> poem::Response {
    if let Some(refused) = ops_refusal(&backend, req) {
        return refused;
    }
    let m = backend.metrics().snapshot();
    Json(serde_json::json!({
        "name": "smart-outlet",
        "version": env!("CARGO_PKG_VERSION"),
        "ccus": backend.registry().ccus().len(),
        "outlets": backend.registry().outlets().len(),
        "metrics": m,
    }))
    .into_response()
}

/// Prometheus text exposition of the backend's counters.
#[handler]
fn metrics(backend: Data<&Backend>, req: &poem::Request) -> poem::Response {
    use std::fmt::Write;
    if let Some(refused) = ops_refusal(&backend, req) {
        return refused;
    }
    let m = backend.metrics().snapshot();
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    counter(
        "smart_outlet_readings_ingested_total",
        "Readings accepted, by transport.",
        &[
            ("{transport=\"mqtt\"}", m.ingested_mqtt),
            ("{transport=\"http\"}", m.ingested_http),
        ],
    );
    let rejects: Vec<(String, u64)> = m
        .rejects
        .iter()
        .map(|(r, v)| (format!("{{reason=\"{}\"}}", r.as_str()), *v))
        .collect();
    let rejects: Vec<(&str, u64)> = rejects.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    counter(
        "smart_outlet_rejects_total",
        "Device messages rejected, by reason.",
        &rejects,
    );
    let legacy: Vec<(String, u64)> = backend::legacy::Refusal::ALL
        .iter()
        .map(|r| {
            (
                format!("{{reason=\"{}\"}}", r.as_str()),
                backend.metrics().legacy_refusals(*r),
            )
        })
        .collect();
    let legacy: Vec<(&str, u64)> = legacy.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    counter(
        "smart_outlet_legacy_refused_total",
        "Legacy (old firmware) requests refused, by reason: unbound or ambiguous caller address, unknown outlet or CCU, wrong address, no learning window.",
        &legacy,
    );
    counter(
        "smart_outlet_history_batches_total",
        "History write transactions.",
        &[("", m.history_batches)],
    );
    counter(
        "smart_outlet_history_rows_total",
        "History rows written.",
        &[("", m.history_rows)],
    );
    counter(
        "smart_outlet_history_errors_total",
        "Failed history transactions (retried).",
        &[("", m.history_errors)],
    );
    counter(
        "smart_outlet_commands_sent_total",
        "Commands published to CCUs.",
        &[("", m.commands_sent)],
    );
    counter(
        "smart_outlet_broker_provisioning_failures_total",
        "External broker provisioning operations that failed (mosquitto-dynsec).",
        &[("", backend.provisioning_failures())],
    );
    counter(
        "smart_outlet_http_ops_refused_total",
        "Requests to /metrics or /status refused for a missing or wrong http.metrics_token.",
        &[(
            "",
            backend
                .metrics()
                .ops_refused
                .load(std::sync::atomic::Ordering::Relaxed),
        )],
    );
    counter(
        "smart_outlet_http_body_too_large_total",
        "HTTP requests refused with 413: body over http.body_limit (http.auth_body_limit on /api/v1/auth/*).",
        &[(
            "",
            backend
                .metrics()
                .http_body_too_large
                .load(std::sync::atomic::Ordering::Relaxed),
        )],
    );
    counter(
        "smart_outlet_alerts_raised_total",
        "Alerts raised.",
        &[("", m.alerts_raised)],
    );
    counter(
        "smart_outlet_mqtt_logins_total",
        "MQTT logins checked by the auth hook, by result.",
        &[
            ("{result=\"ok\"}", m.auth_successes),
            ("{result=\"refused\"}", m.auth_failures),
        ],
    );
    for (name, help, samples) in backend.metrics().broker.samples() {
        let samples: Vec<(String, u64)> = samples
            .into_iter()
            .map(|(labels, v)| {
                let labels = if labels.is_empty() {
                    labels
                } else {
                    format!("{{{labels}}}")
                };
                (labels, v)
            })
            .collect();
        let samples: Vec<(&str, u64)> = samples.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        counter(&format!("smart_outlet_{name}"), help, &samples);
    }
    let _ = writeln!(
        out,
        "# HELP smart_outlet_websocket_clients Open WebSocket connections.\n# TYPE smart_outlet_websocket_clients gauge"
    );
    let _ = writeln!(
        out,
        "smart_outlet_websocket_clients {}",
        backend
            .metrics()
            .ws_clients
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP smart_outlet_websocket_skipped_total Messages skipped for slow WebSocket clients.\n# TYPE smart_outlet_websocket_skipped_total counter"
    );
    let _ = writeln!(
        out,
        "smart_outlet_websocket_skipped_total {}",
        backend
            .metrics()
            .ws_skipped
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    let m = backend.metrics();
    let _ = writeln!(
        out,
        "# HELP smart_outlet_command_latency_ms Time from a command's creation to its positive ack.\n# TYPE smart_outlet_command_latency_ms histogram"
    );
    let mut cumulative = 0;
    for (i, bound) in backend::metrics::LATENCY_BUCKETS_MS.iter().enumerate() {
        cumulative += m.command_latency[i].load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(
            out,
            "smart_outlet_command_latency_ms_bucket{{le=\"{bound}\"}} {cumulative}"
        );
    }
    cumulative += m.command_latency[backend::metrics::LATENCY_BUCKETS_MS.len()]
        .load(std::sync::atomic::Ordering::Relaxed);
    let _ = writeln!(
        out,
        "smart_outlet_command_latency_ms_bucket{{le=\"+Inf\"}} {cumulative}"
    );
    let _ = writeln!(
        out,
        "smart_outlet_command_latency_ms_sum {}",
        m.command_latency_sum_ms
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    let _ = writeln!(out, "smart_outlet_command_latency_ms_count {cumulative}");
    let p = backend.passwords();
    let _ = writeln!(
        out,
        "# HELP smart_outlet_password_checks_total Argon2 checks of people's passwords (login, change password, delete account).\n# TYPE smart_outlet_password_checks_total counter\nsmart_outlet_password_checks_total {}",
        p.checks()
    );
    let _ = writeln!(
        out,
        "# HELP smart_outlet_login_limited_total Password attempts refused by the login limiter before any hash.\n# TYPE smart_outlet_login_limited_total counter\nsmart_outlet_login_limited_total {}",
        m.login_limited.load(std::sync::atomic::Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP smart_outlet_password_hashes_pending People's password hashes waiting or running (their own budget, apart from CCU logins).\n# TYPE smart_outlet_password_hashes_pending gauge\nsmart_outlet_password_hashes_pending {}",
        p.pending()
    );
    let _ = writeln!(
        out,
        "# HELP smart_outlet_password_hashes_refused_total People's password hashes refused because accounts.password_hash_queue was full.\n# TYPE smart_outlet_password_hashes_refused_total counter\nsmart_outlet_password_hashes_refused_total {}",
        p.refused()
    );
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
