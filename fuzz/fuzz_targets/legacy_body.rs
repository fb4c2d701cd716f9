//! Fuzz target: the legacy shim's request bodies (`web/src/legacy/body.rs`: the JSON object
//! check with required keys, Python's `int()`, `str()` and truthiness) on arbitrary bytes,
//! with the properties the handlers rely on.
#![no_main]

#[path = "../../web/src/legacy/body.rs"]
mod body;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The keys `POST /api/data/` and `POST /api/breaker-data/` require.
const DATA: &[&str] = &["device_id", "current_a", "current_b"];
const BREAKER: &[&str] = &["ccu_id", "current_ma"];

fuzz_target!(|data: &[u8]| {
    for keys in [DATA, BREAKER] {
        match body::parse(data, keys) {
            Ok(m) => {
                for k in keys {
                    assert!(m.contains_key(*k));
                    // What the handlers do with each field must not panic, and holds its laws.
                    let v = &m[*k];
                    let _ = body::py_int(v).map_err(|e| assert!(!e.is_empty()));
                    check_value(v);
                }
                for (_, v) in m.iter().take(16) {
                    check_value(v);
                }
                let _ = body::truthy(m.get("is_overload"));
            }
            Err(e) => {
                let is_object =
                    matches!(serde_json::from_slice::<Value>(data), Ok(Value::Object(_)));
                if is_object {
                    assert!(e.starts_with("Missing required fields."), "{e}");
                } else {
                    assert_eq!(e, body::INVALID_JSON);
                }
            }
        }
    }
    // The helpers on any JSON value the bytes hold, object or not.
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        check_value(&v);
    }
});

fn check_value(v: &Value) {
    // str(): strings as they are; anything else is JSON that reads back as the same value.
    let s = body::py_str(v);
    match v {
        Value::String(inner) => assert_eq!(&s, inner),
        other => {
            let back: Value = serde_json::from_str(&s).expect("py_str of a non-string is JSON");
            assert!(same(&back, other), "{s}: {back} != {other}");
        }
    }
    // int(): exact for integers, booleans are 0/1, numeric strings parse, the rest is an error
    // with a message.
    match (v, body::py_int(v)) {
        (Value::Number(n), Ok(i)) => {
            if let Some(exact) = n.as_i64() {
                assert_eq!(i, exact);
            } else if let Some(f) = n.as_f64() {
                assert!(f.is_finite());
                // Truncated toward zero, saturated at the i64 range.
                if f.abs() < 9.2e18 {
                    assert_eq!(i as f64, f.trunc(), "int({f})");
                } else {
                    assert_eq!(i, if f > 0.0 { i64::MAX } else { i64::MIN });
                }
            }
        }
        (Value::Bool(b), Ok(i)) => assert_eq!(i, i64::from(*b)),
        (Value::String(s), Ok(i)) => assert_eq!(s.trim().parse::<i64>().ok(), Some(i)),
        (Value::String(_), Err(e)) => assert!(e.starts_with("invalid literal for int()"), "{e}"),
        (Value::Null | Value::Array(_) | Value::Object(_), Err(e)) => {
            assert!(e.contains(body::type_name(v)), "{e}")
        }
        (other, r) => panic!("py_int({other}) = {r:?}"),
    }
    // Truthiness: absent and null are false; a non-empty string is true.
    assert!(!body::truthy(None));
    if let Value::String(s) = v {
        assert_eq!(body::truthy(Some(v)), !s.is_empty());
    }
}

/// Equal, floats within one unit in the last place: serde_json's default float parser may be
/// one ULP off for literals longer than 17 digits (regression `float-last-digit`; exact
/// parsing is its `float_roundtrip` feature, not worth a rebuild of every crate for the
/// old firmware's `str(device_id)`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
