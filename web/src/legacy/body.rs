//! The old firmware's request bodies without the HTTP layer: JSON object parsing with the old
//! app's messages, and Python's `int()`, `str()` and truthiness on JSON values.
//!
//! This file depends only on `std` and `serde_json`: `fuzz/` compiles it on its own
//! (`#[path]`, target `legacy_body`), so keep it free of `crate::`/`super::` paths and poem.

use serde_json::Value;

/// The old app's message for a body that is not a JSON object.
pub const INVALID_JSON: &str = "Invalid JSON format";

/// The body as a JSON object with `keys` present, or the old app's 400 message.
pub fn parse(bytes: &[u8], keys: &[&str]) -> Result<serde_json::Map<String, Value>, String> {
    let m = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => m,
        _ => return Err(INVALID_JSON.to_string()),
    };
    if keys.iter().all(|k| m.contains_key(*k)) {
        return Ok(m);
    }
    let list = keys
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(format!("Missing required fields. Required: [{list}]"))
}

/// Python's `int(v)` on a JSON value: ints, floats (truncated) and numeric strings.
pub fn py_int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| format!("invalid number {n}")),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("invalid literal for int() with base 10: '{s}'")),
        Value::Bool(b) => Ok(i64::from(*b)),
        other => Err(format!(
            "int() argument must be a string or a number, not '{}'",
            type_name(other)
        )),
    }
}

/// Python's type name of a value that `int()` refuses.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
        _ => "object",
    }
}

/// Python's `str(v)` as the old app saw it: strings as they are, anything else as JSON.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's truthiness of an optional JSON value (absent is false).
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}
