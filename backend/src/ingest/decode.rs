//! Rejections of device messages: a reason (the counter) and a detail, from the pure
//! decoding in `payload.rs` or from the checks that need state.

use super::payload::{Failure, Refused};
use crate::metrics::RejectReason;

/// Why a message (or one reading of a batch) was refused.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// Counter it goes to.
    pub reason: RejectReason,
    /// What exactly (for the log and the sender).
    pub detail: String,
}

impl Rejection {
    /// A rejection.
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Rejection {
        Rejection {
            reason,
            detail: detail.into(),
        }
    }
}

impl From<Refused> for Rejection {
    fn from(r: Refused) -> Rejection {
        let reason = match r.failure {
            Failure::Oversize => RejectReason::Oversize,
            Failure::NotUtf8 => RejectReason::NotUtf8,
            Failure::MalformedJson => RejectReason::MalformedJson,
            Failure::InvalidPayload => RejectReason::InvalidPayload,
            Failure::BatchTooLarge => RejectReason::BatchTooLarge,
            Failure::NegativeCurrent => RejectReason::NegativeCurrent,
            Failure::AbsurdCurrent => RejectReason::AbsurdCurrent,
        };
        Rejection::new(reason, r.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::super::payload;
    use super::*;

    #[test]
    fn classifies() {
        let cases: &[(&str, Option<RejectReason>)] = &[
            (r#"{"device_id":"FE","current_a":1,"current_b":2}"#, None),
            (r#"[{"device_id":"FE","current_a":1,"current_b":2}]"#, None),
            ("not json", Some(RejectReason::MalformedJson)),
            (r#"{"device_id":"FE""#, Some(RejectReason::MalformedJson)),
            (
                r#"{"device_id":"FE","current_a":"x","current_b":2}"#,
                Some(RejectReason::InvalidPayload),
            ),
            (
                r#"{"device_id":"ZZZ","current_a":1,"current_b":2}"#,
                Some(RejectReason::InvalidPayload),
            ),
            (
                r#"{"current_a":1,"current_b":2}"#,
                Some(RejectReason::InvalidPayload),
            ),
            (
                r#"{"device_id":"FE","current_a":1.5,"current_b":2}"#,
                Some(RejectReason::InvalidPayload),
            ),
            ("[1,2,3]", Some(RejectReason::BatchTooLarge)),
        ];
        for (text, want) in cases {
            let got = payload::sensor(text, 2)
                .err()
                .map(|r| Rejection::from(r).reason);
            assert_eq!(got, *want, "{text}");
        }
    }

    /// A status's `dropped` is an optional u32: absent or null is none, anything else than a
    /// whole number in 0..=u32::MAX is refused like any other wrong field.
    #[test]
    fn status_dropped() {
        let cases: &[(&str, Result<Option<u32>, RejectReason>)] = &[
            (r#"{"online":true,"firmware":"5.0.0"}"#, Ok(None)),
            (r#"{"online":true,"dropped":null}"#, Ok(None)),
            (r#"{"online":true,"dropped":0}"#, Ok(Some(0))),
            (r#"{"online":true,"dropped":7}"#, Ok(Some(7))),
            (
                r#"{"online":true,"dropped":4294967295}"#,
                Ok(Some(u32::MAX)),
            ),
            (
                r#"{"online":true,"dropped":-1}"#,
                Err(RejectReason::InvalidPayload),
            ),
            (
                r#"{"online":true,"dropped":4294967296}"#,
                Err(RejectReason::InvalidPayload),
            ),
            (
                r#"{"online":true,"dropped":1e30}"#,
                Err(RejectReason::InvalidPayload),
            ),
            (
                r#"{"online":true,"dropped":1.5}"#,
                Err(RejectReason::InvalidPayload),
            ),
            (
                r#"{"online":true,"dropped":"7"}"#,
                Err(RejectReason::InvalidPayload),
            ),
        ];
        for (text, want) in cases {
            let got = payload::status(text)
                .map(|s| s.dropped)
                .map_err(|r| Rejection::from(r).reason);
            assert_eq!(got, *want, "{text}");
        }
    }

    /// The fuzz crash inputs of `fuzz/regressions/ingest_decode` (selector byte, then the
    /// payload), with the reason each must get now.
    #[test]
    fn fuzz_regressions() {
        let cases: &[(&[u8], RejectReason)] = &[
            // An overlong command id before raw control characters: the text is not JSON.
            (
                include_bytes!(
                    "../../../fuzz/regressions/ingest_decode/malformed-after-invalid-field"
                ),
                RejectReason::MalformedJson,
            ),
            // JSON (numbers have no size limit) without the required field.
            (
                include_bytes!(
                    "../../../fuzz/regressions/ingest_decode/ignored-field-out-of-range"
                ),
                RejectReason::InvalidPayload,
            ),
            // A number beyond f64 where an object belongs: JSON, but not an ack.
            (
                include_bytes!("../../../fuzz/regressions/ingest_decode/number-out-of-range"),
                RejectReason::InvalidPayload,
            ),
        ];
        for (input, want) in cases {
            let text = std::str::from_utf8(&input[1..]).unwrap();
            let got = match input[0] % 4 {
                0 => payload::sensor(text, 8).err(),
                1 => payload::breaker(text, 8).err(),
                2 => payload::ack(text).err(),
                _ => payload::status(text).err(),
            };
            assert_eq!(
                got.map(|r| Rejection::from(r).reason),
                Some(*want),
                "{text:?}"
            );
        }
        // A reading decodes the same alone and in a batch, even with an unknown field that
        // holds a number beyond f64.
        let batch = include_bytes!(
            "../../../fuzz/regressions/ingest_decode/batch-ignored-field-out-of-range"
        );
        let text = std::str::from_utf8(&batch[1..]).unwrap();
        let readings = payload::breaker(text, 8).unwrap();
        assert_eq!(readings.len(), 1);
        assert_eq!(readings[0].current_ma, 1);
    }
}
