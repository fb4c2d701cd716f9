//! What every run must show, however fast the machine: ingest loses nothing and stores what it
//! accepted, every CCU connects, every live delivery arrives. How fast is for
//! `docs/BENCHMARKS.md`; these are checked on every run and fail it under `--strict` (CI).

use serde_json::Value;

/// A scenario's check: the invariants its numbers break, as sentences (empty: all hold).
pub type Check = fn(&Value) -> Vec<String>;

/// Scenarios without invariants (latencies and rates only).
pub fn none(_: &Value) -> Vec<String> {
    Vec::new()
}

/// Energy: every reading rolled up, none left, and the same energy before and after.
pub fn energy(n: &Value) -> Vec<String> {
    let mut broken = Vec::new();
    if count(n, "written") != count(n, "rolled_readings") {
        broken.push(format!(
            "rolled up {} of {} readings",
            show(count(n, "rolled_readings")),
            show(count(n, "written"))
        ));
    }
    if count(n, "readings_left") != Some(0) {
        broken.push(format!("{} readings left", show(count(n, "readings_left"))));
    }
    if n.get("identical") != Some(&Value::Bool(true)) {
        broken.push("the energy changed with the roll-up".to_string());
    }
    broken
}

/// Ingest: some readings accepted, none lost, every accepted one stored.
pub fn ingest(n: &Value) -> Vec<String> {
    let mut broken = Vec::new();
    let (accepted, lost, stored) = (count(n, "accepted"), count(n, "lost"), count(n, "stored"));
    if accepted == Some(0) {
        broken.push("accepted = 0 (expected > 0)".to_string());
    }
    if lost != Some(0) {
        broken.push(format!("lost = {} (expected 0)", show(lost)));
    }
    if stored != accepted {
        broken.push(format!(
            "stored = {} but accepted = {}",
            show(stored),
            show(accepted)
        ));
    }
    broken
}

/// Live view: every probe reached every WebSocket client.
pub fn live(n: &Value) -> Vec<String> {
    equal(n, "delivered", "expected")
}

/// Connections: every CCU connected, and one reading of each was accepted.
pub fn connections(n: &Value) -> Vec<String> {
    let mut broken = Vec::new();
    if count(n, "failed") != Some(0) {
        broken.push(format!(
            "failed = {} of {} CCUs (expected every CCU connected)",
            show(count(n, "failed")),
            show(count(n, "ccus"))
        ));
    }
    broken.extend(equal(n, "readings_accepted", "ccus"));
    broken
}

/// Embedded broker against Mosquitto: the ingest invariants on both.
pub fn broker_comparison(n: &Value) -> Vec<String> {
    ["embedded", "mosquitto"]
        .into_iter()
        .flat_map(|side| {
            ingest(&n[side])
                .into_iter()
                .map(move |b| format!("{side}: {b}"))
        })
        .collect()
}

/// One instance against two: in each run readings were stored, none of them twice, and every
/// reading the broker acknowledged to a CCU stored, without restarting an instance for it.
pub fn instances(n: &Value) -> Vec<String> {
    let mut broken = Vec::new();
    for (run, label) in [("one", "1 instance"), ("two", "2 instances")] {
        let r = &n[run];
        if count(r, "distinct_stored").unwrap_or(0) == 0 {
            broken.push(format!("{label}: nothing stored"));
        }
        for key in ["duplicates", "lost", "stuck"] {
            if count(r, key) != Some(0) {
                broken.push(format!(
                    "{label}: {key} = {} (expected 0)",
                    show(count(r, key))
                ));
            }
        }
    }
    broken
}

/// Database outage: readings acknowledged, none of them lost, the outage seen (the spool grew
/// past its steady state), the spool drained once the database was back, and `/readyz`
/// answered every probe in time, degraded at least once.
pub fn fault(n: &Value) -> Vec<String> {
    let mut broken = Vec::new();
    let acknowledged = count(n, "acknowledged");
    if acknowledged.unwrap_or(0) == 0 {
        broken.push(format!(
            "acknowledged = {} (expected > 0)",
            show(acknowledged)
        ));
    }
    if count(n, "lost") != Some(0) {
        broken.push(format!("lost = {} (expected 0)", show(count(n, "lost"))));
    }
    if n.get("outage_seen").and_then(Value::as_bool) != Some(true) {
        broken.push(
            "the outage did not take (the spool never grew past its steady state)".to_string(),
        );
    }
    if n.get("drained").and_then(Value::as_bool) != Some(true) {
        broken.push("the spool did not drain once the database was back".to_string());
    }
    // A readiness probe gets its answer in time, and it says degraded while spooling.
    if count(n, "readyz_no_answer") != Some(0) {
        broken.push(format!(
            "/readyz did not answer in time {} times while the database was away (expected 0)",
            show(count(n, "readyz_no_answer"))
        ));
    }
    if count(n, "readyz_degraded").unwrap_or(0) == 0 {
        broken.push("/readyz never said degraded while the database was away".to_string());
    }
    broken
}

/// Command latency under load: every command answered, idle and loaded, and the background
/// load reached the server (how much of it is a number, not an invariant).
pub fn commands_under_load(n: &Value) -> Vec<String> {
    let mut broken = Vec::new();
    for phase in ["idle_acked_ms", "loaded_acked_ms"] {
        let (got, want) = (count(&n[phase], "n"), count(n, "commands"));
        if got.is_none() || got != want {
            broken.push(format!(
                "{phase}: {} commands acked but {} sent",
                show(got),
                show(want)
            ));
        }
    }
    if n.get("background_accepted_per_s").and_then(Value::as_f64) <= Some(0.0) {
        broken.push("no background reading was accepted".to_string());
    }
    broken
}

fn count(n: &Value, key: &str) -> Option<u64> {
    n.get(key)?.as_u64()
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "missing".to_string(), |v| v.to_string())
}

fn equal(n: &Value, key: &str, expected: &str) -> Vec<String> {
    let (a, b) = (count(n, key), count(n, expected));
    if a.is_some() && a == b {
        Vec::new()
    } else {
        vec![format!("{key} = {} but {expected} = {}", show(a), show(b))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn energy_holds_only_when_everything_is_rolled_up_and_nothing_changed() {
        let ok = json!({"written": 5, "rolled_readings": 5, "readings_left": 0, "identical": true});
        assert!(energy(&ok).is_empty());
        let bad =
            json!({"written": 5, "rolled_readings": 4, "readings_left": 1, "identical": false});
        assert_eq!(
            energy(&bad),
            [
                "rolled up 4 of 5 readings",
                "1 readings left",
                "the energy changed with the roll-up"
            ]
        );
    }

    #[test]
    fn ingest_holds_only_when_nothing_is_lost_and_everything_accepted_is_stored() {
        let ok = json!({"accepted": 10, "lost": 0, "stored": 10});
        assert!(ingest(&ok).is_empty());
        assert_eq!(
            ingest(&json!({"accepted": 10, "lost": 2, "stored": 9})),
            ["lost = 2 (expected 0)", "stored = 9 but accepted = 10"]
        );
        assert_eq!(
            ingest(&json!({"accepted": 0, "lost": 0, "stored": 0})),
            ["accepted = 0 (expected > 0)"]
        );
        assert_eq!(
            broker_comparison(
                &json!({"embedded": ok, "mosquitto": {"accepted": 5, "lost": 1, "stored": 5}})
            ),
            ["mosquitto: lost = 1 (expected 0)"]
        );
    }

    #[test]
    fn an_outage_holds_only_when_nothing_acknowledged_is_lost_and_the_spool_drains() {
        let fields = |lost: u64, seen: bool, drained: bool, no_answer: u64, degraded: u64| {
            json!({"acknowledged": 10, "lost": lost, "outage_seen": seen, "drained": drained,
                "readyz_no_answer": no_answer, "readyz_degraded": degraded})
        };
        assert!(fault(&fields(0, true, true, 0, 3)).is_empty());
        assert_eq!(
            fault(&fields(1, false, false, 0, 3)),
            [
                "lost = 1 (expected 0)",
                "the outage did not take (the spool never grew past its steady state)",
                "the spool did not drain once the database was back"
            ]
        );
        assert_eq!(
            fault(&fields(0, true, true, 4, 0)),
            [
                "/readyz did not answer in time 4 times while the database was away (expected 0)",
                "/readyz never said degraded while the database was away"
            ]
        );
        let mut none = fields(0, true, true, 0, 1);
        none["acknowledged"] = json!(0);
        assert_eq!(fault(&none), ["acknowledged = 0 (expected > 0)"]);
    }

    #[test]
    fn commands_under_load_hold_when_every_command_is_acked() {
        let ok = json!({"commands": 5, "idle_acked_ms": {"n": 5}, "loaded_acked_ms": {"n": 5},
            "background_accepted_per_s": 900.0});
        assert!(commands_under_load(&ok).is_empty());
        assert_eq!(
            commands_under_load(&json!({"commands": 5, "idle_acked_ms": {"n": 5},
                "loaded_acked_ms": {"n": 4}, "background_accepted_per_s": 0.0})),
            [
                "loaded_acked_ms: 4 commands acked but 5 sent",
                "no background reading was accepted"
            ]
        );
    }

    #[test]
    fn instances_hold_when_each_run_stores_every_acknowledged_reading_once() {
        let ok = json!({"distinct_stored": 10, "duplicates": 0, "lost": 0, "stuck": 0});
        assert!(instances(&json!({"one": ok, "two": ok})).is_empty());
        let twice = json!({"distinct_stored": 10, "duplicates": 3, "lost": 1, "stuck": 4});
        assert_eq!(
            instances(&json!({"one": ok, "two": twice})),
            [
                "2 instances: duplicates = 3 (expected 0)",
                "2 instances: lost = 1 (expected 0)",
                "2 instances: stuck = 4 (expected 0)"
            ]
        );
        let none = json!({"distinct_stored": 0, "duplicates": 0, "lost": 0, "stuck": 0});
        assert_eq!(
            instances(&json!({"one": none})),
            [
                "1 instance: nothing stored",
                "2 instances: nothing stored",
                "2 instances: duplicates = missing (expected 0)",
                "2 instances: lost = missing (expected 0)",
                "2 instances: stuck = missing (expected 0)"
            ]
        );
    }

    #[test]
    fn every_ccu_connects_and_every_live_delivery_arrives() {
        let all = json!({"ccus": 50, "failed": 0, "readings_accepted": 50});
        assert!(connections(&all).is_empty());
        assert_eq!(
            connections(&json!({"ccus": 50, "failed": 1, "readings_accepted": 49})),
            [
                "failed = 1 of 50 CCUs (expected every CCU connected)",
                "readings_accepted = 49 but ccus = 50"
            ]
        );
        assert!(live(&json!({"delivered": 40, "expected": 40})).is_empty());
        assert_eq!(
            live(&json!({"delivered": 39, "expected": 40})),
            ["delivered = 39 but expected = 40"]
        );
        assert_eq!(
            live(&json!({})),
            ["delivered = missing but expected = missing"]
        );
    }
}
