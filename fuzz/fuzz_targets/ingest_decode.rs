//! Fuzz target: the MQTT ingest's payload decoding (`backend/src/ingest/payload.rs`, the exact
//! functions `Backend::ingest` calls for `ccu/<id>/sensor|breaker|ack|status`), and the
//! topic parser, with invariants on what is accepted and what is refused.
#![no_main]

#[path = "../../backend/src/ingest/payload.rs"]
#[allow(dead_code)]
mod payload;

use ccu_core::protocol::{self, BreakerReading, SensorReading, Topic};
use libfuzzer_sys::fuzz_target;
use payload::{Failure, Refused};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

// Small limits so that the fuzzer reaches every branch quickly.
const MAX_SIZE: usize = 2048;
const MAX_BATCH: usize = 4;
const MAX_OUTLET_MA: i64 = 20_000;
const MAX_BREAKER_MA: i64 = 100_000;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    // The topic parser on the same bytes: a parsed topic prints back as the input.
    if let Some((s, t)) = std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| Topic::parse(s).map(|t| (s, t)))
    {
        assert_eq!(t.to_string(), s);
        assert!(!t.ccu_id.is_empty() && !t.ccu_id.contains(['/', '+', '#']));
    }

    let text = match payload::text(bytes, MAX_SIZE) {
        Ok(text) => text,
        Err(r) => {
            assert_reason(&r);
            let want = if bytes.len() > MAX_SIZE {
                Failure::Oversize
            } else {
                Failure::NotUtf8
            };
            assert_eq!(r.failure, want);
            return;
        }
    };
    assert!(bytes.len() <= MAX_SIZE);
    match selector % 4 {
        0 => batch(payload::sensor(text, MAX_BATCH), text, sensor_checked),
        1 => batch(payload::breaker(text, MAX_BATCH), text, breaker_checked),
        2 => match payload::ack(text) {
            Ok(a) => round_trip(&a),
            Err(r) => refused(&r, text),
        },
        _ => match payload::status(text) {
            Ok(s) => round_trip(&s),
            Err(r) => refused(&r, text),
        },
    }
});

/// A decoded batch (or its refusal): within its limit, and every reading round-trips and
/// passes `checked`.
fn batch<T>(decoded: Result<Vec<T>, Refused>, text: &str, checked: fn(&T))
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    match decoded {
        Ok(v) => {
            assert!(v.len() <= MAX_BATCH);
            for r in &v {
                round_trip(r);
                checked(r);
            }
        }
        Err(r) => refused(&r, text),
    }
}

/// A sensor reading's value check: accepted currents are in range (or the overload marker),
/// refused ones are negative or absurd.
fn sensor_checked(r: &SensorReading) {
    match payload::check_outlet_currents(r, MAX_OUTLET_MA) {
        Ok(()) => {
            for c in [r.current_a, r.current_b].into_iter().flatten() {
                assert!(
                    (0..=MAX_OUTLET_MA).contains(&c) || c == protocol::OVERLOAD_MA,
                    "accepted current {c}"
                );
            }
        }
        Err(e) => {
            assert_reason(&e);
            assert!(matches!(
                e.failure,
                Failure::NegativeCurrent | Failure::AbsurdCurrent
            ));
        }
    }
}

/// A breaker reading's value check: an accepted current is in range, a refused one is
/// negative or absurd, as its sign says.
fn breaker_checked(r: &BreakerReading) {
    match payload::check_breaker_current(r, MAX_BREAKER_MA) {
        Ok(()) => assert!((0..=MAX_BREAKER_MA).contains(&r.current_ma)),
        Err(e) => {
            assert_reason(&e);
            assert_eq!(
                e.failure,
                if r.current_ma < 0 {
                    Failure::NegativeCurrent
                } else {
                    Failure::AbsurdCurrent
                }
            );
        }
    }
}

/// Every refusal says what is wrong.
fn assert_reason(r: &Refused) {
    assert!(!r.detail.trim().is_empty(), "refusal without detail: {r:?}");
}

/// A decoding refusal: JSON-level reasons only, and `malformed_json` only for text that is
/// not JSON at all.
fn refused(r: &Refused, text: &str) {
    assert_reason(r);
    // JSON as RFC 8259 has it: numbers of any size (`serde_json::Value` refuses 1e400).
    let is_json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    match r.failure {
        Failure::MalformedJson => assert!(!is_json, "valid JSON called malformed: {r:?}"),
        Failure::InvalidPayload | Failure::BatchTooLarge => {
            assert!(is_json, "not JSON but {:?}", r.failure)
        }
        other => panic!("decoding refused with {other:?}"),
    }
}

/// An accepted value encodes and decodes to itself, with the server's codec (serde_json) and
/// with the firmware's (serde-json-core, what the CCU sends): the two sides agree.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(v: &T) {
    let text = serde_json::to_string(v).expect("an accepted value encodes");
    let back: T = serde_json::from_str(&text).expect("its encoding decodes");
    assert_eq!(&back, v, "serde_json round trip of {text}");
    let mut buf = [0u8; 1024];
    let n = protocol::encode(v, &mut buf).expect("fits the firmware's buffer");
    let back: T = serde_json::from_slice(&buf[..n]).expect("firmware encoding decodes");
    assert_eq!(
        &back,
        v,
        "firmware encoding {:?}",
        String::from_utf8_lossy(&buf[..n])
    );
}
