//! The old app's WebSocket streams, `/ws/sensor/<device_id>/` and `/ws/breaker/<ccu_id>/`,
//! with their message shapes byte for byte (Python's JSON layout).

use super::auth::WsUser;
use super::{Render, stream};
use crate::legacy::python_json;
use backend::Backend;
use backend::live::LiveEvent;
use poem::web::websocket::WebSocket;
use poem::web::{Data, Path};
use poem::{Response, handler};
use schemars::JsonSchema;
use serde::Serialize;

/// One outlet's state, as the old app sent it.
#[derive(Serialize, JsonSchema)]
pub(super) struct SensorData {
    pub(super) outlet_name: String,
    pub(super) device_id: String,
    pub(super) relay_a: bool,
    pub(super) relay_b: bool,
    pub(super) current_a: i64,
    pub(super) current_b: i64,
    pub(super) is_overload: bool,
    pub(super) timestamp: Option<String>,
}

/// The old app's envelope: `initial_data` or `sensor_data`.
#[derive(Serialize, JsonSchema)]
pub(super) struct Typed<T: Serialize> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) data: Option<T>,
}

/// One breaker reading, as the old app sent it.
#[derive(Serialize, JsonSchema)]
pub(super) struct BreakerData {
    pub(super) ccu_id: String,
    pub(super) current_ma: i64,
    pub(super) current_amps: f64,
    pub(super) timestamp: String,
}

pub(super) fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
        .unwrap_or_default()
}

/// The `sensor_data` message of `/ws/sensor/…` for a reading of the outlet named `name`.
pub(super) fn sensor_message(name: &str, ev: &LiveEvent) -> Option<String> {
    let LiveEvent::Reading {
        device_id,
        current_a,
        current_b,
        relay_a,
        relay_b,
        is_overload,
        ts,
        ..
    } = ev
    else {
        return None;
    };
    Some(python_json(&Typed {
        kind: "sensor_data",
        data: Some(SensorData {
            outlet_name: name.to_string(),
            device_id: device_id.clone(),
            relay_a: *relay_a == Some(true),
            relay_b: *relay_b == Some(true),
            current_a: *current_a,
            current_b: *current_b,
            is_overload: *is_overload,
            timestamp: Some(iso(*ts)),
        }),
    }))
}

/// The `sensor_data` message of `/ws/breaker/…` for a breaker reading.
pub(super) fn breaker_message(ev: &LiveEvent) -> Option<String> {
    let LiveEvent::Breaker {
        ccu_id,
        current_ma,
        ts,
        ..
    } = ev
    else {
        return None;
    };
    Some(python_json(&Typed {
        kind: "sensor_data",
        data: Some(BreakerData {
            ccu_id: ccu_id.clone(),
            current_ma: *current_ma,
            current_amps: (*current_ma as f64 / 10.0).round() / 100.0,
            timestamp: iso(*ts),
        }),
    }))
}

/// `/ws/sensor/<device_id>/`: the old app's `initial_data` then `sensor_data` messages for one
/// of the user's outlets (`"data": null` for an outlet that is not theirs or does not exist).
#[handler]
pub async fn sensor(
    ws: WebSocket,
    backend: Data<&Backend>,
    WsUser(user): WsUser,
    Path(device): Path<String>,
) -> Response {
    let outlet = match backend::domain::DeviceId::parse(&device) {
        Some(d) => backend
            .list_outlets(backend::Actor::User(user), None)
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
        LiveEvent::Reading { outlet_id, .. } if *outlet_id == id => sensor_message(&name, ev),
        _ => None,
    });
    stream(ws, backend.clone(), user, first, render)
}

/// `/ws/breaker/<ccu_id>/`: the old app's breaker `sensor_data` messages for one of the user's CCUs.
#[handler]
pub async fn breaker(
    ws: WebSocket,
    backend: Data<&Backend>,
    WsUser(user): WsUser,
    Path(ccu): Path<String>,
) -> Response {
    let mut id = ccu.to_uppercase();
    if id.len() < 2 {
        id = format!("{id:0>2}");
    }
    let owned = backend
        .get_ccu(backend::Actor::User(user), &id)
        .await
        .is_ok();
    let render: Render = Box::new(move |ev| match ev {
        LiveEvent::Breaker { ccu_id, .. } if owned && *ccu_id == id => breaker_message(ev),
        _ => None,
    });
    stream(ws, backend.clone(), user, Vec::new(), render)
}
