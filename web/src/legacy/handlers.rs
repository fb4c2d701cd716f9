//! The legacy route handlers, in the old app's validation order and wording.

use super::body::{self, py_int, py_str, truthy};
use super::{ClientIp, json};
use backend::Backend;
use backend::domain::DeviceId;
use backend::ingest::IngestError;
use backend::legacy::{Caller, LegacyReading};
use backend::registry::{CcuEntry, OutletEntry};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Response, handler};
use serde::Serialize;
use serde_json::Value;

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

/// The caller's outlet `raw` names, or `None` (refused: counted and logged by the backend).
fn caller_outlet(
    backend: &Backend,
    ip: &ClientIp,
    raw: &str,
    route: &str,
) -> Option<(CcuEntry, OutletEntry)> {
    let caller = backend.legacy_caller(ip.0, route).ok()?;
    let device = DeviceId::parse(raw)?;
    backend.legacy_outlet(&caller, device, route).ok()
}

fn outlet_not_found(raw: &str) -> Response {
    fail(
        StatusCode::NOT_FOUND,
        format!("Outlet with device_id {raw} not found"),
    )
}

/// `POST /api/data/`: one outlet reading from the old firmware.
#[handler]
pub async fn data(backend: Data<&Backend>, ip: Data<&ClientIp>, body: Body) -> Response {
    let m = match parse(body, &["device_id", "current_a", "current_b"]).await {
        Ok(m) => m,
        Err(e) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let raw_id = py_str(&m["device_id"]);
    let Some((ccu, outlet)) = caller_outlet(&backend, &ip, &raw_id, "/api/data/") else {
        return outlet_not_found(&raw_id);
    };
    let (current_a, current_b) = match (py_int(&m["current_a"]), py_int(&m["current_b"])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let reading = LegacyReading {
        current_a,
        current_b,
        relay_a: m.get("relay_a").and_then(Value::as_bool),
        relay_b: m.get("relay_b").and_then(Value::as_bool),
        is_overload: truthy(m.get("is_overload")),
    };
    match backend.legacy_reading(&ccu, &outlet, reading).await {
        Ok(answer) => json(
            StatusCode::OK,
            &DataOk {
                success: true,
                message: if answer.logged {
                    "Data received (logged to DB)"
                } else {
                    "Data received (WebSocket only)"
                },
                relay_a: answer.relay_a,
                relay_b: answer.relay_b,
            },
        ),
        Err(e) => {
            backend.ingest_failed("/api/data/", &e);
            ingest_failure(e)
        }
    }
}

/// The answer to a reading not taken: 400 with the reason when it is the device's fault,
/// 500 without detail when it is the server's.
fn ingest_failure(e: IngestError) -> Response {
    match e {
        IngestError::Rejected(r) => fail(StatusCode::BAD_REQUEST, r.detail),
        IngestError::Internal(_) => fail(StatusCode::INTERNAL_SERVER_ERROR, "server error"),
    }
}

/// `POST /api/breaker-data/`: the main breaker's load. The only request that names its
/// CCU: it is served only from the address that CCU is bound to, and binds an unbound CCU
/// whose learning window is open.
#[handler]
pub async fn breaker_data(backend: Data<&Backend>, ip: Data<&ClientIp>, body: Body) -> Response {
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
    let Ok(ccu) = backend.legacy_breaker_ccu(ip.0.0, &ccu_id).await else {
        return fail(StatusCode::NOT_FOUND, format!("CCU {ccu_id} not found"));
    };
    let logged = match backend.legacy_breaker_reading(&ccu, current).await {
        Ok(logged) => logged,
        Err(r) => {
            backend.ingest_failed("/api/breaker-data/", &r);
            return ingest_failure(r);
        }
    };
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

/// `GET /api/devices/`: the caller's outlets, newest first (none for a refused caller: the
/// old shape, and the firmware keeps the devices it has).
#[handler]
pub fn devices(backend: Data<&Backend>, ip: Data<&ClientIp>) -> Response {
    let devices = backend
        .legacy_caller(ip.0.0, "/api/devices/")
        .map(|caller| {
            backend
                .legacy_outlets(&caller)
                .into_iter()
                .map(|o| o.device_id.to_string())
                .collect()
        })
        .unwrap_or_default();
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
pub async fn commands(
    backend: Data<&Backend>,
    ip: Data<&ClientIp>,
    Path(raw): Path<String>,
) -> Response {
    let Some((_ccu, outlet)) = caller_outlet(&backend, &ip, &raw, "/api/commands/") else {
        return outlet_not_found(&raw);
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

/// `GET /api/focus/`: the outlet the asking CCU should read first: the one with commands
/// waiting, else the one a person is looking at (null for a refused caller, the old answer
/// when no CCU exists).
#[handler]
pub async fn focus(backend: Data<&Backend>, ip: Data<&ClientIp>) -> Response {
    let device_id = match backend.legacy_caller(ip.0.0, "/api/focus/") {
        Ok(caller) => match backend.legacy_focus(&caller).await {
            Ok(d) => d.map(|d| d.to_string()),
            Err(e) => {
                tracing::error!(cause = %e, "legacy focus not read");
                return fail(StatusCode::INTERNAL_SERVER_ERROR, "internal server error");
            }
        },
        Err(_) => None,
    };
    json(
        StatusCode::OK,
        &Focus {
            success: true,
            device_id,
        },
    )
}

fn no_ccu() -> Response {
    fail(StatusCode::NOT_FOUND, "No CCU registered")
}

fn resolve_caller(backend: &Backend, ip: &ClientIp, route: &str) -> Option<Caller> {
    backend.legacy_caller(ip.0, route).ok()
}

/// `POST /api/focus/<device_id>/`: focus one of the caller's outlets (its CCU reads it
/// every cycle).
#[handler]
pub async fn focus_set(
    backend: Data<&Backend>,
    ip: Data<&ClientIp>,
    Path(raw): Path<String>,
) -> Response {
    let Some(caller) = resolve_caller(&backend, &ip, "/api/focus/") else {
        return no_ccu();
    };
    let upper = raw.to_uppercase();
    let not_found = || fail(StatusCode::NOT_FOUND, format!("Outlet {upper} not found"));
    let Some(device) = DeviceId::parse(&raw) else {
        return not_found();
    };
    match backend
        .set_legacy_focus(&caller, device, "/api/focus/")
        .await
    {
        Ok(Ok(id)) => json(
            StatusCode::OK,
            &Focus {
                success: true,
                device_id: Some(id.to_string()),
            },
        ),
        Ok(Err(_refused)) => not_found(),
        Err(e) => {
            tracing::error!(cause = %e, "legacy focus not stored");
            fail(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }
}

/// `POST` or `DELETE /api/focus/clear/`: clears the caller's focus.
#[handler]
pub async fn focus_clear(backend: Data<&Backend>, ip: Data<&ClientIp>) -> Response {
    let Some(caller) = resolve_caller(&backend, &ip, "/api/focus/clear/") else {
        return no_ccu();
    };
    if let Err(e) = backend.clear_legacy_focus(&caller).await {
        tracing::error!(cause = %e, "legacy focus not cleared");
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "internal server error");
    }
    json(
        StatusCode::OK,
        &Focus {
            success: true,
            device_id: None,
        },
    )
}

/// `GET /api/outlet-status/<device_id>/`: one of the caller's outlets.
#[handler]
pub fn outlet_status(
    backend: Data<&Backend>,
    ip: Data<&ClientIp>,
    Path(raw): Path<String>,
) -> Response {
    let Some((_ccu, outlet)) = caller_outlet(&backend, &ip, &raw, "/api/outlet-status/") else {
        return outlet_not_found(&raw);
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
