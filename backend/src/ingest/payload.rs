//! The pure part of ingest: device payload bytes to protocol values, and the value checks
//! that need no state, each failure with a reason and a detail.
//!
//! This file depends only on `std`, `serde`, `serde_json` and `ccu_core`: `fuzz/` compiles it
//! on its own (`#[path]`, target `ingest_decode`) so that the fuzz build stays free of the
//! database stack. Keep it that way (no `crate::` or `super::` paths here).

use ccu_core::protocol::{Ack, BreakerReading, OVERLOAD_MA, SensorReading, Status};
use serde::de::{DeserializeOwned, IgnoredAny};

/// Why a payload (or one reading of a batch) is refused, before any state is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Longer than `ingest.max_payload_size`.
    Oversize,
    /// Not UTF-8.
    NotUtf8,
    /// Not JSON.
    MalformedJson,
    /// JSON with missing fields or wrong types.
    InvalidPayload,
    /// A batch longer than `ingest.max_batch`.
    BatchTooLarge,
    /// A current below zero.
    NegativeCurrent,
    /// A current above the plausible maximum.
    AbsurdCurrent,
}

/// A refusal: the reason and what exactly (for the log and the sender; never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The reason.
    pub failure: Failure,
    /// What exactly.
    pub detail: String,
}

impl Refused {
    fn new(failure: Failure, detail: impl Into<String>) -> Refused {
        Refused {
            failure,
            detail: detail.into(),
        }
    }
}

/// The payload as text: at most `max_size` bytes of UTF-8.
pub fn text(payload: &[u8], max_size: usize) -> Result<&str, Refused> {
    if payload.len() > max_size {
        return Err(Refused::new(
            Failure::Oversize,
            format!("{} bytes, limit {max_size}", payload.len()),
        ));
    }
    std::str::from_utf8(payload).map_err(|e| Refused::new(Failure::NotUtf8, e.to_string()))
}

/// `ccu/<id>/sensor`: a reading or a batch of at most `max_batch`.
pub fn sensor(text: &str, max_batch: usize) -> Result<Vec<SensorReading>, Refused> {
    one_or_many(text, max_batch)
}

/// `ccu/<id>/breaker`: a reading or a batch of at most `max_batch`.
pub fn breaker(text: &str, max_batch: usize) -> Result<Vec<BreakerReading>, Refused> {
    one_or_many(text, max_batch)
}

/// `ccu/<id>/ack`.
pub fn ack(text: &str) -> Result<Ack, Refused> {
    json(text)
}

/// `ccu/<id>/status`.
pub fn status(text: &str) -> Result<Status, Refused> {
    json(text)
}

/// One outlet reading's currents: each absent, in `0..=max_ma`, or [`OVERLOAD_MA`].
pub fn check_outlet_currents(r: &SensorReading, max_ma: i64) -> Result<(), Refused> {
    for (name, v) in [("current_a", r.current_a), ("current_b", r.current_b)] {
        match v {
            Some(v) if v < 0 => {
                return Err(Refused::new(
                    Failure::NegativeCurrent,
                    format!("{name} = {v}"),
                ));
            }
            Some(v) if v > max_ma && v != OVERLOAD_MA => {
                return Err(Refused::new(
                    Failure::AbsurdCurrent,
                    format!("{name} = {v} mA, limit {max_ma} (65535 = overload)"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A breaker reading's current: in `0..=max_ma`.
pub fn check_breaker_current(r: &BreakerReading, max_ma: i64) -> Result<(), Refused> {
    if r.current_ma < 0 {
        return Err(Refused::new(
            Failure::NegativeCurrent,
            format!("current_ma = {}", r.current_ma),
        ));
    }
    if r.current_ma > max_ma {
        return Err(Refused::new(
            Failure::AbsurdCurrent,
            format!("current_ma = {}, limit {max_ma}", r.current_ma),
        ));
    }
    Ok(())
}

/// One JSON value of type `T`.
pub fn json<T: DeserializeOwned>(text: &str) -> Result<T, Refused> {
    serde_json::from_str(text).map_err(|e| refine(e, text))
}

/// serde_json stops at the first error, so its category alone misnames two cases (fuzz
/// regressions in `fuzz/regressions/ingest_decode/`): a wrong field early in text that is
/// not JSON further on (`malformed-after-invalid-field`), and a number beyond f64 in text
/// that is JSON (RFC 8259 puts no limit on numbers; `number-out-of-range`). The whole text
/// decides: not JSON is `malformed_json` with the syntax error, JSON is `invalid_payload`.
fn refine(e: serde_json::Error, text: &str) -> Refused {
    match serde_json::from_str::<IgnoredAny>(text) {
        Ok(_) => Refused::new(Failure::InvalidPayload, e.to_string()),
        Err(syntax) => classify(syntax),
    }
}

/// A `T` object or an array of them (a batch), at most `max` long.
pub fn one_or_many<T: DeserializeOwned>(text: &str, max: usize) -> Result<Vec<T>, Refused> {
    // JSON's own whitespace only (`str::trim_start` would also skip Unicode spaces).
    let body = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if body.starts_with('[') {
        // Count first (a syntax check that keeps nothing), then decode the items in place: a
        // reading decodes the same alone and in a batch (a `Vec<Value>` step refused numbers
        // out of f64 range in fields a single reading ignores; regression
        // `ingest_decode/batch-ignored-field-out-of-range`).
        let n = serde_json::from_str::<Vec<IgnoredAny>>(text)
            .map_err(classify)?
            .len();
        if n > max {
            return Err(Refused::new(
                Failure::BatchTooLarge,
                format!("{n} readings, limit {max}"),
            ));
        }
        json(text)
    } else {
        json(text).map(|one| vec![one])
    }
}

fn classify(e: serde_json::Error) -> Refused {
    use serde_json::error::Category;
    let failure = match e.classify() {
        Category::Data => Failure::InvalidPayload,
        Category::Syntax | Category::Eof | Category::Io => Failure::MalformedJson,
    };
    Refused::new(failure, e.to_string())
}
