//! Scenario 5: the same ingest with the backend attached to an external Mosquitto
//! (`mqtt.mode = "external"`, shared subscription) against the embedded broker.

use super::Outcome;
use super::ingest::measure;
use crate::profile::Sizes;
use serde_json::json;

/// Runs both and reports the ratio.
pub async fn run(sizes: &Sizes, mosquitto: &str) -> anyhow::Result<Outcome> {
    let embedded = measure(sizes, None, None).await?;
    let external = measure(sizes, None, Some(mosquitto)).await?;
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            (a / b * 100.0).round() / 100.0
        } else {
            0.0
        }
    };
    let accepted_ratio = ratio(embedded.accepted_per_s, external.accepted_per_s);
    let stored_ratio = ratio(embedded.stored_per_s, external.stored_per_s);
    let rows = vec![
        (
            "embedded accepted/s, stored/s".to_string(),
            format!("{} / {}", embedded.accepted_per_s, embedded.stored_per_s),
        ),
        (
            "mosquitto accepted/s, stored/s".to_string(),
            format!("{} / {}", external.accepted_per_s, external.stored_per_s),
        ),
        (
            "embedded / mosquitto".to_string(),
            format!("{accepted_ratio}x accepted, {stored_ratio}x stored"),
        ),
        (
            "lost (embedded / mosquitto)".to_string(),
            format!("{} / {}", embedded.lost, external.lost),
        ),
    ];
    Ok(Outcome {
        rows,
        numbers: json!({
            "embedded": embedded, "mosquitto": external,
            "accepted_ratio": accepted_ratio, "stored_ratio": stored_ratio,
        }),
    })
}
