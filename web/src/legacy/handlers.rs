//! The legacy route handlers, in the old app's validation order and wording.

use super::body::{self, py_int, py_str, truthy};
use super::{ClientIp, LegacyState, json};
use backend::Backend;
use backend::domain::{DeviceId, Socket};
use backend::metrics::Transport as Via;
use ccu_core::protocol::{BreakerReading, SensorReading};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Response, handler};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// `{"success": false, "message": …}`.
#[derive(Serialize)]
pub struct Failure {
    success: bool,
    message: String,
}

impl Failure {
    /// A failure body.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            success: false,
            message: message.into(),
        }
    }
}

fn fail(status: StatusCode, message: impl Into<String>) -> Response {
    json(status, &Failure::new(message))
}

#[derive(Serialize)]
struct DataOk {
    success: bool,
    message: &'static str,
    relay_a: bool,
    relay_b: bool,
}

#[derive(Serialize)]
struct MessageOk {
    success: bool,
    message: &'static str,
}

#[derive(Serialize)]
struct Devices {
    success: bool,
    devices: Vec<String>,
}

#[derive(Serialize)]
struct LegacyCommand {
    command: &'static str,
    socket: &'static str,
    value: Option<i64>,
}

#[derive(Serialize)]
struct Commands {
    success: bool,
    commands: Vec<LegacyCommand>,
}

#[derive(Serialize)]
struct Focus {
    success: bool,
    device_id: Option<String>,
}

#[derive(Serialize)]
struct OutletStatus {
    success: bool,
    device_id: String,
    name: String,
    relay_a: bool,
    relay_b: bool,
    threshold: i64,
}

/// The body as a JSON object with `keys` present, or the old app's 400 message.
async fn parse(body: Body, keys: &[&str]) -> Result<serde_json::Map<String, Value>, String> {
    let bytes = body
        .into_vec()
        .await
        .map_err(|_| body::INVALID_JSON.to_string())?;
    body::parse(&bytes, keys)
}

/// `POST /api/data/`: one outlet reading from the old firmware.
#[handler]
pub async fn data(backend: Data<&Backend>, body: Body) -> Response {
    let m = match parse(body, &["device_id", "current_a", "current_b"]).await {
        Ok(m) => m,
        Err(e) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let raw_id = py_str(&m["device_id"]);
    let Some((ccu, outlet)) = DeviceId::parse(&raw_id).and_then(|d| backend.http_outlet(d)) else {
        return fail(
            StatusCode::NOT_FOUND,
            format!("Outlet with device_id {raw_id} not found"),
        );
    };
    let (a, b) = match (py_int(&m["current_a"]), py_int(&m["current_b"])) {
        (Ok(a), Ok(b)) => (a.max(0), b.max(0)),
        (Err(e), _) | (_, Err(e)) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let overload = truthy(m.get("is_overload")) || a == 65535 || b == 65535;
    if let Err(e) = backend.legacy_seen(&ccu.id).await {
        tracing::warn!(cause = %e, "legacy presence update failed");
    }
    let before = backend
        .state()
        .outlet(outlet.id)
        .and_then(|s| s.last_history_ts);
    let reading = SensorReading {
        device_id: outlet.device_id,
        current_a: Some(a),
        current_b: Some(b),
        relay_a: None,
        relay_b: None,
        is_overload: overload,
        ts: None,
    };
    if let Err(r) = backend
        .ingest_readings(&ccu, vec![reading], Via::Http)
        .await
    {
        backend.reject("/api/data/", &r);
        return fail(StatusCode::BAD_REQUEST, r.detail);
    }
    // The old firmware's relay flags are true only for an acknowledged ON; false means
    // off or unknown, so it confirms OFF only after a confirmed ON.
    let state = backend.state().outlet(outlet.id).unwrap_or_default();
    for (socket, key, known) in [
        (Socket::A, "relay_a", state.relay_a),
        (Socket::B, "relay_b", state.relay_b),
    ] {
        let reported = m.get(key).and_then(Value::as_bool);
        let change = match (reported, known) {
            (Some(true), k) if k != Some(true) => Some(true),
            (Some(false), Some(true)) => Some(false),
            _ => None,
        };
        if let Some(on) = change
            && let Err(e) = backend.confirm_relay(outlet.id, socket, on).await
        {
            tracing::warn!(cause = %e, "legacy relay confirmation failed");
        }
    }
    let after = backend.state().outlet(outlet.id).unwrap_or_default();
    let logged = after.last_history_ts != before;
    json(
        StatusCode::OK,
        &DataOk {
            success: true,
            message: if logged {
                "Data received (logged to DB)"
            } else {
                "Data received (WebSocket only)"
            },
            relay_a: after.relay_a == Some(true),
            relay_b: after.relay_b == Some(true),
        },
    )
}

/// `POST /api/breaker-data/`: the main breaker's load.
#[handler]
pub async fn breaker_data(
    backend: Data<&Backend>,
    state: Data<&Arc<LegacyState>>,
    ip: Data<&ClientIp>,
    body: Body,
) -> Response {
    let m = match parse(body, &["ccu_id", "current_ma"]).await {
        Ok(m) => m,
        Err(e) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let mut ccu_id = py_str(&m["ccu_id"]).to_uppercase();
    if ccu_id.len() < 2 {
        ccu_id = format!("{ccu_id:0>2}");
    }
    let current = match py_int(&m["current_ma"]) {
        Ok(v) => v.max(0),
        Err(e) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let Some(ccu) = backend
        .registry()
        .ccu(&ccu_id)
        .filter(|c| c.transport.serves_http())
    else {
        return fail(StatusCode::NOT_FOUND, format!("CCU {ccu_id} not found"));
    };
    if let Some(ip) = ip.0.0 {
        state
            .ccu_by_ip
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ip, ccu.id.clone());
    }
    if let Err(e) = backend.legacy_seen(&ccu.id).await {
        tracing::warn!(cause = %e, "legacy presence update failed");
    }
    let before = backend.state().ccu(&ccu.id).and_then(|s| s.last_history_ts);
    if let Err(r) = backend
        .ingest_breaker(
            &ccu,
            BreakerReading {
                current_ma: current,
                ts: None,
            },
        )
        .await
    {
        backend.reject("/api/breaker-data/", &r);
        return fail(StatusCode::BAD_REQUEST, r.detail);
    }
    let logged = backend.state().ccu(&ccu.id).and_then(|s| s.last_history_ts) != before;
    json(
        StatusCode::OK,
        &MessageOk {
            success: true,
            message: if logged {
                "Breaker data received (logged to DB)"
            } else {
                "Breaker data received (WebSocket only)"
            },
        },
    )
}

/// `GET /api/devices/`: outlets of HTTP CCUs, newest first.
#[handler]
pub fn devices(backend: Data<&Backend>) -> Response {
    let devices = backend
        .http_outlets()
        .into_iter()
        .map(|o| o.device_id.to_string())
        .collect();
    json(
        StatusCode::OK,
        &Devices {
            success: true,
            devices,
        },
    )
}

/// `GET /api/commands/<device_id>/`: queued commands, handed out once and marked sent.
#[handler]
pub async fn commands(backend: Data<&Backend>, Path(raw): Path<String>) -> Response {
    let Some((_ccu, outlet)) = DeviceId::parse(&raw).and_then(|d| backend.http_outlet(d)) else {
        return fail(
            StatusCode::NOT_FOUND,
            format!("Outlet with device_id {raw} not found"),
        );
    };
    let cmds = match backend.take_polled_commands(outlet.id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(cause = %e, "legacy command poll failed");
            return fail(StatusCode::INTERNAL_SERVER_ERROR, "internal server error");
        }
    };
    let commands = cmds
        .into_iter()
        .map(|c| LegacyCommand {
            command: c.command.as_str(),
            socket: c.socket.map(|s| s.as_str()).unwrap_or(""),
            value: c.value,
        })
        .collect();
    json(
        StatusCode::OK,
        &Commands {
            success: true,
            commands,
        },
    )
}

fn http_ccus(backend: &Backend) -> Vec<String> {
    let mut v: Vec<String> = backend
        .registry()
        .ccus()
        .into_iter()
        .filter(|c| c.transport.serves_http())
        .map(|c| c.id)
        .collect();
    v.sort();
    v
}

/// `GET /api/focus/`: the outlet the asking CCU should read first.
#[handler]
pub fn focus(
    backend: Data<&Backend>,
    state: Data<&Arc<LegacyState>>,
    ip: Data<&ClientIp>,
) -> Response {
    let by_ip = ip.0.0.and_then(|ip| {
        state
            .ccu_by_ip
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ip)
            .cloned()
    });
    let ccus = http_ccus(&backend);
    let ccu = by_ip.or_else(|| (ccus.len() == 1).then(|| ccus[0].clone()));
    let device_id = ccu.and_then(|c| {
        state
            .focus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&c)
            .cloned()
    });
    json(
        StatusCode::OK,
        &Focus {
            success: true,
            device_id,
        },
    )
}

/// `POST /api/focus/<device_id>/`: focus an outlet (its CCU reads it every cycle).
#[handler]
pub fn focus_set(
    backend: Data<&Backend>,
    state: Data<&Arc<LegacyState>>,
    Path(raw): Path<String>,
) -> Response {
    if http_ccus(&backend).is_empty() {
        return fail(StatusCode::NOT_FOUND, "No CCU registered");
    }
    let upper = raw.to_uppercase();
    let Some((ccu, outlet)) = DeviceId::parse(&raw).and_then(|d| backend.http_outlet(d)) else {
        return fail(StatusCode::NOT_FOUND, format!("Outlet {upper} not found"));
    };
    let id = outlet.device_id.to_string();
    state
        .focus
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(ccu.id, id.clone());
    json(
        StatusCode::OK,
        &Focus {
            success: true,
            device_id: Some(id),
        },
    )
}

/// `POST` or `DELETE /api/focus/clear/`.
#[handler]
pub fn focus_clear(backend: Data<&Backend>, state: Data<&Arc<LegacyState>>) -> Response {
    if http_ccus(&backend).is_empty() {
        return fail(StatusCode::NOT_FOUND, "No CCU registered");
    }
    state
        .focus
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    json(
        StatusCode::OK,
        &Focus {
            success: true,
            device_id: None,
        },
    )
}

/// `GET /api/outlet-status/<device_id>/`.
#[handler]
pub fn outlet_status(backend: Data<&Backend>, Path(raw): Path<String>) -> Response {
    let Some((_ccu, outlet)) = DeviceId::parse(&raw).and_then(|d| backend.http_outlet(d)) else {
        return fail(
            StatusCode::NOT_FOUND,
            format!("Outlet with device_id {raw} not found"),
        );
    };
    let s = backend.state().outlet(outlet.id).unwrap_or_default();
    json(
        StatusCode::OK,
        &OutletStatus {
            success: true,
            device_id: outlet.device_id.to_string(),
            name: outlet.name,
            relay_a: s.relay_a == Some(true),
            relay_b: s.relay_b == Some(true),
            threshold: outlet.threshold_ma,
        },
    )
}
