//! A readiness probe: asks `/readyz` on a steady beat, each answer within a time-out, and
//! keeps what it answered (the outage scenario's "degraded, not failed" check).

use crate::server::Server;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// What `/readyz` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Readiness {
    Ready,
    Degraded,
    NotReady,
    NoAnswer,
}

/// `/readyz` answers: `(asked at, answer)`.
pub(super) type Answers = Arc<Mutex<Vec<(Instant, Readiness)>>>;

/// Asks `/readyz` every `every` (each within `timeout`), apart from other samples so that a
/// slow answer does not hold them up.
pub(super) fn probe_readiness(
    server: &Server,
    every: Duration,
    timeout: Duration,
) -> (Prober, Answers) {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let (http, url, out) = (
        server.client.clone(),
        server.url("/readyz"),
        answers.clone(),
    );
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let at = Instant::now();
            let answer = async {
                let r = http.get(&url).timeout(timeout).send().await.ok()?;
                let ok = r.status().is_success();
                let body = r.text().await.ok()?;
                Some(match (ok, body.as_str()) {
                    (true, "ready") => Readiness::Ready,
                    (true, b) if b.starts_with("degraded") => Readiness::Degraded,
                    _ => Readiness::NotReady,
                })
            }
            .await
            .unwrap_or(Readiness::NoAnswer);
            out.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((at, answer));
        }
    });
    (Prober(task), answers)
}

/// The readiness probe's task, ended when dropped (also when the scenario fails half-way).
pub(super) struct Prober(JoinHandle<()>);

impl Drop for Prober {
    fn drop(&mut self) {
        self.0.abort();
    }
}
