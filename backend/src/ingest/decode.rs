//! Payload decoding with a reason for every failure.

use crate::metrics::RejectReason;
use serde::de::DeserializeOwned;

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

    /// A store failure while handling a valid message (logged under `invalid_payload`
    /// would be wrong; it is not the sender's fault, so it is logged as an error).
    pub(crate) fn internal(e: crate::Error) -> Rejection {
        tracing::error!(cause = %e, "store failure during ingest");
        Rejection::new(RejectReason::InvalidPayload, format!("server error: {e}"))
    }
}

/// One JSON value of type `T`.
pub fn json<T: DeserializeOwned>(text: &str) -> Result<T, Rejection> {
    serde_json::from_str(text).map_err(classify)
}

/// A `T` object or an array of them (a batch), at most `max` long.
pub fn one_or_many<T: DeserializeOwned>(text: &str, max: usize) -> Result<Vec<T>, Rejection> {
    if text.trim_start().starts_with('[') {
        let v: Vec<serde_json::Value> = serde_json::from_str(text).map_err(classify)?;
        if v.len() > max {
            return Err(Rejection::new(
                RejectReason::BatchTooLarge,
                format!("{} readings, limit {max}", v.len()),
            ));
        }
        v.into_iter()
            .map(|item| serde_json::from_value(item).map_err(classify))
            .collect()
    } else {
        json(text).map(|one| vec![one])
    }
}

fn classify(e: serde_json::Error) -> Rejection {
    use serde_json::error::Category;
    let reason = match e.classify() {
        Category::Data => RejectReason::InvalidPayload,
        Category::Syntax | Category::Eof | Category::Io => RejectReason::MalformedJson,
    };
    Rejection::new(reason, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccu_core::protocol::SensorReading;

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
            let got = one_or_many::<SensorReading>(text, 2)
                .err()
                .map(|r| r.reason);
            assert_eq!(got, *want, "{text}");
        }
    }
}
