//! WebSockets: `/ws` (one multiplexed stream of the user's live events for the dashboard) and
//! the old app's `/ws/sensor/<device_id>/` and `/ws/breaker/<ccu_id>/`, with their shapes.
//!
//! Every socket is authenticated (session cookie, or an API token in `Authorization` or
//! `?token=`) and sees only its user's devices. Each client reads its user's in-process
//! broadcast stream on its own: a slow client skips messages (and is told how many), or is
//! dropped when a send blocks for 5 s; it never slows ingest or other clients.

use crate::auth::SESSION_COOKIE;
use crate::legacy::python_json;
use backend::Backend;
use backend::live::LiveEvent;
use futures_util::{SinkExt, StreamExt};
use poem::http::StatusCode;
use poem::web::websocket::{Message, WebSocket, WebSocketConfig};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Longest a send to one client may block before the client is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Clients send nothing but pings and close frames. tungstenite's default 128 KiB read
/// buffer is zeroed on every read attempt, and a socket's reader is polled whenever an event
/// wakes its task: with the default, `memset` took 60 % of the server's CPU under 100
/// dashboards (bench `live`, perf).
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024))
}

/// `?token=` for clients that cannot set headers.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn reject(status: StatusCode, message: &str) -> Box<Response> {
    let body = serde_json::json!({"code": if status == StatusCode::FORBIDDEN { "forbidden" } else { "unauthorized" }, "message": message});
    Box::new(
        Response::builder()
            .status(status)
            .content_type("application/json")
            .body(body.to_string()),
    )
}

/// The user behind a WebSocket handshake, after the same-origin check.
async fn authenticate(
    backend: &Backend,
    req: &Request,
    token: Option<&str>,
) -> Result<i32, Box<Response>> {
    if let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) {
        let host = req
            .headers()
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        if origin_host != host {
            return Err(reject(
                StatusCode::FORBIDDEN,
                "cross-origin WebSocket refused",
            ));
        }
    }
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or(token);
    if let Some(t) = bearer {
        return match backend.token_user(t).await {
            Ok(Some(user)) => Ok(user),
            _ => Err(reject(
                StatusCode::UNAUTHORIZED,
                "invalid or revoked API token",
            )),
        };
    }
    let cookie = req
        .cookie()
        .get(SESSION_COOKIE)
        .map(|c| c.value_str().to_string());
    match cookie {
        Some(c) => match backend.session(&c).await {
            Ok(Some(s)) => Ok(s.user_id),
            _ => Err(reject(StatusCode::UNAUTHORIZED, "session expired")),
        },
        None => Err(reject(
            StatusCode::UNAUTHORIZED,
            "log in or send an API token",
        )),
    }
}

/// What a stream turns a live event into (None: not for this client).
type Render = Box<dyn FnMut(&LiveEvent) -> Option<String> + Send + Sync>;

/// Pumps `user`'s live events into the socket until it closes.
fn stream(
    ws: WebSocket,
    backend: Backend,
    user: i32,
    first: Vec<String>,
    mut render: Render,
) -> Response {
    let mut rx = backend.subscribe_user(user);
    ws.config(config()).on_upgrade(move |socket| async move {
        let metrics = backend.clone();
        metrics.metrics().ws_clients.fetch_add(1, Relaxed);
        let (mut sink, mut incoming) = socket.split();
        let mut alive = true;
        for text in first {
            if sink.send(Message::Text(text)).await.is_err() {
                alive = false;
            }
        }
        while alive {
            tokio::select! {
                ev = rx.recv() => {
                    let text = match ev {
                        Ok(ev) => match render(&ev) {
                            Some(t) => t,
                            None => continue,
                        },
                        Err(RecvError::Lagged(n)) => {
                            backend.metrics().ws_skipped.fetch_add(n, Relaxed);
                            serde_json::json!({"type": "lagged", "skipped": n}).to_string()
                        }
                        Err(RecvError::Closed) => break,
                    };
                    match tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text))).await {
                        Ok(Ok(())) => {}
                        _ => alive = false,
                    }
                }
                msg = incoming.next() => match msg {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => alive = false,
                    Some(Ok(_)) => {}
                },
            }
        }
        metrics.metrics().ws_clients.fetch_sub(1, Relaxed);
    })
    .into_response()
}

/// `/ws`: every live event of the user, as `{"type": …, …}` JSON.
#[handler]
pub async fn live(
    ws: WebSocket,
    req: &Request,
    backend: Data<&Backend>,
    q: Query<TokenQuery>,
) -> Response {
    let user = match authenticate(&backend, req, q.token.as_deref()).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let hello = serde_json::json!({"type": "hello", "user_id": user}).to_string();
    let render: Render = Box::new(move |ev| {
        (ev.user_id() == user).then(|| serde_json::to_string(ev).unwrap_or_default())
    });
    stream(ws, backend.clone(), user, vec![hello], render)
}

#[derive(Serialize)]
struct SensorData {
    outlet_name: String,
    device_id: String,
    relay_a: bool,
    relay_b: bool,
    current_a: i64,
    current_b: i64,
    is_overload: bool,
    timestamp: Option<String>,
}

#[derive(Serialize)]
struct Typed<T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: Option<T>,
}

#[derive(Serialize)]
struct BreakerData {
    ccu_id: String,
    current_ma: i64,
    current_amps: f64,
    timestamp: String,
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
        .unwrap_or_default()
}

/// `/ws/sensor/<device_id>/`: the old app's `initial_data` then `sensor_data` messages for one
/// of the user's outlets (`"data": null` for an outlet that is not theirs or does not exist).
#[handler]
pub async fn sensor(
    ws: WebSocket,
    req: &Request,
    backend: Data<&Backend>,
    Path(device): Path<String>,
    q: Query<TokenQuery>,
) -> Response {
    let user = match authenticate(&backend, req, q.token.as_deref()).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let outlet = match backend::domain::DeviceId::parse(&device) {
        Some(d) => backend
            .list_outlets(user, None)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|o| o.device_id == d.to_string()),
        None => None,
    };
    let initial = outlet.as_ref().map(|o| SensorData {
        outlet_name: o.name.clone(),
        device_id: o.device_id.clone(),
        relay_a: o.relay_a == Some(true),
        relay_b: o.relay_b == Some(true),
        current_a: o.current_a.unwrap_or(0),
        current_b: o.current_b.unwrap_or(0),
        is_overload: o.is_overload,
        timestamp: o.last_seen.map(iso),
    });
    let first = vec![python_json(&Typed {
        kind: "initial_data",
        data: initial,
    })];
    let Some(outlet) = outlet else {
        return stream(ws, backend.clone(), user, first, Box::new(|_| None));
    };
    let (id, name) = (outlet.id, outlet.name.clone());
    let render: Render = Box::new(move |ev| match ev {
        LiveEvent::Reading {
            outlet_id,
            device_id,
            current_a,
            current_b,
            relay_a,
            relay_b,
            is_overload,
            ts,
            ..
        } if *outlet_id == id => Some(python_json(&Typed {
            kind: "sensor_data",
            data: Some(SensorData {
                outlet_name: name.clone(),
                device_id: device_id.clone(),
                relay_a: *relay_a == Some(true),
                relay_b: *relay_b == Some(true),
                current_a: *current_a,
                current_b: *current_b,
                is_overload: *is_overload,
                timestamp: Some(iso(*ts)),
            }),
        })),
        _ => None,
    });
    stream(ws, backend.clone(), user, first, render)
}

/// `/ws/breaker/<ccu_id>/`: the old app's breaker `sensor_data` messages for one of the user's CCUs.
#[handler]
pub async fn breaker(
    ws: WebSocket,
    req: &Request,
    backend: Data<&Backend>,
    Path(ccu): Path<String>,
    q: Query<TokenQuery>,
) -> Response {
    let user = match authenticate(&backend, req, q.token.as_deref()).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let mut id = ccu.to_uppercase();
    if id.len() < 2 {
        id = format!("{id:0>2}");
    }
    let owned = backend.get_ccu(user, &id).await.is_ok();
    let render: Render = Box::new(move |ev| match ev {
        LiveEvent::Breaker {
            ccu_id,
            current_ma,
            ts,
            ..
        } if owned && *ccu_id == id => Some(python_json(&Typed {
            kind: "sensor_data",
            data: Some(BreakerData {
                ccu_id: ccu_id.clone(),
                current_ma: *current_ma,
                current_amps: (*current_ma as f64 / 10.0).round() / 100.0,
                timestamp: iso(*ts),
            }),
        })),
        _ => None,
    });
    stream(ws, backend.clone(), user, Vec::new(), render)
}
