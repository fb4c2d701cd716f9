//! Operations endpoints: liveness, readiness, the `/status` summary, and the
//! `http.metrics_token` guard of `/status` and `/metrics`.

use crate::{auth, client_ip};
use backend::Backend;
use backend::spool::SpoolStats;
use poem::web::{Data, Json};
use poem::{IntoResponse, handler};

/// Liveness: fails once the embedded broker's router or a listener has stopped.
#[handler]
pub(crate) fn healthz(backend: Data<&Backend>) -> poem::Response {
    match backend.metrics().broker.health.failed() {
        None => "ok".into_response(),
        Some(part) => unavailable(format!("failed: embedded MQTT broker ({part} stopped)")),
    }
}

/// Readiness: `ready`; `degraded: …` (200) while the database is down or failing but the
/// spool takes device publishes (nothing is lost, history is behind); `not ready: …` (503)
/// when the broker stopped, the spool cannot be written (device publishes are refused), or
/// the database is down without a spool to hold publishes.
#[handler]
pub(crate) async fn readyz(backend: Data<&Backend>) -> poem::Response {
    if let Some(part) = backend.metrics().broker.health.failed() {
        return unavailable(format!("not ready: embedded MQTT broker ({part} stopped)"));
    }
    let failing = backend
        .metrics()
        .history_failing
        .load(std::sync::atomic::Ordering::Relaxed);
    let database = backend.database_ready().await;
    if let Err(e) = &database {
        tracing::warn!(cause = %e, "readiness check: database unavailable");
    }
    match readiness(backend.spool_stats(), database.is_err() || failing) {
        Ok(body) => body.into_response(),
        Err(body) => unavailable(body),
    }
}

/// The answer from the spool's state and whether the database is down or failing: the
/// body of a 200, or of a 503.
fn readiness(spool: Option<SpoolStats>, database_down: bool) -> Result<String, String> {
    match (spool, database_down) {
        (Some(s), _) if s.unwritable => Err(
            "not ready: the spool cannot be written (disk full or failing); device publishes are refused"
                .into(),
        ),
        (_, false) => Ok("ready".into()),
        (Some(s), true) => Ok(format!(
            "degraded: database unavailable; spooling device publishes ({} waiting, {} bytes)",
            s.backlog, s.bytes
        )),
        (None, true) => Err("not ready: database".into()),
    }
}

fn unavailable(body: String) -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// `None` when the request may read operations data (`http.metrics_token` unset or sent as
/// a bearer token), else the 401 to answer.
pub(crate) fn ops_refusal(backend: &Backend, req: &poem::Request) -> Option<poem::Response> {
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

/// `/status`: name, version, device counts and every counter, as JSON.
#[handler]
pub(crate) fn status(backend: Data<&Backend>, req: &poem::Request) -> poem::Response {
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
        "spool": backend.spool_stats().map(|s| serde_json::json!({
            "backlog": s.backlog,
            "bytes": s.bytes,
            "segments": s.segments,
            "released": s.released,
            "refused": s.refused,
            "dropped_bytes": s.dropped_bytes,
        })),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritable_spool_is_not_ready_whatever_the_database() {
        let ok = SpoolStats::default();
        let broken = SpoolStats {
            unwritable: true,
            ..ok
        };
        assert_eq!(readiness(Some(ok), false), Ok("ready".into()));
        assert!(readiness(Some(ok), true).unwrap().starts_with("degraded"));
        assert_eq!(readiness(None, true), Err("not ready: database".into()));
        for db_down in [false, true] {
            let e = readiness(Some(broken), db_down).unwrap_err();
            assert!(e.contains("spool cannot be written"), "{e}");
        }
    }
}
