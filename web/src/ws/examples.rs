//! One example of every WebSocket message and their JSON Schemas, rendered as
//! `docs/ws-messages.json` (compared with the checked-in file by `web/tests/ws_messages.rs`).

use super::legacy::{BreakerData, SensorData, Typed, breaker_message, iso, sensor_message};
use super::messages::{Hello, Lagged, WsMessage};
use crate::legacy::python_json;
use backend::domain as d;
use backend::live::LiveEvent;

/// 2026-01-01T00:00:00Z, in unix ms.
const T0: i64 = 1_767_225_600_000;

/// One backend event of every kind, as the examples' source.
fn sample_events() -> Vec<LiveEvent> {
    let alert = d::AlertRecord {
        id: 3,
        user_id: 7,
        kind: d::AlertKind::OutletThreshold,
        ccu_id: Some("02".into()),
        outlet_id: Some(11),
        device_id: Some("00A1".into()),
        message: "outlet 00A1 socket A above 2000 mA".into(),
        value: Some(2400),
        threshold: Some(2000),
        raised_at: T0,
        cleared_at: None,
        acknowledged_at: None,
        acknowledged_by: None,
    };
    let command = d::CommandRecord {
        id: "5f0c6a2e-8d1b-4c57-9a53-2d0f3e8b1c44".into(),
        ccu_id: "02".into(),
        outlet_id: 11,
        device_id: "00A1".into(),
        user_id: Some(7),
        command: d::CommandKind::RelayOff,
        socket: Some(d::Socket::A),
        value: None,
        status: d::CommandStatus::Ok,
        detail: None,
        created_at: T0,
        sent_at: Some(T0 + 20),
        completed_at: Some(T0 + 180),
        expires_at: T0 + 300_000,
    };
    vec![
        LiveEvent::Reading {
            user_id: 7,
            ccu_id: "02".into(),
            outlet_id: 11,
            device_id: "00A1".into(),
            current_a: 1520,
            current_b: 0,
            relay_a: Some(true),
            relay_b: Some(false),
            is_overload: false,
            ts: T0,
        },
        LiveEvent::Breaker {
            user_id: 7,
            ccu_id: "02".into(),
            current_ma: 12_345,
            threshold_ma: 16_000,
            ts: T0,
        },
        LiveEvent::Relay {
            user_id: 7,
            outlet_id: 11,
            device_id: "00A1".into(),
            socket: "a".into(),
            on: false,
        },
        LiveEvent::Presence {
            user_id: 7,
            ccu_id: "02".into(),
            outlet_id: None,
            online: true,
            ts: T0,
        },
        LiveEvent::Alert { user_id: 7, alert },
        LiveEvent::Command {
            user_id: 7,
            command,
        },
    ]
}

/// The `/ws` examples: hello, one of every live event, lagged.
fn ws_examples() -> Vec<String> {
    let mut out = vec![WsMessage::Hello(Hello::new(7)).to_text()];
    out.extend(sample_events().iter().map(|e| WsMessage::from(e).to_text()));
    out.push(WsMessage::Lagged(Lagged::new(42)).to_text());
    out
}

/// The `/ws/sensor/…` examples: `initial_data` (known outlet, then unknown), `sensor_data`.
fn sensor_examples() -> Vec<String> {
    let initial = SensorData {
        outlet_name: "Kettle".into(),
        device_id: "00A1".into(),
        relay_a: true,
        relay_b: false,
        current_a: 1520,
        current_b: 0,
        is_overload: false,
        timestamp: Some(iso(T0)),
    };
    let none: Typed<SensorData> = Typed {
        kind: "initial_data",
        data: None,
    };
    let reading = &sample_events()[0];
    vec![
        python_json(&Typed {
            kind: "initial_data",
            data: Some(initial),
        }),
        python_json(&none),
        sensor_message("Kettle", reading).unwrap_or_default(),
    ]
}

/// The `/ws/breaker/…` example.
fn breaker_examples() -> Vec<String> {
    vec![breaker_message(&sample_events()[1]).unwrap_or_default()]
}

/// One section of the document: the exact text frames, one a line, and the schema.
fn section(examples: &[String], schema: schemars::Schema) -> String {
    let schema = serde_json::to_string_pretty(&schema)
        .unwrap_or_default()
        .replace('\n', "\n    ");
    format!(
        "{{\n    \"examples\": [\n      {}\n    ],\n    \"schema\": {schema}\n  }}",
        examples.join(",\n      ")
    )
}

/// `docs/ws-messages.json`: for each stream, an example of every message exactly as sent
/// (one text frame a line) and the JSON Schema of its messages.
pub fn document() -> String {
    let ws = section(&ws_examples(), schemars::schema_for!(WsMessage<'static>));
    let sensor = section(&sensor_examples(), schemars::schema_for!(Typed<SensorData>));
    let breaker = section(
        &breaker_examples(),
        schemars::schema_for!(Typed<BreakerData>),
    );
    format!(
        "{{\n  \"$comment\": \"WebSocket messages (docs/websocket.md). Generated: UPDATE_WS_SNAPSHOT=1 cargo test --workspace --test ws_messages\",\n  \"ws\": {ws},\n  \"ws_sensor\": {sensor},\n  \"ws_breaker\": {breaker}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn live_messages_are_the_backend_events_serialisation_byte_for_byte() {
        for ev in sample_events() {
            let before = serde_json::to_string(&ev).unwrap();
            assert_eq!(WsMessage::from(&ev).to_text(), before);
        }
    }

    #[test]
    fn hello_and_lagged_keep_their_json() {
        let hello = serde_json::json!({"type": "hello", "user_id": 7}).to_string();
        assert_eq!(WsMessage::Hello(Hello::new(7)).to_text(), hello);
        let lagged = serde_json::json!({"type": "lagged", "skipped": 42}).to_string();
        assert_eq!(WsMessage::Lagged(Lagged::new(42)).to_text(), lagged);
    }

    #[test]
    fn the_examples_cover_every_type_of_the_schema() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        let schema = &doc["ws"]["schema"];
        let mut declared: Vec<String> = Vec::new();
        collect_types(schema, schema, &mut declared);
        declared.sort();
        declared.dedup();
        let mut sent: Vec<String> = ws_examples()
            .iter()
            .map(|t| {
                let v: Value = serde_json::from_str(t).unwrap();
                v["type"].as_str().unwrap().to_string()
            })
            .collect();
        sent.sort();
        assert_eq!(sent, declared);
    }

    /// Every value a `type` property may take, anywhere in `schema` (`$ref`s resolved in
    /// `root`'s `$defs`).
    fn collect_types(root: &Value, schema: &Value, out: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(t) = map.get("properties").and_then(|p| p.get("type")) {
                    let t = match t.get("$ref").and_then(|r| r.as_str()) {
                        Some(r) => &root["$defs"][r.trim_start_matches("#/$defs/")],
                        None => t,
                    };
                    let consts =
                        std::iter::once(t).chain(t["oneOf"].as_array().into_iter().flatten());
                    out.extend(consts.filter_map(|c| c["const"].as_str()).map(String::from));
                }
                map.values().for_each(|v| collect_types(root, v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_types(root, v, out)),
            _ => {}
        }
    }
}
